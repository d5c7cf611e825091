using System.Text.Json.Serialization;
using Elite.Core.Rows;

namespace Elite.Core.Api;

/// <summary>The body of <c>GET /api/jobs/{id}</c>: the job's state, counts, problems and every task.</summary>
public sealed record JobView(
    string Id,
    [property: JsonConverter(typeof(JsonStringEnumConverter<JobStatus>))] JobStatus Status,
    int TaskCount,
    int SucceededCount,
    int FailedCount,
    int InvalidRowCount,
    string? Reason,
    DateTimeOffset? CompletedAt,
    [property: JsonConverter(typeof(JsonStringEnumConverter<WebhookState>))] WebhookState Webhook,
    IReadOnlyList<TaskView> Tasks)
{
    [JsonIgnore]
    public bool IsFinal => Status.IsFinal();

    /// <param name="resultUri">Where a caller downloads a result blob (a read-only SAS link).</param>
    public static JobView From(JobRow job, IEnumerable<TaskRow> tasks, Func<string, string> resultUri) => new(
        job.JobId,
        job.Status,
        job.TaskCount,
        job.SucceededCount,
        job.FailedCount,
        job.InvalidRowCount,
        job.Reason,
        job.CompletedAt,
        job.WebhookStatus,
        [.. tasks.Select(t => TaskView.From(t, resultUri))]);
}

/// <summary>One task of a <see cref="JobView"/>.</summary>
public sealed record TaskView(
    string Id,
    [property: JsonConverter(typeof(JsonStringEnumConverter<ImageTaskStatus>))] ImageTaskStatus Status,
    string Prompt,
    long Seed,
    double Lambda,
    string? Result,
    string? Reason)
{
    public static TaskView From(TaskRow task, Func<string, string> resultUri) =>
        new(task.TaskId, task.Status, task.Prompt, task.Seed, task.Lambda, task.ResultBlob is null ? null : resultUri(task.ResultBlob), task.Reason);
}
