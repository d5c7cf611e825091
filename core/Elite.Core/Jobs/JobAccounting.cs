using System.Net;
using Azure.Data.Tables;
using Elite.Core.Messages;
using Elite.Core.Rows;
using Elite.Core.Storage;
using Elite.Core.Webhooks;

namespace Elite.Core.Jobs;

/// <summary>What <see cref="JobAccounting.RecordTaskResultAsync"/> did.</summary>
/// <param name="Counted">This call added the result to the job's counters (false: an earlier report of the task did).</param>
/// <param name="TaskStatus">The task's final status: the first final result reported wins.</param>
/// <param name="JobStatus">The job's status after this call.</param>
/// <param name="CompletedJob">This call's result was the job's last one and made it final.</param>
/// <param name="EventSent">This call enqueued the job's <c>completed</c> event.</param>
public sealed record TaskResultOutcome(bool Counted, ImageTaskStatus TaskStatus, JobStatus JobStatus, bool CompletedJob, bool EventSent);

/// <summary>
/// The worker's reports on tasks, turned into task rows, job counters, the job's final status and its one
/// completion event. Every method may be called again with the same arguments (message redelivery) and from
/// many workers at once.
/// </summary>
/// <remarks>
/// A result is counted in one entity group transaction that inserts a <see cref="TaskResultMarker"/> for the task
/// and replaces the job row on its ETag: a second report of the task fails on the marker and changes nothing, and a
/// concurrent update of the job row fails on the ETag and is retried on a fresh read. So a worker that dies between
/// the task row and the counters can simply report again.
/// </remarks>
public sealed class JobAccounting(StorageClients clients, TimeProvider? time = null)
{
    private const int PreconditionFailed = 412;

    private readonly TimeProvider _time = time ?? TimeProvider.System;
    private readonly JobCompletion _completion = new(clients, time ?? TimeProvider.System);
    private readonly TableClient _jobs = clients.Table(StorageNames.Tables.Jobs);
    private readonly TableClient _tasks = clients.Table(StorageNames.Tables.Tasks);
    private readonly JobProgressEvents _progress = new(clients, time ?? TimeProvider.System);

    /// <summary>
    /// The worker starts a task: the task turns Running (one more attempt) with the concept version it is generated from,
    /// and the job Running if it was Queued. Returns the task row; a final status means the task ended already (an
    /// earlier delivery, or its job's cancel): skip it.
    /// </summary>
    /// <exception cref="InvalidMessageException">The task does not exist.</exception>
    public async Task<TaskRow> MarkTaskRunningAsync(string jobId, string taskId, string? conceptVersion, CancellationToken cancellationToken)
    {
        var task = await _tasks.UpdateAsync<TaskRow>(
                jobId, taskId, t => t.IsFinal ? null : t with { Status = ImageTaskStatus.Running, Attempts = t.Attempts + 1, ConceptVersion = conceptVersion }, cancellationToken)
            ?? throw new InvalidMessageException($"task {jobId}/{taskId} does not exist");
        if (!task.IsFinal
            && await _jobs.UpdateAsync<JobRow>(
                jobId, JobRow.RowKeyValue, j => j.Status == JobStatus.Queued ? j with { Status = JobStatus.Running, StartedAt = j.StartedAt ?? _time.GetUtcNow() } : null, cancellationToken) is { } job)
        {
            await NoticeAsync(() => _progress.StartedAsync(job, cancellationToken));
        }

        return task;
    }

    /// <summary>
    /// An attempt at a task failed in a way that a later delivery may not (storage, the accelerator): the cause is kept
    /// on the task row, so that the task's final reason can name it if every attempt fails. Best effort: a failure to
    /// record it is left to the next attempt.
    /// </summary>
    public async Task RecordAttemptErrorAsync(string jobId, string taskId, string error, CancellationToken cancellationToken)
    {
        try
        {
            await _tasks.UpdateAsync<TaskRow>(jobId, taskId, t => t.IsFinal ? null : t with { Reason = error }, cancellationToken);
        }
        catch (Exception e) when (StorageErrors.IsTransient(e))
        {
        }
    }

