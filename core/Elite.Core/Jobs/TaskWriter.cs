using System.Net;
using System.Globalization;
using Azure;
using Azure.Data.Tables;
using Elite.Contracts.Generation;
using Elite.Core.Messages;
using Elite.Core.Rows;
using Elite.Core.Storage;

namespace Elite.Core.Jobs;

/// <summary>Task ids: the 0-based index of the image in its job, zero-padded ("000000", "000001", ...) so they sort.</summary>
public static class TaskIds
{
    public static string Format(int index) => index.ToString("D6", CultureInfo.InvariantCulture);
}

/// <summary>
/// Writes a job's tasks in batches: the task rows (one entity group transaction per batch), then their
/// <c>generate</c> messages, then the checkpoint <see cref="JobRow.EnqueuedCount"/>. Rows go before messages so a
/// worker never meets a task without a row. A writer that resumes an interrupted intake skips the tasks before the
/// checkpoint; the batch after it may send some messages twice (at least once), never a second row.
/// The job's lane (<see cref="JobLanes"/>) is decided by its first batch: a job that ends within it and is small enough is
/// interactive, any other bulk; the lane is kept on the job row with the checkpoint, so a resumed intake keeps it.
/// </summary>
internal sealed class TaskWriter(StorageClients clients, JobRow job, JobLanes lanes)
{
    public const int BatchSize = 100; // the most actions an entity group transaction takes
    private const int ParallelSends = 16;

    private readonly TableClient _tasks = clients.Table(StorageNames.Tables.Tasks);
    private readonly List<(TaskRow Row, GenerateTask Message)> _pending = new(BatchSize);
    private readonly string jobId = job.JobId;
    private readonly int alreadyEnqueued = job.EnqueuedCount;
    private JobLane? _lane = job.Lane;

    /// <summary>Tasks given so far, including those skipped because an earlier run enqueued them.</summary>
    public int Count { get; private set; }

    /// <param name="sourceLine">For a CSV job, the line of the file the task comes from.</param>
    public async Task AddAsync(string conceptId, GenerationParameters parameters, int? sourceLine, CancellationToken cancellationToken)
    {
        var taskId = TaskIds.Format(Count++);
        if (Count <= alreadyEnqueued)
        {
            return;
        }

        _pending.Add((TaskRow.Queued(jobId, taskId, conceptId, parameters, sourceLine), new GenerateTask(jobId, taskId, conceptId, parameters)));
        if (_pending.Count == BatchSize)
        {
            await FlushAsync(last: false, cancellationToken);
        }
    }

    /// <summary>Writes the tasks still pending: the job has no more.</summary>
    public Task FinishAsync(CancellationToken cancellationToken) => FlushAsync(last: true, cancellationToken);

    private async Task FlushAsync(bool last, CancellationToken cancellationToken)
    {
        if (_pending.Count == 0)
        {
            return;
        }

        await WriteRowsAsync(cancellationToken);
        int? ahead = null;
        if (_lane is null)
        {
            _lane = last ? lanes.For(Count) : JobLane.Bulk;
            ahead = (await clients.Queue(JobLanes.QueueOf(_lane.Value)).GetPropertiesAsync(cancellationToken)).Value.ApproximateMessagesCount;
        }

        var lane = _lane.Value;
        var queue = clients.Queue(JobLanes.QueueOf(lane));
        await Parallel.ForEachAsync(
            _pending,
            new ParallelOptions { MaxDegreeOfParallelism = ParallelSends, CancellationToken = cancellationToken },
            async (task, token) => await queue.SendMessageAsync(QueueMessages.Serialize(task.Message), token));

        var enqueued = Count;
        await clients.Table(StorageNames.Tables.Jobs).UpdateAsync<JobRow>(
            jobId,
            JobRow.RowKeyValue,
            row => row.EnqueuedCount >= enqueued
                ? null
                : row with { EnqueuedCount = enqueued, TaskCount = Math.Max(row.TaskCount, enqueued), Lane = row.Lane ?? lane, QueuedAhead = row.QueuedAhead ?? ahead },
            cancellationToken);
        _pending.Clear();
    }

    private async Task WriteRowsAsync(CancellationToken cancellationToken)
    {
        try
        {
            await _tasks.SubmitTransactionAsync(_pending.Select(t => new TableTransactionAction(TableTransactionActionType.Add, t.Row)), cancellationToken);
        }
        catch (TableTransactionFailedException e) when (e.Status == (int)HttpStatusCode.Conflict)
        {
            // Some rows exist: an earlier run wrote this batch and stopped before its checkpoint. Add the others one
            // by one and leave the existing ones alone: their tasks may have run already.
            foreach (var (row, _) in _pending)
            {
                try
                {
                    await _tasks.AddEntityAsync(row, cancellationToken);
                }
                catch (RequestFailedException existing) when (existing.Status == (int)HttpStatusCode.Conflict)
                {
                }
            }
        }
    }
}
