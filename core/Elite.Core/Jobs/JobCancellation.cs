using System.Net;
using Azure.Data.Tables;
using Elite.Core.Callers;
using Elite.Core.Rows;
using Elite.Core.Storage;

namespace Elite.Core.Jobs;

public enum CancelOutcome
{
    /// <summary>The job ended Canceled (now or before).</summary>
    Canceled,

    /// <summary>Canceled tasks will not start, but a batch in hand is finishing: the job ends Canceled when it has.</summary>
    Canceling,

    /// <summary>The job had ended otherwise before the request (Succeeded, Failed, ...): nothing to cancel.</summary>
    AlreadyFinished,

    /// <summary>No such job for this caller.</summary>
    NotFound,
}

public sealed record CancelResult(CancelOutcome Outcome, JobRow? Job);

/// <summary>
/// Cancels a job (<c>POST /api/jobs/{id}/cancel</c>): from the request on, no task of it starts. Idempotent.
/// </summary>
/// <remarks>
/// <para>The job row records <see cref="JobRow.CancelRequestedAt"/> first; that alone is enough, since the worker
/// reads the job of every batch it takes and cancels the tasks of a canceled job instead of generating them. Then the
/// request sets every task still Queued to Canceled (one conditional transaction per 99, so a task a worker marks
/// Running meanwhile is left to finish) and counts them on the job, so a large job ends now rather than when the
/// worker has drained its messages; those messages are then acknowledged without work.</para>
/// <para>What a worker has in hand finishes and its images count: a batch being stored, the one generating, and one
/// started behind it in that call's last UNet steps. The job ends Canceled with its counts when the last
/// started task has ended, and its completion webhook says Canceled. A request that dies part-way leaves the rest to
/// the worker (and to a retry of the request).</para>
/// </remarks>
public sealed class JobCancellation(StorageClients clients, TimeProvider? time = null)
{
    public const string CanceledReason = "canceled before it started";

    private readonly TimeProvider _time = time ?? TimeProvider.System;
    private readonly JobAccounting _accounting = new(clients, time);
    private readonly JobCompletion _completion = new(clients, time ?? TimeProvider.System);
    private readonly JobList _jobs = new(clients);
    private readonly TableClient _tasks = clients.Table(StorageNames.Tables.Tasks);

    public async Task<CancelResult> CancelAsync(Caller caller, string jobId, CancellationToken cancellationToken)
    {
        var job = await _jobs.GetAsync(caller, jobId, cancellationToken);
        if (job is null) return new(CancelOutcome.NotFound, null);
        if (job.IsFinal) return await FinishedAsync(job, cancellationToken);

        var requested = _time.GetUtcNow();
        job = await clients.Table(StorageNames.Tables.Jobs).UpdateAsync<JobRow>(
            jobId, JobRow.RowKeyValue, j => j.IsFinal || j.CancelRequestedAt is not null ? null : j with { CancelRequestedAt = requested }, cancellationToken);
        if (job!.IsFinal) return await FinishedAsync(job, cancellationToken);

        await CancelQueuedTasksAsync(jobId, cancellationToken);
        job = (await clients.Table(StorageNames.Tables.Jobs).GetEntityAsync<JobRow>(jobId, JobRow.RowKeyValue, cancellationToken: cancellationToken)).Value;
        return job.IsFinal ? await FinishedAsync(job, cancellationToken) : new(CancelOutcome.Canceling, job);
    }

    /// <summary>Sets the job's Queued tasks Canceled and counts them, 99 at a time, until none is left.</summary>
    private async Task CancelQueuedTasksAsync(string jobId, CancellationToken cancellationToken)
    {
        var queued = nameof(ImageTaskStatus.Queued);
        while (true)
        {
            var page = new List<TaskRow>(JobAccounting.MaxCountedAtOnce);
            await foreach (var task in _tasks.QueryAsync<TaskRow>(
                TableClient.CreateQueryFilter($"PartitionKey eq {jobId} and Status eq {queued}"), maxPerPage: JobAccounting.MaxCountedAtOnce, cancellationToken: cancellationToken))
            {
                page.Add(task);
                if (page.Count == JobAccounting.MaxCountedAtOnce) break;
            }

            if (page.Count == 0)
            {
                return;
            }

            var now = _time.GetUtcNow();
            try
            {
                await _tasks.SubmitTransactionAsync(
                    page.Select(t => new TableTransactionAction(
                        TableTransactionActionType.UpdateReplace, t with { Status = ImageTaskStatus.Canceled, Reason = CanceledReason, CompletedAt = now }, t.ETag)),
                    cancellationToken);
            }
            catch (TableTransactionFailedException e) when (e.Status == (int)HttpStatusCode.PreconditionFailed)
            {
                continue; // a worker started one of them: read the page again without it
            }

            await _accounting.CountCanceledAsync(jobId, [.. page.Select(t => t.TaskId)], JobCompletion.ByCancel, cancellationToken);
        }
    }

    /// <summary>A final job: Canceled (its event sent if this request's earlier try made it final and died), or finished otherwise.</summary>
    private async Task<CancelResult> FinishedAsync(JobRow job, CancellationToken cancellationToken)
    {
        if (job.Status != JobStatus.Canceled) return new(CancelOutcome.AlreadyFinished, job);
        await _completion.SendIfOwedAsync(job, JobCompletion.ByCancel, madeFinal: false, cancellationToken);
        return new(CancelOutcome.Canceled, job);
    }
}
