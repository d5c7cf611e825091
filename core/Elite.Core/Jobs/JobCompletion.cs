using Elite.Core.Messages;
using Elite.Core.Rows;
using Elite.Core.Storage;

namespace Elite.Core.Jobs;

/// <summary>
/// The end of a job: its final status, and the one <c>completed</c> event on <c>job-events</c>.
/// </summary>
/// <remarks>
/// Exactly once: the job row turns final in one conditional write (ETag), which records who did it in
/// <see cref="JobRow.CompletedBy"/>. Only that caller sends the event, then sets <see cref="JobRow.CompletionEventSent"/>.
/// If it dies between the two, its retry (the redelivered task result, or the redelivered CSV blob event) finds the
/// row final, made by itself and not yet sent, and sends. A result of another task never sends, so concurrent
/// workers and duplicates cannot add a second event. The one gap left: the sender dies after the send and before
/// the flag, and its retry sends again; the event handler then sees the webhook already delivered, and receivers
/// dedupe by the stable <c>webhook-id</c>.
/// </remarks>
internal sealed class JobCompletion(StorageClients clients, TimeProvider time)
{
    public const string ByIntake = "intake";

    public static string ByTask(string taskId) => "task:" + taskId;

    /// <summary>The row made final by <paramref name="completedBy"/> if all its tasks are done; otherwise the row as given.</summary>
    public JobRow CompleteIfDone(JobRow job, string completedBy)
    {
        if (job.IsFinal || !job.IntakeComplete || job.SucceededCount + job.FailedCount < job.TaskCount)
        {
            return job;
        }

        var status = job.SucceededCount == 0 ? JobStatus.Failed
            : job.FailedCount > 0 || job.InvalidRowCount > 0 || job.RowsNotRead ? JobStatus.PartiallySucceeded
            : JobStatus.Succeeded;
        return job with { Status = status, CompletedAt = time.GetUtcNow(), CompletedBy = completedBy };
    }

    /// <summary>Sends the completion event if <paramref name="completedBy"/> made the job final and it is not sent yet.</summary>
    public async Task<bool> SendIfOwedAsync(JobRow job, string completedBy, CancellationToken cancellationToken)
    {
        if (!job.IsFinal || job.CompletionEventSent || job.CompletedBy != completedBy)
        {
            return false;
        }

        await clients.Queue(StorageNames.Queues.JobEvents)
            .SendMessageAsync(QueueMessages.Serialize(new JobEvent(job.JobId, JobEvent.Completed)), cancellationToken);
        await clients.Table(StorageNames.Tables.Jobs).UpdateAsync<JobRow>(
            job.JobId,
            JobRow.RowKeyValue,
            row => row.CompletionEventSent ? null : row with { CompletionEventSent = true },
            cancellationToken);
        return true;
    }
}
