using Elite.Core.Messages;
using Elite.Core.Rows;
using Elite.Core.Storage;

namespace Elite.Core.Jobs;

/// <summary>
/// The end of a job: its final status, and the one <c>completed</c> event on <c>job-events</c>.
/// </summary>
/// <remarks>
/// <para>Exactly once. The job row turns final in one conditional write (ETag), which records who did it
/// (<see cref="JobRow.CompletedBy"/>) and gives that caller a short claim on the send
/// (<see cref="JobRow.CompletionEventClaimedUntil"/>). The claimer sends, then sets
/// <see cref="JobRow.CompletionEventSent"/>. Results of other tasks never send.</para>
/// <para>Another report of the completing task (a redelivery racing the original, or the retry after the original
/// died between the final write and the send) cannot tell which case it is in: it waits while the claim runs, and
/// if the flag is still unset when it expires, takes the claim with a conditional write and sends. So concurrent
/// workers and duplicates give one event, and a lost send is made good by the retry.</para>
/// <para>The gap left: a claimer that dies after the send and before the flag, or that takes longer than the claim,
/// lets a retry send a second event. The event handler then finds the webhook delivered, and receivers dedupe by
/// the stable <c>webhook-id</c>.</para>
/// </remarks>
internal sealed class JobCompletion(StorageClients clients, TimeProvider time)
{
    public const string ByIntake = "intake";

    /// <summary>The cancel request, when the tasks it canceled were the job's last.</summary>
    public const string ByCancel = "cancel";

    /// <summary>How long the caller that made a job final has to send its event before a retry may.</summary>
    public static readonly TimeSpan ClaimDuration = TimeSpan.FromSeconds(30);

    private static readonly TimeSpan PollInterval = TimeSpan.FromMilliseconds(250);

    public static string ByTask(string taskId) => "task:" + taskId;

    /// <summary>
    /// The row made final by <paramref name="completedBy"/> if all its tasks are done; otherwise the row as given. A job
    /// with canceled tasks ends Canceled; one whose cancel came after its last task had started ends as its tasks did.
    /// </summary>
    public JobRow CompleteIfDone(JobRow job, string completedBy)
    {
        if (job.IsFinal || !job.IntakeComplete || job.SucceededCount + job.FailedCount + job.CanceledCount < job.TaskCount)
        {
            return job;
        }

        var status = job.CanceledCount > 0 || (job.CancelRequestedAt is not null && job.TaskCount == 0) ? JobStatus.Canceled
            : job.SucceededCount == 0 ? JobStatus.Failed
            : job.FailedCount > 0 || job.InvalidRowCount > 0 || job.RowsNotRead ? JobStatus.PartiallySucceeded
            : JobStatus.Succeeded;
        var now = time.GetUtcNow();
        return job with { Status = status, CompletedAt = now, CompletedBy = completedBy, CompletionEventClaimedUntil = now + ClaimDuration };
    }

    /// <summary>
    /// The intake has written every task of the job (<paramref name="withIntakeResult"/> adds what it found, such as a
    /// CSV's counts): the job may end now, since its tasks may all have run already, and its event is sent if so.
    /// Until then a job cannot end, so one whose intake stopped part-way never claims to be complete.
    /// </summary>
    public async Task<JobRow> FinishIntakeAsync(string jobId, Func<JobRow, JobRow> withIntakeResult, CancellationToken cancellationToken)
    {
        var madeFinal = false;
        var job = await clients.Table(StorageNames.Tables.Jobs).UpdateAsync<JobRow>(
            jobId,
            JobRow.RowKeyValue,
            row =>
            {
                madeFinal = false;
                if (row.IntakeComplete)
                {
                    return null;
                }

                var finished = CompleteIfDone(withIntakeResult(row) with { IntakeComplete = true }, ByIntake);
                madeFinal = finished.IsFinal;
                return finished;
            },
            cancellationToken) ?? throw new InvalidOperationException($"job {jobId} disappeared during its intake");
        await SendIfOwedAsync(job, ByIntake, madeFinal, cancellationToken);
        return job;
    }

    /// <summary>
    /// Sends the completion event if it falls to <paramref name="completedBy"/>: at once when this caller's write
    /// made the job final (<paramref name="madeFinal"/>), otherwise after the running claim has lapsed unsent.
    /// </summary>
    public async Task<bool> SendIfOwedAsync(JobRow job, string completedBy, bool madeFinal, CancellationToken cancellationToken)
    {
        var jobs = clients.Table(StorageNames.Tables.Jobs);
        var claimed = madeFinal;
        while (!claimed)
        {
            if (!job.IsFinal || job.CompletionEventSent || job.CompletedBy != completedBy)
            {
                return false;
            }

            var now = time.GetUtcNow();
            if (job.CompletionEventClaimedUntil is { } until && until > now)
            {
                await Task.Delay(until - now < PollInterval ? until - now : PollInterval, time, cancellationToken);
            }
            else if (await jobs.TryReplaceAsync(job with { CompletionEventClaimedUntil = now + ClaimDuration }, cancellationToken))
            {
                claimed = true;
                break;
            }

            job = (await jobs.GetEntityAsync<JobRow>(job.JobId, JobRow.RowKeyValue, cancellationToken: cancellationToken)).Value;
        }

        await clients.Queue(StorageNames.Queues.JobEvents)
            .SendMessageAsync(QueueMessages.Serialize(new JobEvent(job.JobId, JobEvent.Completed)), cancellationToken);
        await jobs.UpdateAsync<JobRow>(
            job.JobId,
            JobRow.RowKeyValue,
            row => row.CompletionEventSent ? null : row with { CompletionEventSent = true },
            cancellationToken);
        return true;
    }
}
