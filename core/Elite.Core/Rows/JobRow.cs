using System.Runtime.Serialization;
using Azure;
using Azure.Data.Tables;

namespace Elite.Core.Rows;

public enum JobStatus
{
    /// <summary>Accepted; its tasks are queued.</summary>
    Queued,

    /// <summary>At least one task has started.</summary>
    Running,

    /// <summary>Every task produced its image.</summary>
    Succeeded,

    /// <summary>Finished; some tasks (or input rows) failed, the others produced images.</summary>
    PartiallySucceeded,

    /// <summary>Finished without any image.</summary>
    Failed,

    /// <summary>The caller canceled it: the tasks not started then were not generated (<see cref="JobRow.CanceledCount"/>).</summary>
    Canceled,
}

public static class JobStatusExtensions
{
    /// <summary>The job has ended: no task of it will run again.</summary>
    public static bool IsFinal(this JobStatus status) => status is JobStatus.Succeeded or JobStatus.PartiallySucceeded or JobStatus.Failed or JobStatus.Canceled;
}

/// <summary>Whether the caller's completion webhook has been delivered.</summary>
public enum WebhookState
{
    /// <summary>No webhook was asked for, or the job has not finished yet.</summary>
    None,

    /// <summary>At least one attempt failed; another is scheduled.</summary>
    Retrying,

    /// <summary>The receiver answered 2xx.</summary>
    Delivered,

    /// <summary>Given up: every attempt of the retry schedule failed (about three days), the receiver answered 410 Gone, or the URL is not allowed.</summary>
    GaveUp,
}

/// <summary>
/// A job in table <c>Jobs</c>: partition key = job id, row key <see cref="RowKeyValue"/>. Its tasks are in <c>Tasks</c>.
/// The job's partition also holds one <see cref="TaskResultMarker"/> per counted task result, and the table holds
/// <see cref="IdempotencyRow"/>s: read jobs by row key, never by partition alone.
/// </summary>
public sealed record JobRow : ITableEntity
{
    public const string RowKeyValue = "job";
    public const string HttpSource = "http";
    public const string CsvSource = "csv";

    public JobRow() { }

    public JobRow(string jobId)
    {
        PartitionKey = Storage.ResourceId.Require(jobId, "job id");
        RowKey = RowKeyValue;
    }

    [IgnoreDataMember]
    public string JobId => PartitionKey;

    public JobStatus Status { get; set; }

    /// <summary><see cref="HttpSource"/> or <see cref="CsvSource"/>: how the job was submitted.</summary>
    public string Source { get; set; } = "";

    public int TaskCount { get; set; }
    public int SucceededCount { get; set; }
    public int FailedCount { get; set; }

    /// <summary>Tasks that were never generated because the job was canceled first.</summary>
    public int CanceledCount { get; set; }

    /// <summary>The caller who made the job (<see cref="Callers.Caller"/>); no other caller sees it.</summary>
    public string? Owner { get; set; }

    /// <summary>When the caller asked to cancel the job; from then on no task of it starts.</summary>
    public DateTimeOffset? CancelRequestedAt { get; set; }

    /// <summary>CSV rows refused at ingestion; they have no task. Their line numbers and reasons are in <see cref="Reason"/>.</summary>
    public int InvalidRowCount { get; set; }

    /// <summary>Completion webhook, if the caller asked for one.</summary>
    public string? WebhookUrl { get; set; }

    /// <summary>The caller's <c>Idempotency-Key</c>, so a repeated submission returns this job.</summary>
    public string? IdempotencyKey { get; set; }

    public DateTimeOffset? CreatedAt { get; set; }

    /// <summary>When its first task started.</summary>
    public DateTimeOffset? StartedAt { get; set; }

    public DateTimeOffset? CompletedAt { get; set; }

    /// <summary>The lane its tasks wait in, decided when its first tasks are queued.</summary>
    public Jobs.JobLane? Lane { get; set; }

    /// <summary>Tasks waiting in its lane (and in progress from it) when its first tasks were queued.</summary>
    public int? QueuedAhead { get; set; }

    /// <summary>What went wrong, in words for the user (invalid rows, webhook failures).</summary>
    public string? Reason { get; set; }

    /// <summary>
    /// Whether <see cref="TaskCount"/> is final. False while a CSV is still being read: then it counts the tasks
    /// written so far, and the job cannot finish before the intake sets this.
    /// </summary>
    public bool IntakeComplete { get; set; }

    /// <summary>Tasks (in task id order) whose <c>generate</c> messages were sent: an interrupted intake resumes after them.</summary>
    public int EnqueuedCount { get; set; }

    /// <summary>
    /// The CSV was not read to its end (more rows than the limit, or a runaway row): the rows after that point have
    /// no task, so the job can at best partially succeed. <see cref="Reason"/> says where reading stopped.
    /// </summary>
    public bool RowsNotRead { get; set; }

    /// <summary>For a CSV job, the blob it was read from (container <c>jobs</c>).</summary>
    public string? SourceBlob { get; set; }

    /// <summary>
    /// Who made the job final: <c>task:{taskId}</c> (the result that completed it) or <c>intake</c> (a job that
    /// ended while it was read). Only that caller, or a retry of it, sends the completion event.
    /// </summary>
    public string? CompletedBy { get; set; }

    /// <summary>
    /// Until when the caller that holds the send of the completion event may send it undisturbed: set by the write
    /// that makes the job final; a retry that finds it lapsed and the event unsent takes it over.
    /// </summary>
    public DateTimeOffset? CompletionEventClaimedUntil { get; set; }

    /// <summary>The <c>completed</c> <see cref="Messages.JobEvent"/> was enqueued (set right after the send).</summary>
    public bool CompletionEventSent { get; set; }

    /// <summary>The webhook events asked for (<see cref="Webhooks.WebhookEvents.Stored"/>); null: job.completed alone.</summary>
    public string? WebhookEvents { get; set; }

    /// <summary>Seconds a task.completed event gathers the tasks that end (null: the default).</summary>
    public int? TaskEventIntervalSeconds { get; set; }

    /// <summary>The job.started event was enqueued.</summary>
    public bool StartedEventSent { get; set; }

    /// <summary>task.completed windows opened so far; the last one ends at <see cref="TaskEventsUntil"/>.</summary>
    public int TaskEventSequence { get; set; }

    public DateTimeOffset? TaskEventsUntil { get; set; }

    /// <summary>The state of the job.completed webhook.</summary>
    public WebhookState WebhookStatus { get; set; }

    /// <summary>Delivery attempts of the completion webhook so far.</summary>
    public int WebhookAttempts { get; set; }

    /// <summary>Why the last attempt failed (status code or network error).</summary>
    public string? LastWebhookError { get; set; }

    public DateTimeOffset? WebhookDeliveredAt { get; set; }

    /// <summary>When the next attempt is due, while <see cref="WebhookStatus"/> is Retrying.</summary>
    public DateTimeOffset? NextWebhookAttemptAt { get; set; }

    [IgnoreDataMember]
    public bool IsFinal => Status.IsFinal();

    public string PartitionKey { get; set; } = "";
    public string RowKey { get; set; } = "";
    public DateTimeOffset? Timestamp { get; set; }
    public ETag ETag { get; set; }
}
