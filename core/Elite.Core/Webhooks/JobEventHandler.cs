using Azure.Data.Tables;
using Elite.Core.Messages;
using Elite.Core.Rows;
using Elite.Core.Storage;

namespace Elite.Core.Webhooks;

/// <summary>
/// A webhook attempt failed and another is due after <see cref="Delay"/>. The queue trigger lets the message
/// reappear (the host's visibility timeout), or the caller re-sends it delayed with <see cref="JobEventHandler.ScheduleRetryAsync"/>.
/// </summary>
public sealed class RetryLaterException(TimeSpan delay, string reason, int attempt = 0) : Exception($"Webhook delivery failed ({reason}); retry in {delay}.")
{
    public TimeSpan Delay { get; } = delay;

    /// <summary>The attempt that failed; a progress event sent again carries it (<see cref="JobEvent.Attempt"/>).</summary>
    public int Attempt { get; } = attempt;
}

public enum JobEventOutcome
{
    /// <summary>The webhook was delivered now.</summary>
    Delivered,

    /// <summary>The job asked for no webhook.</summary>
    NoWebhook,

    /// <summary>An earlier delivery of this event already delivered the webhook or gave up on it.</summary>
    AlreadyHandled,

    /// <summary>No further attempts: the reason is on the job row.</summary>
    GaveUp,

    /// <summary>The job does not exist (it was deleted): nothing to do.</summary>
    JobNotFound,
}

/// <summary>
/// Handles a <c>job-events</c> message: sends the finished job's signed webhook and records each attempt on the job
/// row (<see cref="JobRow.WebhookStatus"/>, <see cref="JobRow.WebhookAttempts"/>, <see cref="JobRow.LastWebhookError"/>).
/// </summary>
/// <remarks>
/// Attempts are counted on the job row, and the larger of that count and the queue's dequeue count is taken, so the
/// count survives both a re-sent message (dequeue count back to 1) and a crash before the row was written. For
/// <see cref="WebhookOptions.MaxAttempts"/> to apply, the host's maxDequeueCount must be at least as large, or the
/// caller must catch <see cref="RetryLaterException"/> and use <see cref="ScheduleRetryAsync"/> (which also honours the
/// growing delay; a rethrown message reappears after the host's fixed visibility timeout).
/// </remarks>
public sealed class JobEventHandler(StorageClients clients, WebhookDelivery delivery, WebhookOptions options, BlobLinks links, TimeProvider? time = null)
{
    private readonly TimeProvider _time = time ?? TimeProvider.System;

    /// <exception cref="RetryLaterException">The attempt failed and another is due.</exception>
    /// <exception cref="InvalidMessageException">The event is of a kind this handler does not know.</exception>
    public async Task<JobEventOutcome> HandleAsync(JobEvent jobEvent, int dequeueCount, CancellationToken cancellationToken)
    {
        var type = jobEvent.Kind switch
        {
            JobEvent.Completed => WebhookEvents.JobCompleted,
            JobEvent.Started => WebhookEvents.JobStarted,
            JobEvent.TasksCompleted when jobEvent is { Sequence: not null, Since: not null, Until: not null } => WebhookEvents.TaskCompleted,
            _ => throw new InvalidMessageException($"unknown job event kind '{jobEvent.Kind}' (or a task event without its window)"),
        };

        var jobs = clients.Table(StorageNames.Tables.Jobs);
        var job = await jobs.GetOrDefaultAsync<JobRow>(jobEvent.JobId, JobRow.RowKeyValue, cancellationToken);
        if (job is null)
        {
            return JobEventOutcome.JobNotFound;
        }

        if (!job.Wants(type))
        {
            return JobEventOutcome.NoWebhook;
        }

        if (type != WebhookEvents.JobCompleted)
        {
            return await DeliverProgressAsync(job, jobEvent, type, dequeueCount, cancellationToken);
        }

        if (job.WebhookStatus is WebhookState.Delivered or WebhookState.GaveUp)
        {
            return JobEventOutcome.AlreadyHandled;
        }

        var attempt = Math.Max(dequeueCount, job.WebhookAttempts + 1);
        var body = await BuildBodyAsync(job, cancellationToken);
        var result = await delivery.DeliverAsync(job.WebhookUrl!, MessageIdFor(job.JobId), body, attempt, cancellationToken);
        await RecordAsync(job.JobId, attempt, result, cancellationToken);
        return result.Outcome switch
        {
            WebhookDeliveryOutcome.Delivered => JobEventOutcome.Delivered,
            WebhookDeliveryOutcome.GaveUp => JobEventOutcome.GaveUp,
            _ => throw new RetryLaterException(result.Delay, result.Error ?? "unknown error"),
        };
    }

