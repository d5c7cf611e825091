using System.Net;
using Azure;
using Azure.Data.Tables;
using Polly;
using Polly.Retry;

namespace Elite.Core.Storage;

/// <summary>Optimistic concurrency on table rows: many workers update the same job row.</summary>
public static class TableConcurrency
{
    private const int PreconditionFailed = 412;

    // Backoff with jitter spreads writers that keep colliding on one hot row (a job with many parallel tasks).
    private static readonly ResiliencePipeline ConflictRetry = new ResiliencePipelineBuilder()
        .AddRetry(new RetryStrategyOptions
        {
            ShouldHandle = new PredicateBuilder().Handle<ConcurrencyConflictException>(),
            MaxRetryAttempts = 60,
            BackoffType = DelayBackoffType.Exponential,
            UseJitter = true,
            Delay = TimeSpan.FromMilliseconds(10),
            MaxDelay = TimeSpan.FromSeconds(1),
        })
        .Build();

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

    /// <summary>
    /// Runs <paramref name="attempt"/> (read, decide, conditional write) again, after a growing jittered delay, each
    /// time it throws <see cref="ConcurrencyConflictException"/>. After 60 conflicts that exception propagates.
    /// </summary>
    public static ValueTask<T> RetryOnConflictAsync<T>(Func<CancellationToken, ValueTask<T>> attempt, CancellationToken cancellationToken = default) =>
        ConflictRetry.ExecuteAsync(attempt, cancellationToken);

    /// <summary>
    /// Reads a row, applies <paramref name="change"/> and writes the result if the row is unchanged since the read;
    /// on a conflict, reads again and re-applies. <paramref name="change"/> returns the new row (a <c>with</c> copy,
    /// which keeps the ETag) or null when nothing needs writing. Returns the row as stored, or null when it does not exist.
    /// </summary>
    public static async Task<T?> UpdateAsync<T>(
        this TableClient table, string partitionKey, string rowKey, Func<T, T?> change, CancellationToken cancellationToken = default)
        where T : class, ITableEntity
    {
        return await RetryOnConflictAsync<T?>(async token =>
        {
            var current = await table.GetEntityIfExistsAsync<T>(partitionKey, rowKey, cancellationToken: token);
            if (!current.HasValue || current.Value is not { } row)
            {
                return null;
            }

            var changed = change(row);
            if (changed is null)
            {
                return row;
            }

            return await table.TryReplaceAsync(changed, token) ? changed : throw new ConcurrencyConflictException();
        }, cancellationToken);
    }

    /// <summary>Adds <paramref name="row"/>, or returns the row already stored under its keys (<c>Added</c> false), as a retried or concurrent writer finds it.</summary>
    public static async Task<(T Row, bool Added)> AddOrGetAsync<T>(this TableClient table, T row, CancellationToken cancellationToken = default)
        where T : class, ITableEntity
    {
        try
        {
            var response = await table.AddEntityAsync(row, cancellationToken);
            row.ETag = response.Headers.ETag ?? row.ETag;
            return (row, true);
        }
        catch (RequestFailedException e) when (e.Status == (int)HttpStatusCode.Conflict)
        {
            return ((await table.GetEntityAsync<T>(row.PartitionKey, row.RowKey, cancellationToken: cancellationToken)).Value, false);
        }
    }

    /// <summary>Reads a row, or null when it does not exist.</summary>
    public static async Task<T?> GetOrDefaultAsync<T>(this TableClient table, string partitionKey, string rowKey, CancellationToken cancellationToken = default)
        where T : class, ITableEntity
    {
        var response = await table.GetEntityIfExistsAsync<T>(partitionKey, rowKey, cancellationToken: cancellationToken);
        return response.HasValue ? response.Value : null;
    }
}

/// <summary>Someone else changed the row between our read and our conditional write; read again and retry.</summary>
public sealed class ConcurrencyConflictException() : Exception("The row changed while it was being updated.");