    /// <summary>
    /// A task ended for good (a failure the worker will retry is not a result; <paramref name="status"/> is final). Sets
    /// the task row final, counts it on the job once, and when it was the job's last result, makes the job final and
    /// enqueues its <c>completed</c> event. The first final status recorded wins: a task reported again keeps it and is
    /// counted as it. A succeeded task without <paramref name="resultBlob"/> gets <see cref="BlobPaths.Result"/>.
    /// </summary>
    /// <exception cref="InvalidMessageException">The task or its job does not exist.</exception>
    public async Task<TaskResultOutcome> RecordTaskResultAsync(
        string jobId, string taskId, ImageTaskStatus status, string? resultBlob, string? reason, CancellationToken cancellationToken)
    {
        if (status is ImageTaskStatus.Queued or ImageTaskStatus.Running)
        {
            throw new ArgumentException($"{status} is not a result", nameof(status));
        }

        var task = await _tasks.UpdateAsync<TaskRow>(
                jobId,
                taskId,
                t => t.IsFinal ? null : t with
                {
                    Status = status,
                    ResultBlob = status == ImageTaskStatus.Succeeded ? resultBlob ?? BlobPaths.Result(jobId, taskId) : null,
                    Reason = reason,
                    CompletedAt = _time.GetUtcNow(),
                },
                cancellationToken)
            ?? throw new InvalidMessageException($"task {jobId}/{taskId} does not exist");

        var completedBy = JobCompletion.ByTask(taskId);
        var (counted, madeFinal, job) = await CountAsync(jobId, [taskId], task.Status, completedBy, cancellationToken);
        var eventSent = await _completion.SendIfOwedAsync(job, completedBy, madeFinal, cancellationToken);
        if (counted && task.Status != ImageTaskStatus.Canceled) await NoticeAsync(() => _progress.TaskEndedAsync(job, task.CompletedAt ?? _time.GetUtcNow(), cancellationToken));
        return new(counted, task.Status, job.Status, madeFinal, eventSent);
    }

    /// <summary>
    /// Counts tasks that <see cref="JobCancellation"/> has set Canceled, up to <see cref="MaxCountedAtOnce"/> in one
    /// transaction; if any of them was counted already (a worker met its message first), each is counted on its own.
    /// </summary>
    internal async Task CountCanceledAsync(string jobId, IReadOnlyList<string> taskIds, string completedBy, CancellationToken cancellationToken)
    {
        var (counted, madeFinal, job) = await CountAsync(jobId, taskIds, ImageTaskStatus.Canceled, completedBy, cancellationToken);
        if (!counted)
        {
            foreach (var taskId in taskIds)
            {
                await RecordTaskResultAsync(jobId, taskId, ImageTaskStatus.Canceled, null, null, cancellationToken);
            }

            return;
        }

        await _completion.SendIfOwedAsync(job, completedBy, madeFinal, cancellationToken);
    }

    /// <summary>
    /// A progress event (job.started, task.completed) is a notice: storage trouble sending it must not fail, or repeat,
    /// the task's own bookkeeping; the notice is lost (<see cref="JobProgressEvents"/>).
    /// </summary>
    private static async Task NoticeAsync(Func<Task> send)
    {
        try
        {
            await send();
        }
        catch (Exception e) when (StorageErrors.IsTransient(e))
        {
        }
    }

    /// <summary>Tasks counted in one entity group transaction: one marker each, and the job row.</summary>
    internal const int MaxCountedAtOnce = 99;

    private async Task<(bool Counted, bool MadeFinal, JobRow Job)> CountAsync(
        string jobId, IReadOnlyList<string> taskIds, ImageTaskStatus status, string completedBy, CancellationToken cancellationToken) =>
        await TableConcurrency.RetryOnConflictAsync(async token =>
        {
            var job = await _jobs.GetOrDefaultAsync<JobRow>(jobId, JobRow.RowKeyValue, token)
                ?? throw new InvalidMessageException($"job {jobId} does not exist");
            var n = taskIds.Count;
            var updated = _completion.CompleteIfDone(
                job with
                {
                    SucceededCount = job.SucceededCount + (status == ImageTaskStatus.Succeeded ? n : 0),
                    FailedCount = job.FailedCount + (status == ImageTaskStatus.Failed ? n : 0),
                    CanceledCount = job.CanceledCount + (status == ImageTaskStatus.Canceled ? n : 0),
                    Status = job.Status == JobStatus.Queued && status != ImageTaskStatus.Canceled ? JobStatus.Running : job.Status,
                    StartedAt = job.StartedAt ?? (status != ImageTaskStatus.Canceled ? _time.GetUtcNow() : null),
                },
                completedBy);
            try
            {
                await _jobs.SubmitTransactionAsync(
                    [
                        .. taskIds.Select(taskId => new TableTransactionAction(
                            TableTransactionActionType.Add, new TaskResultMarker(jobId, taskId) { Succeeded = status == ImageTaskStatus.Succeeded })),
                        new TableTransactionAction(TableTransactionActionType.UpdateReplace, updated, job.ETag),
                    ],
                    token);
                return (true, updated.IsFinal && !job.IsFinal, updated);
            }
            catch (TableTransactionFailedException e) when (e.Status == (int)HttpStatusCode.Conflict)
            {
                return (false, false, job); // a marker exists: that result was counted before
            }
            catch (TableTransactionFailedException e) when (e.Status == PreconditionFailed)
            {
                throw new ConcurrencyConflictException();
            }
        }, cancellationToken);
}
