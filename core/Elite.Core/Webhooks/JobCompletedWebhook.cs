using System.Text.Json;
using System.Text.Json.Serialization;
using Elite.Core.Rows;

namespace Elite.Core.Webhooks;

/// <summary>One generated image of a job: its task, its blob in container <c>results</c>, and a read link valid until <see cref="UrlExpiresOn"/>.</summary>
public sealed record WebhookResult(string TaskId, string Blob, string Url, DateTimeOffset UrlExpiresOn);

/// <summary>What a finished job tells its webhook (the <c>data</c> of the body).</summary>
public sealed record JobCompletedData(
    string JobId,
    JobStatus Status,
    int TaskCount,
    int SucceededCount,
    int FailedCount,
    int CanceledCount,
    int InvalidRowCount,
    IReadOnlyList<WebhookResult> Results,
    bool ResultsTruncated,
    string? Reason);

/// <summary>
/// The webhook body, in the Standard Webhooks payload shape: <c>{"type":"job.completed","timestamp":...,"data":{...}}</c>
/// (camelCase; statuses as camelCase strings). <c>timestamp</c> is when the job finished, the same on every attempt.
/// </summary>
public sealed record JobCompletedWebhook(string Type, DateTimeOffset Timestamp, JobCompletedData Data)
{
    public const string EventType = "job.completed";

    public static JsonSerializerOptions Json { get; } = new(JsonSerializerDefaults.Web)
    {
        Converters = { new JsonStringEnumConverter(JsonNamingPolicy.CamelCase) },
    };

    public static JobCompletedWebhook For(JobRow job, IReadOnlyList<WebhookResult> results, bool truncated) =>
        new(EventType, job.CompletedAt ?? job.Timestamp ?? DateTimeOffset.UnixEpoch, new JobCompletedData(
            job.JobId, job.Status, job.TaskCount, job.SucceededCount, job.FailedCount, job.CanceledCount, job.InvalidRowCount, results, truncated, job.Reason));

    public string ToJson() => JsonSerializer.Serialize(this, Json);
}
