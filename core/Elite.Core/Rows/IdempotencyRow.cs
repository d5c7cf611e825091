using System.Security.Cryptography;
using System.Text;
using Azure;
using Azure.Data.Tables;
using Elite.Core.Callers;

namespace Elite.Core.Rows;

/// <summary>
/// An <c>Idempotency-Key</c> that a caller sent with a job submission, in table <c>Jobs</c>. Keys are the caller's
/// own: two callers may use the same key for different jobs. The key may hold characters that table keys refuse, so
/// the partition key is <c>idempotency-</c> + the SHA-256 (hex) of the caller and the key.
/// </summary>
public sealed record IdempotencyRow : ITableEntity
{
    public const string PartitionPrefix = "idempotency-";
    public const string RowKeyValue = "idempotency";

    public IdempotencyRow() { }

    public IdempotencyRow(Caller caller, string key)
    {
        PartitionKey = PartitionKeyFor(caller, key);
        RowKey = RowKeyValue;
        Key = key;
    }

    public static string PartitionKeyFor(Caller caller, string key) =>
        PartitionPrefix + Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes($"{caller.Id}\n{key}")));

    /// <summary>The key as the caller sent it.</summary>
    public string Key { get; set; } = "";

    /// <summary>The job the key belongs to; chosen before the job row is written.</summary>
    public string JobId { get; set; } = "";

    /// <summary>SHA-256 of the normalised submission: the same key with another request is refused.</summary>
    public string RequestHash { get; set; } = "";

    public DateTimeOffset? CreatedAt { get; set; }

    public string PartitionKey { get; set; } = "";
    public string RowKey { get; set; } = "";
    public DateTimeOffset? Timestamp { get; set; }
    public ETag ETag { get; set; }
}
