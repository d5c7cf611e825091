using System.Runtime.Serialization;
using Azure;
using Azure.Data.Tables;

namespace Elite.Core.Rows;

/// <summary>State of one image task (named so, not TaskStatus, to stay clear of System.Threading.Tasks).</summary>
public enum ImageTaskStatus
{
    Queued,
    Running,
    Succeeded,
    Failed,
}

/// <summary>One image to generate, in table <c>Tasks</c>: partition key = job id, row key = task id.</summary>
public sealed record TaskRow : ITableEntity
{
    public TaskRow() { }

    public TaskRow(string jobId, string taskId)
    {
        PartitionKey = Storage.ResourceId.Require(jobId, "job id");
        RowKey = Storage.ResourceId.Require(taskId, "task id");
    }

    [IgnoreDataMember]
    public string JobId => PartitionKey;

    [IgnoreDataMember]
    public string TaskId => RowKey;

    public ImageTaskStatus Status { get; set; }

    public string ConceptId { get; set; } = "";
    public string Prompt { get; set; } = "";
    public string? NegativePrompt { get; set; }
    public long Seed { get; set; }
    public int Steps { get; set; }
    public double Guidance { get; set; }
    public double Lambda { get; set; }
    public string Scheduler { get; set; } = "";

    /// <summary>Delivery attempts seen by the worker.</summary>
    public int Attempts { get; set; }

    /// <summary>Blob name of the image in container <c>results</c>, once succeeded.</summary>
    public string? ResultBlob { get; set; }

    /// <summary>Why the task failed, or a warning such as a truncated prompt, in words for the user.</summary>
    public string? Reason { get; set; }

    public DateTimeOffset? CompletedAt { get; set; }

    /// <summary>For a CSV job, the line of the file the task came from.</summary>
    public int? SourceLine { get; set; }

    [IgnoreDataMember]
    public bool IsFinal => Status is ImageTaskStatus.Succeeded or ImageTaskStatus.Failed;

    public string PartitionKey { get; set; } = "";
    public string RowKey { get; set; } = "";
    public DateTimeOffset? Timestamp { get; set; }
    public ETag ETag { get; set; }
}
