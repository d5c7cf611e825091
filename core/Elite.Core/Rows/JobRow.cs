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
}

/// <summary>A job in table <c>Jobs</c>: partition key = job id, one row per job. Its tasks are in <c>Tasks</c>.</summary>
public sealed record JobRow : ITableEntity
{
    public const string RowKeyValue = "job";

    public JobRow() { }

    public JobRow(string jobId)
    {
        PartitionKey = Storage.ResourceId.Require(jobId, "job id");
        RowKey = RowKeyValue;
    }

    [IgnoreDataMember]
    public string JobId => PartitionKey;

    public JobStatus Status { get; set; }

    /// <summary><c>http</c> or <c>csv</c>: how the job was submitted.</summary>
    public string Source { get; set; } = "";

    public int TaskCount { get; set; }
    public int SucceededCount { get; set; }
    public int FailedCount { get; set; }

    /// <summary>CSV rows refused at ingestion; they have no task. Their line numbers and reasons are in <see cref="Reason"/>.</summary>
    public int InvalidRowCount { get; set; }

    /// <summary>Completion webhook, if the caller asked for one.</summary>
    public string? WebhookUrl { get; set; }

    /// <summary>The caller's <c>Idempotency-Key</c>, so a repeated submission returns this job.</summary>
    public string? IdempotencyKey { get; set; }

    public DateTimeOffset? CompletedAt { get; set; }

    /// <summary>What went wrong, in words for the user (invalid rows, webhook failures).</summary>
    public string? Reason { get; set; }

    public string PartitionKey { get; set; } = "";
    public string RowKey { get; set; } = "";
    public DateTimeOffset? Timestamp { get; set; }
    public ETag ETag { get; set; }
}
