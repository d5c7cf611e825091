using System.Text.Json;
using Elite.Core.Rows;

namespace Elite.Core.Webhooks;

/// <summary>A progress webhook's body, in the Standard Webhooks payload shape, as <see cref="JobCompletedWebhook"/>.</summary>
public sealed record WebhookEnvelope<T>(string Type, DateTimeOffset Timestamp, T Data)
{
    public string ToJson() => JsonSerializer.Serialize(this, JobCompletedWebhook.Json);
}

/// <summary>The <c>data</c> of <c>job.started</c>.</summary>
public sealed record JobStartedData(string JobId, JobStatus Status, int TaskCount, DateTimeOffset? StartedAt);

/// <summary>One task that ended: its image (blob and a read link) when it succeeded, why when it failed.</summary>
public sealed record WebhookTask(string TaskId, ImageTaskStatus Status, string? Blob, string? Url, DateTimeOffset? UrlExpiresOn, string? Reason);

/// <summary>
/// The <c>data</c> of <c>task.completed</c>: window <see cref="Sequence"/> (1, 2, ...) of the job, the tasks that ended
/// after <see cref="Since"/> and until <see cref="Until"/>, and the job's counts when it was sent.
/// </summary>
public sealed record TasksCompletedData(
    string JobId,
    int Sequence,
    DateTimeOffset Since,
    DateTimeOffset Until,
    IReadOnlyList<WebhookTask> Tasks,
    bool TasksTruncated,
    int TaskCount,
    int SucceededCount,
    int FailedCount);
