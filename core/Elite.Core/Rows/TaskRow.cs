using System.Globalization;
using System.Runtime.Serialization;
using Azure;
using Azure.Data.Tables;
using Elite.Contracts.Generation;

namespace Elite.Core.Rows;

/// <summary>State of one image task (named so, not TaskStatus, to stay clear of System.Threading.Tasks).</summary>
public enum ImageTaskStatus
{
    Queued,
    Running,
    Succeeded,
    Failed,

    /// <summary>Its job was canceled before the task started.</summary>
    Canceled,
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

    /// <summary>A new task of a job, queued, with the parameters of its image.</summary>
    public static TaskRow Queued(string jobId, string taskId, string conceptId, GenerationParameters parameters, int? sourceLine) =>
        new(jobId, taskId)
        {
            Status = ImageTaskStatus.Queued,
            ConceptId = conceptId,
            Prompt = parameters.Prompt,
            NegativePrompt = parameters.NegativePrompt.Length > 0 ? parameters.NegativePrompt : null,
            Seed = parameters.Seed,
            Steps = parameters.Steps,
            Guidance = Widen(parameters.Guidance),
            Lambda = Widen(parameters.Lambda),
            Scheduler = SchedulerNames.Of(parameters.Scheduler),
            SourceLine = sourceLine,
        };

    /// <summary>The parameters of this task's image, as <see cref="Queued"/> stored them.</summary>
    [IgnoreDataMember]
    public GenerationParameters Parameters =>
        new(Prompt, NegativePrompt ?? "", Seed, Steps, (float)Guidance, (float)Lambda, SchedulerNames.Parse(Scheduler));

    public ImageTaskStatus Status { get; set; }

    // Tables store no float: the parameters are widened to double and the scheduler stored by name.
    public string ConceptId { get; set; } = "";
    public string Prompt { get; set; } = "";
    public string? NegativePrompt { get; set; }
    public long Seed { get; set; }
    public int Steps { get; set; }
    public double Guidance { get; set; }
    public double Lambda { get; set; }
    public string Scheduler { get; set; } = "";

    /// <summary>The <see cref="ConceptRow.Version"/> (photo and mask) the task was generated from, set when it started.</summary>
    public string? ConceptVersion { get; set; }

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
    public bool IsFinal => Status is ImageTaskStatus.Succeeded or ImageTaskStatus.Failed or ImageTaskStatus.Canceled;

    /// <summary>The double that reads as the float the caller sent (0.6, not 0.6000000238418579); it narrows back to the same float.</summary>
    private static double Widen(float value) => double.Parse(value.ToString(CultureInfo.InvariantCulture), CultureInfo.InvariantCulture);

    public string PartitionKey { get; set; } = "";
    public string RowKey { get; set; } = "";
    public DateTimeOffset? Timestamp { get; set; }
    public ETag ETag { get; set; }
}
