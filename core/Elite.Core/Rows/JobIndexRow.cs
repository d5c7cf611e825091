using System.Globalization;
using Azure;
using Azure.Data.Tables;
using Elite.Core.Callers;

namespace Elite.Core.Rows;

/// <summary>
/// One job in its caller's list, in table <c>Jobs</c>: partition key <c>jobs-of-</c> + <see cref="Caller.Key"/>, row
/// key the job's creation time counted down from the end of time, then the job id, so a plain query of the partition
/// reads the caller's jobs newest first. Written once the job row exists; the job row stays the one source of its state.
/// </summary>
public sealed record JobIndexRow : ITableEntity
{
    public const string PartitionPrefix = "jobs-of-";

    public JobIndexRow() { }

    public JobIndexRow(Caller caller, JobRow job)
    {
        PartitionKey = PartitionKeyFor(caller);
        RowKey = (DateTimeOffset.MaxValue.UtcTicks - (job.CreatedAt ?? DateTimeOffset.UnixEpoch).UtcTicks).ToString("D19", CultureInfo.InvariantCulture) + "-" + job.JobId;
        JobId = job.JobId;
    }

    public static string PartitionKeyFor(Caller caller) => PartitionPrefix + caller.Key;

    public string JobId { get; set; } = "";

    public string PartitionKey { get; set; } = "";
    public string RowKey { get; set; } = "";
    public DateTimeOffset? Timestamp { get; set; }
    public ETag ETag { get; set; }
}