    /// <summary>
    /// The caller asks for the completion webhook again (<c>POST /api/jobs/{id}/webhook/redeliver</c>), whatever became of
    /// it: its attempts start over on the retry schedule, with the same <c>webhook-id</c>, so a receiver that has it
    /// already can tell. The row is reset before the event is sent; a failed send fails the request, to be asked again.
    /// </summary>
    public async Task RedeliverAsync(JobRow job, CancellationToken cancellationToken)
    {
        await clients.Table(StorageNames.Tables.Jobs).UpdateAsync<JobRow>(
            job.JobId,
            JobRow.RowKeyValue,
            row => row with { WebhookStatus = WebhookState.None, WebhookAttempts = 0, NextWebhookAttemptAt = _time.GetUtcNow() },
            cancellationToken);
        await clients.Queue(StorageNames.Queues.JobEvents).SendMessageAsync(QueueMessages.Serialize(new JobEvent(job.JobId, JobEvent.Completed)), cancellationToken);
    }

    /// <summary>
    /// A progress event (<c>job.started</c>, <c>task.completed</c>): its attempts are counted on the message, retried on
    /// the same schedule as the completion; one given up is named in the job's reason.
    /// </summary>
    private async Task<JobEventOutcome> DeliverProgressAsync(JobRow job, JobEvent jobEvent, string type, int dequeueCount, CancellationToken cancellationToken)
    {
        var attempt = Math.Max(dequeueCount, jobEvent.Attempt + 1);
        var body = type == WebhookEvents.JobStarted
            ? new WebhookEnvelope<JobStartedData>(type, job.StartedAt ?? job.Timestamp ?? DateTimeOffset.UnixEpoch, new(job.JobId, job.Status, job.TaskCount, job.StartedAt)).ToJson()
            : await TasksBodyAsync(job, jobEvent, cancellationToken);
        var result = await delivery.DeliverAsync(job.WebhookUrl!, MessageIdFor(jobEvent), body, attempt, cancellationToken);
        switch (result.Outcome)
        {
            case WebhookDeliveryOutcome.Delivered:
                return JobEventOutcome.Delivered;
            case WebhookDeliveryOutcome.GaveUp:
                await clients.Table(StorageNames.Tables.Jobs).UpdateAsync<JobRow>(
                    job.JobId, JobRow.RowKeyValue, row => row with { Reason = AppendReason(row.Reason, $"webhook event {type} not delivered: {result.Error}") }, cancellationToken);
                return JobEventOutcome.GaveUp;
            default:
                throw new RetryLaterException(result.Delay, result.Error ?? "unknown error", attempt);
        }
    }

    private async Task<string> TasksBodyAsync(JobRow job, JobEvent window, CancellationToken cancellationToken)
    {
        var ended = new List<WebhookTask>();
        var truncated = false;
        var link = await links.ResultReaderAsync(cancellationToken);
        var (succeeded, failed) = (nameof(ImageTaskStatus.Succeeded), nameof(ImageTaskStatus.Failed));
        await foreach (var task in clients.Table(StorageNames.Tables.Tasks).QueryAsync<TaskRow>(
            filter: TableClient.CreateQueryFilter(
                $"PartitionKey eq {job.JobId} and CompletedAt gt {window.Since!.Value} and CompletedAt le {window.Until!.Value} and (Status eq {succeeded} or Status eq {failed})"),
            cancellationToken: cancellationToken))
        {
            if (ended.Count == options.MaxResultsInBody)
            {
                truncated = true;
                break;
            }

            var signed = task.ResultBlob is { } blob ? link(blob) : null;
            ended.Add(new WebhookTask(task.TaskId, task.Status, task.ResultBlob, signed?.Uri.AbsoluteUri, signed?.ExpiresOn, task.Reason));
        }

        var data = new TasksCompletedData(
            job.JobId, window.Sequence!.Value, window.Since.Value, window.Until.Value, ended, truncated, job.TaskCount, job.SucceededCount, job.FailedCount);
        return new WebhookEnvelope<TasksCompletedData>(WebhookEvents.TaskCompleted, window.Until.Value, data).ToJson();
    }

