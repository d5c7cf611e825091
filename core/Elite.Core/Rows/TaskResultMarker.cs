using Azure;
using Azure.Data.Tables;

namespace Elite.Core.Rows;

/// <summary>
/// Proof that a task's result is in its job's counters, in table <c>Jobs</c> beside the job row (partition key =
/// job id, row key <c>result-{taskId}</c>). It is inserted in the same entity group transaction that updates the
/// counters, so a result is counted exactly once however often the worker reports it.
/// </summary>
public sealed record TaskResultMarker : ITableEntity
{
    public const string RowKeyPrefix = "result-";

    public TaskResultMarker() { }

    public TaskResultMarker(string jobId, string taskId)
    {
        PartitionKey = Storage.ResourceId.Require(jobId, "job id");
        RowKey = RowKeyPrefix + Storage.ResourceId.Require(taskId, "task id");
    }

    public bool Succeeded { get; set; }

    public string PartitionKey { get; set; } = "";
    public string RowKey { get; set; } = "";
    public DateTimeOffset? Timestamp { get; set; }
    public ETag ETag { get; set; }
}
