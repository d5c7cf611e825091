using Azure.Data.Tables;
using Elite.Core.Callers;
using Elite.Core.Rows;
using Elite.Core.Storage;

namespace Elite.Core.Jobs;

/// <summary>One page of a listing and the token of the next (null at the end). A page may hold fewer items than asked for.</summary>
public sealed record Page<T>(IReadOnlyList<T> Items, string? Continuation);

/// <summary>
/// Jobs read the way callers see them: a job is its owner's alone (another caller is told it does not exist), a
/// caller's jobs are listed newest first through <see cref="JobIndexRow"/>s, and a job's tasks are read a page at a
/// time (a page's continuation is its last row key), so no request reads a whole 50,000-task job.
/// </summary>
public sealed class JobList(StorageClients clients)
{
    public const int DefaultPageSize = 100;
    public const int MaxPageSize = 1000;
    public const string InvalidContinuation = "is not a continuation that this listing gave";

    private readonly TableClient _jobs = clients.Table(StorageNames.Tables.Jobs);
    private readonly TableClient _tasks = clients.Table(StorageNames.Tables.Tasks);

    /// <summary>
    /// Writes a new job's row (or finds the one an earlier try wrote) and lists it for its owner. Both writes are
    /// idempotent, so a retried intake lists the job once.
    /// </summary>
    public static async Task<JobRow> CreateAsync(StorageClients clients, JobRow job, Caller? owner, CancellationToken cancellationToken)
    {
        var jobs = clients.Table(StorageNames.Tables.Jobs);
        var stored = (await jobs.AddOrGetAsync(job, cancellationToken)).Row;
        if (owner is not null)
        {
            await jobs.UpsertEntityAsync(new JobIndexRow(owner, stored), TableUpdateMode.Replace, cancellationToken);
        }

        return stored;
    }

    /// <summary>The job, if it exists and belongs to <paramref name="caller"/>.</summary>
    public async Task<JobRow?> GetAsync(Caller caller, string jobId, CancellationToken cancellationToken)
    {
        var job = await _jobs.GetOrDefaultAsync<JobRow>(jobId, JobRow.RowKeyValue, cancellationToken);
        return job is not null && caller.Owns(job) ? job : null;
    }

    /// <summary>The caller's jobs, newest first.</summary>
    /// <exception cref="ArgumentException">The continuation is not a key of this listing.</exception>
    public async Task<Page<JobRow>> ListAsync(Caller caller, string? continuation, int pageSize, CancellationToken cancellationToken)
    {
        var page = await PageAsync<JobIndexRow>(_jobs, JobIndexRow.PartitionKeyFor(caller), continuation, pageSize, cancellationToken);
        var rows = await Task.WhenAll(page.Items.Select(index => _jobs.GetOrDefaultAsync<JobRow>(index.JobId, JobRow.RowKeyValue, cancellationToken)));
        return new([.. rows.OfType<JobRow>().Where(caller.Owns)], page.Continuation);
    }

    /// <summary>A page of the job's tasks, in task id order.</summary>
    /// <exception cref="ArgumentException">The continuation is not a key of this listing.</exception>
    public Task<Page<TaskRow>> TasksAsync(string jobId, string? continuation, int pageSize, CancellationToken cancellationToken) =>
        PageAsync<TaskRow>(_tasks, jobId, continuation, pageSize, cancellationToken);

    /// <summary>
    /// Up to <paramref name="pageSize"/> rows of one partition after the row key <paramref name="continuation"/> (the
    /// last row of the page before), and the last row key of this page when more follow. One more row than the page is
    /// read to tell whether any follow. Row keys here are ids and the index's keys (time, '-', id): a continuation of
    /// other characters was not made by a listing.
    /// </summary>
    internal static async Task<Page<T>> PageAsync<T>(TableClient table, string partitionKey, string? continuation, int pageSize, CancellationToken cancellationToken)
        where T : class, ITableEntity
    {
        if (continuation is not null && !(continuation.Length <= 2 * ResourceId.MaxLength && continuation.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.')))
        {
            throw new ArgumentException(InvalidContinuation, nameof(continuation));
        }

        var filter = continuation is null
            ? TableClient.CreateQueryFilter($"PartitionKey eq {partitionKey}")
            : TableClient.CreateQueryFilter($"PartitionKey eq {partitionKey} and RowKey gt {continuation}");
        var rows = new List<T>(pageSize + 1);
        await foreach (var row in table.QueryAsync<T>(filter, maxPerPage: Math.Min(pageSize + 1, MaxPageSize), cancellationToken: cancellationToken))
        {
            rows.Add(row);
            if (rows.Count > pageSize) break;
        }

        return rows.Count > pageSize ? new(rows[..pageSize], rows[pageSize - 1].RowKey) : new(rows, null);
    }
}