    /// <summary>Sends the event again, invisible for <paramref name="delay"/>: the caller then completes the message it handled.</summary>
    public async Task ScheduleRetryAsync(JobEvent jobEvent, TimeSpan delay, CancellationToken cancellationToken) =>
        await clients.Queue(StorageNames.Queues.JobEvents).SendMessageAsync(
            QueueMessages.Serialize(jobEvent), visibilityTimeout: delay, cancellationToken: cancellationToken);

    /// <summary>The <c>webhook-id</c> of a job's completion (<see cref="WebhookSigner.MessageIdFor"/>).</summary>
    public static string MessageIdFor(string jobId) => WebhookSigner.MessageIdFor($"{JobEvent.Completed}/{jobId}");

    /// <summary>The <c>webhook-id</c> of any event: a progress event's is stable over its attempts, as the completion's.</summary>
    public static string MessageIdFor(JobEvent jobEvent) =>
        jobEvent.Kind == JobEvent.Completed ? MessageIdFor(jobEvent.JobId) : WebhookSigner.MessageIdFor($"{jobEvent.Kind}/{jobEvent.JobId}/{jobEvent.Sequence}");

    private async Task<string> BuildBodyAsync(JobRow job, CancellationToken cancellationToken)
    {
        var results = new List<WebhookResult>();
        var truncated = false;
        var link = await links.ResultReaderAsync(cancellationToken); // signed for each attempt: a link lasts an hour from its delivery
        var tasks = clients.Table(StorageNames.Tables.Tasks);
        var succeeded = nameof(ImageTaskStatus.Succeeded);
        await foreach (var task in tasks.QueryAsync<TaskRow>(
            filter: TableClient.CreateQueryFilter($"PartitionKey eq {job.JobId} and Status eq {succeeded}"),
            select: [nameof(TaskRow.RowKey), nameof(TaskRow.ResultBlob)],
            cancellationToken: cancellationToken))
        {
            if (results.Count == options.MaxResultsInBody)
            {
                truncated = true;
                break;
            }

            var blob = task.ResultBlob ?? BlobPaths.Result(job.JobId, task.TaskId);
            var signed = link(blob);
            results.Add(new WebhookResult(task.TaskId, blob, signed.Uri.AbsoluteUri, signed.ExpiresOn));
        }

        return JobCompletedWebhook.For(job, results, truncated).ToJson();
    }

    private async Task RecordAsync(string jobId, int attempt, WebhookDeliveryResult result, CancellationToken cancellationToken)
    {
        var now = _time.GetUtcNow();
        await clients.Table(StorageNames.Tables.Jobs).UpdateAsync<JobRow>(
            jobId,
            JobRow.RowKeyValue,
            job => job.WebhookStatus == WebhookState.Delivered || (job.WebhookStatus == WebhookState.GaveUp && result.Outcome != WebhookDeliveryOutcome.Delivered)
                ? null // a concurrent attempt settled it; a late failure must not reopen it
                : job with
                {
                    WebhookAttempts = Math.Max(job.WebhookAttempts, attempt),
                    WebhookStatus = result.Outcome switch
                    {
                        WebhookDeliveryOutcome.Delivered => WebhookState.Delivered,
                        WebhookDeliveryOutcome.GaveUp => WebhookState.GaveUp,
                        _ => WebhookState.Retrying,
                    },
                    WebhookDeliveredAt = result.Outcome == WebhookDeliveryOutcome.Delivered ? now : job.WebhookDeliveredAt,
                    NextWebhookAttemptAt = result.Outcome == WebhookDeliveryOutcome.RetryLater ? now + result.Delay : null,
                    LastWebhookError = result.Error ?? job.LastWebhookError,
                    Reason = result.Outcome == WebhookDeliveryOutcome.GaveUp ? AppendReason(job.Reason, $"webhook not delivered: {result.Error}") : job.Reason,
                },
            cancellationToken);
    }

    private static string AppendReason(string? reason, string addition) =>
        string.IsNullOrEmpty(reason) ? addition : $"{reason}. {addition}";
}
