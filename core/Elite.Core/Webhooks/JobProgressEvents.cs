using Azure.Data.Tables;
using Elite.Core.Messages;
using Elite.Core.Rows;
using Elite.Core.Storage;

namespace Elite.Core.Webhooks;

/// <summary>
/// Enqueues a job's progress events when it asked for them: <c>job.started</c> once, when its first task starts, and
/// <c>task.completed</c> per window: the first task that ends after the last window opens the next one, and its event
/// is sent delayed to the window's end, to report every task that ended within it. A crash between opening a window
/// and sending its event loses that one event (progress events are notices; <c>job.completed</c> lists every result).
/// </summary>
internal sealed class JobProgressEvents(StorageClients clients, TimeProvider time)
{
    private readonly TableClient _jobs = clients.Table(StorageNames.Tables.Jobs);

    /// <summary>Its first task started (or a later one, if the event of the first was not sent).</summary>
    public async Task StartedAsync(JobRow job, CancellationToken cancellationToken)
    {
        if (!job.Wants(WebhookEvents.JobStarted) || job.StartedEventSent) return;
        await SendAsync(new JobEvent(job.JobId, JobEvent.Started), TimeSpan.Zero, cancellationToken);
        await _jobs.UpdateAsync<JobRow>(job.JobId, JobRow.RowKeyValue, j => j.StartedEventSent ? null : j with { StartedEventSent = true }, cancellationToken);
    }

    /// <summary>
    /// A task of the job ended (succeeded or failed) at <paramref name="completedAt"/>, its row's time: windows are cut by
    /// those times, whichever worker's clock wrote them, and an event waits a grace period past its window's end for the
    /// rows of tasks that ended just before it.
    /// </summary>
    public async Task TaskEndedAsync(JobRow job, DateTimeOffset completedAt, CancellationToken cancellationToken)
    {
        if (!job.Wants(WebhookEvents.TaskCompleted) || job.TaskEventsUntil >= completedAt) return; // its window reports it
        var interval = TimeSpan.FromSeconds(job.TaskEventIntervalSeconds ?? WebhookEvents.DefaultTaskIntervalSeconds);
        var since = DateTimeOffset.UnixEpoch;
        var opened = false;
        var row = await _jobs.UpdateAsync<JobRow>(job.JobId, JobRow.RowKeyValue, j =>
        {
            opened = !(j.TaskEventsUntil >= completedAt);
            since = j.TaskEventsUntil ?? j.CreatedAt ?? DateTimeOffset.UnixEpoch;
            return opened ? j with { TaskEventSequence = j.TaskEventSequence + 1, TaskEventsUntil = completedAt + interval } : null;
        }, cancellationToken);
        if (!opened || row is null) return; // another worker opened it meanwhile
        var delay = row.TaskEventsUntil!.Value - time.GetUtcNow() + Grace;
        await SendAsync(new JobEvent(job.JobId, JobEvent.TasksCompleted, Sequence: row.TaskEventSequence, Since: since, Until: row.TaskEventsUntil),
            delay > TimeSpan.Zero ? delay : Grace, cancellationToken);
    }

    private static readonly TimeSpan Grace = TimeSpan.FromSeconds(2);

    private async Task SendAsync(JobEvent jobEvent, TimeSpan delay, CancellationToken cancellationToken) =>
        await clients.Queue(StorageNames.Queues.JobEvents).SendMessageAsync(QueueMessages.Serialize(jobEvent), visibilityTimeout: delay, cancellationToken: cancellationToken);
}
