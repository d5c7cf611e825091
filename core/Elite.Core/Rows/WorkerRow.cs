using Azure;
using Azure.Data.Tables;

namespace Elite.Core.Rows;

/// <summary>
/// A worker's heartbeat, in table <c>Workers</c>: partition key <see cref="PartitionKeyValue"/>, row key the worker's
/// instance (host name and process id). Rewritten every <see cref="Interval"/> while it runs and removed when it stops,
/// so <c>GET /api/status</c> lists the workers seen recently (one killed outright ages out).
/// </summary>
public sealed record WorkerRow : ITableEntity
{
    public const string PartitionKeyValue = "worker";

    public static readonly TimeSpan Interval = TimeSpan.FromSeconds(30);

    /// <summary>A worker not heard from for this long is not counted as running.</summary>
    public static readonly TimeSpan SeenRecently = 4 * Interval;

    public WorkerRow() { }

    public WorkerRow(string instance)
    {
        PartitionKey = PartitionKeyValue;
        RowKey = instance;
    }

    public string Instance => RowKey;

    public string PackId { get; set; } = "";

    /// <summary>The execution provider the worker runs its graphs on (CUDA or CPU).</summary>
    public string Provider { get; set; } = "";

    public int MaxBatch { get; set; }
    public DateTimeOffset StartedAt { get; set; }
    public DateTimeOffset LastSeenAt { get; set; }

    public string PartitionKey { get; set; } = "";
    public string RowKey { get; set; } = "";
    public DateTimeOffset? Timestamp { get; set; }
    public ETag ETag { get; set; }
}
