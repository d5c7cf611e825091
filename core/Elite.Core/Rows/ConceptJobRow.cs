using Azure;
using Azure.Data.Tables;

namespace Elite.Core.Rows;

/// <summary>
/// A job that uses a concept, in table <c>Concepts</c> beside the concept's row (partition key = concept id, row key
/// <c>job-{jobId}</c>): written by the intakes, read when the concept is to be deleted, so a concept that running
/// jobs still need is not.
/// </summary>
public sealed record ConceptJobRow : ITableEntity
{
    public const string RowKeyPrefix = "job-";

    public ConceptJobRow() { }

    public ConceptJobRow(string conceptId, string jobId)
    {
        PartitionKey = Storage.ResourceId.Require(conceptId, "concept id");
        RowKey = RowKeyPrefix + Storage.ResourceId.Require(jobId, "job id");
        JobId = jobId;
    }

    public string JobId { get; set; } = "";

    public string PartitionKey { get; set; } = "";
    public string RowKey { get; set; } = "";
    public DateTimeOffset? Timestamp { get; set; }
    public ETag ETag { get; set; }
}
