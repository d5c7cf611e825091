using Azure;
using Azure.Data.Tables;

namespace Elite.Core.Storage;

/// <summary>Optimistic concurrency on table rows: many workers update the same job row.</summary>
public static class TableConcurrency
{
    private const int PreconditionFailed = 412;

    /// <summary>
    /// Replaces <paramref name="row"/> only if nobody changed it since it was read (its ETag still matches).
    /// Returns false on a conflict, so the caller can read again and retry; any other failure throws.
    /// </summary>
    public static async Task<bool> TryReplaceAsync<T>(this TableClient table, T row, CancellationToken cancellationToken = default)
        where T : class, ITableEntity
    {
        try
        {
            var response = await table.UpdateEntityAsync(row, row.ETag, TableUpdateMode.Replace, cancellationToken);
            row.ETag = response.Headers.ETag ?? row.ETag;
            return true;
        }
        catch (RequestFailedException e) when (e.Status == PreconditionFailed)
        {
            return false;
        }
    }
}
