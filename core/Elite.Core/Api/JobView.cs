using System.Text.Json.Serialization;
using Elite.Core.Jobs;
using Elite.Core.Rows;
using Elite.Core.Storage;

namespace Elite.Core.Api;

/// <summary>A job as <c>GET /api/jobs</c> lists it: its state, counts and problems.</summary>
public record JobSummary
{
    public string Id { get; init; } = "";

    [JsonConverter(typeof(JsonStringEnumConverter<JobStatus>))]
    public JobStatus Status { get; init; }

    public int TaskCount { get; init; }
    public int SucceededCount { get; init; }
    public int FailedCount { get; init; }

    /// <summary>Tasks not generated because the job was canceled first.</summary>
    public int CanceledCount { get; init; }

    public int InvalidRowCount { get; init; }

    /// <summary>The caller asked to cancel it: no task starts any more; it ends Canceled once a batch in hand has finished.</summary>
    public bool CancelRequested { get; init; }

    public string? Reason { get; init; }
    public DateTimeOffset? CreatedAt { get; init; }

    /// <summary>When its first task started.</summary>
    public DateTimeOffset? StartedAt { get; init; }

    public DateTimeOffset? CompletedAt { get; init; }

    /// <summary>
    /// Its queue: Interactive (small jobs, served first) or Bulk (larger jobs, in order, with what the interactive lane
    /// leaves). Null until its first tasks are queued.
    /// </summary>
    [JsonConverter(typeof(JsonStringEnumConverter<JobLane>))]
    public JobLane? Lane { get; init; }

    /// <summary>Tasks ahead of it in its lane (waiting or in progress) when it was queued: its place in the line then.</summary>
    public int? QueuedAhead { get; init; }

    [JsonConverter(typeof(JsonStringEnumConverter<WebhookState>))]
    public WebhookState Webhook { get; init; }

    /// <summary>Why the last webhook attempt failed, while it is retried or after it was given up.</summary>
    public string? LastWebhookError { get; init; }

    /// <summary>When the next webhook attempt is due, while it is retried.</summary>
    public DateTimeOffset? NextWebhookAttemptAt { get; init; }

    [JsonIgnore]
    public bool IsFinal => Status.IsFinal();

    public static JobSummary From(JobRow job) => new()
    {
        Id = job.JobId,
        Status = job.Status,
        TaskCount = job.TaskCount,
        SucceededCount = job.SucceededCount,
        FailedCount = job.FailedCount,
        CanceledCount = job.CanceledCount,
        InvalidRowCount = job.InvalidRowCount,
        CancelRequested = job.CancelRequestedAt is not null,
        Reason = job.Reason,
        CreatedAt = job.CreatedAt,
        StartedAt = job.StartedAt,
        CompletedAt = job.CompletedAt,
        Lane = job.Lane,
        QueuedAhead = job.QueuedAhead,
        Webhook = job.WebhookStatus,
        LastWebhookError = job.WebhookStatus is WebhookState.Retrying or WebhookState.GaveUp ? job.LastWebhookError : null,
        NextWebhookAttemptAt = job.WebhookStatus == WebhookState.Retrying ? job.NextWebhookAttemptAt : null,
    };
}

/// <summary>
/// The body of <c>GET /api/jobs/{id}</c>: the job and the first page of its tasks; <see cref="TasksContinuation"/>
/// reads the next page from <c>GET /api/jobs/{id}/tasks</c>.
/// </summary>
public sealed record JobView : JobSummary
{
    public JobView() { }

    public JobView(JobSummary summary, TaskPage tasks) : base(summary)
    {
        Tasks = tasks.Tasks;
        TasksContinuation = tasks.Continuation;
    }

    public IReadOnlyList<TaskView> Tasks { get; init; } = [];

    /// <summary>Where the next page of tasks starts (the <c>continuation</c> of <c>GET /api/jobs/{id}/tasks</c>); null when none is left.</summary>
    public string? TasksContinuation { get; init; }
}

/// <summary>The body of <c>GET /api/jobs/{id}/tasks</c>: a page of tasks in task order, and where the next starts (null: the end).</summary>
public sealed record TaskPage(IReadOnlyList<TaskView> Tasks, string? Continuation)
{
    /// <param name="resultUri">Where a caller downloads a result blob (a read-only SAS link).</param>
    /// <param name="retention">When results are deleted, for each task's <see cref="TaskView.ResultExpiresOn"/>.</param>
    public static TaskPage From(Page<TaskRow> page, Func<string, string> resultUri, ResultRetention retention) =>
        new([.. page.Items.Select(t => TaskView.From(t, resultUri, retention))], page.Continuation);
}

/// <summary>The body of <c>GET /api/jobs</c>: the caller's jobs, newest first, and where the next page starts.</summary>
public sealed record JobListPage(IReadOnlyList<JobSummary> Jobs, string? Continuation);

/// <summary>
/// One task of a job. <see cref="Result"/> is a read link valid for an hour; <see cref="ResultExpiresOn"/> says when the image
/// itself is deleted; <see cref="ConceptVersion"/> which photo and mask of the concept it was generated from.
/// </summary>
public sealed record TaskView(
    string Id,
    [property: JsonConverter(typeof(JsonStringEnumConverter<ImageTaskStatus>))] ImageTaskStatus Status,
    string Prompt,
    long Seed,
    double Lambda,
    string? Result,
    DateTimeOffset? ResultExpiresOn,
    string? ConceptVersion,
    string? Reason)
{
    public static TaskView From(TaskRow task, Func<string, string> resultUri, ResultRetention retention) =>
        task.ResultBlob is null
            ? new(task.TaskId, task.Status, task.Prompt, task.Seed, task.Lambda, null, null, task.ConceptVersion, task.Reason)
            : new(task.TaskId, task.Status, task.Prompt, task.Seed, task.Lambda, resultUri(task.ResultBlob), retention.ExpiresOn(task.CompletedAt), task.ConceptVersion, task.Reason);
}
