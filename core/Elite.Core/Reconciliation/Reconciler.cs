using System.Runtime.CompilerServices;
using Azure.Data.Tables;
using Azure.Storage.Blobs;
using Azure.Storage.Blobs.Models;
using Elite.Core.Concepts;
using Elite.Core.Jobs;
using Elite.Core.Messages;
using Elite.Core.Rows;
using Elite.Core.Storage;

namespace Elite.Core.Reconciliation;

/// <summary>How long the reconciler lets each thing be before it steps in, and how much one run may do.</summary>
public sealed record ReconcilerOptions
{
    public static ReconcilerOptions Default { get; } = new();

    /// <summary>A job whose intake has not completed by then stopped (a caller that went away, a CSV that failed to the poison queue).</summary>
    public TimeSpan IntakeDeadline { get; init; } = TimeSpan.FromMinutes(15);

    /// <summary>An upload older than this without its row missed its blob event (Event Grid gave up, or came before the subscription).</summary>
    public TimeSpan UploadGrace { get; init; } = TimeSpan.FromMinutes(2);

    /// <summary>Blobs looked at per container and run: the rest waits for the next run.</summary>
    public int MaxBlobsPerRun { get; init; } = 5000;
}

/// <summary>What one run of the reconciler set right.</summary>
public sealed record ReconcileReport(int EventsSent, int IntakesFinished, int TasksRequeued, int UploadsRegistered, int CsvJobsRead, int WebhookFailuresSurfaced);

/// <summary>
/// Finds what a crash or a lost event left unfinished and finishes it, with a reason the user sees: completion events
/// owed by a job that ended (its sender died), intakes that stopped part-way (their queued tasks run, the job ends),
/// uploads whose blob event never came, and completion events that failed to the poison queue. Runs as a timer
/// function; every step is idempotent, so two runs at once, or a run racing the normal path, do no harm.
/// </summary>
public sealed class Reconciler(StorageClients clients, ConceptIntake concepts, CsvJobIntake csvJobs, ReconcilerOptions? options = null, JobLanes? lanes = null, TimeProvider? time = null)
{
    private const string IntervalMinutes = "5";

    /// <summary>Every five minutes (NCRONTAB, with seconds): the timer trigger's schedule in Azure.</summary>
    public const string Schedule = "0 */" + IntervalMinutes + " * * * *";

    /// <summary>The same period, for the local host's timer (the WebJobs timer extension served here does not load with the storage host).</summary>
    public static TimeSpan Interval { get; } = TimeSpan.FromMinutes(int.Parse(IntervalMinutes, System.Globalization.CultureInfo.InvariantCulture));

    private readonly ReconcilerOptions _options = options ?? ReconcilerOptions.Default;
    private readonly TimeProvider _time = time ?? TimeProvider.System;
    private readonly JobCompletion _completion = new(clients, time ?? TimeProvider.System);
    private readonly TableClient _jobs = clients.Table(StorageNames.Tables.Jobs);

    public async Task<ReconcileReport> RunAsync(CancellationToken cancellationToken)
    {
        var (events, intakes, requeued) = await FinishJobsAsync(cancellationToken);
        var webhooks = await SurfacePoisonedEventsAsync(cancellationToken);
        var uploads = await RegisterMissedConceptUploadsAsync(cancellationToken);
        var csvs = await ReadMissedCsvUploadsAsync(cancellationToken);
        return new(events, intakes, requeued, uploads, csvs, webhooks);
    }

    private async Task<(int Events, int Intakes, int Requeued)> FinishJobsAsync(CancellationToken cancellationToken)
    {
        int events = 0, intakes = 0, requeued = 0;
        var now = _time.GetUtcNow();
        await foreach (var job in _jobs.QueryAsync<JobRow>(j => j.RowKey == JobRow.RowKeyValue && j.CompletionEventSent == false, cancellationToken: cancellationToken))
        {
            if (job.IsFinal && job.CompletedBy is { } completedBy && (job.CompletionEventClaimedUntil ?? now) <= now)
            {
                if (await _completion.SendIfOwedAsync(job, completedBy, madeFinal: false, cancellationToken)) events++;
            }
            else if (!job.IsFinal && !job.IntakeComplete && job.CreatedAt < now - _options.IntakeDeadline)
            {
                requeued += await FinishStoppedIntakeAsync(job, cancellationToken);
                intakes++;
            }
        }

        return (events, intakes, requeued);
    }

    /// <summary>
    /// The intake of <paramref name="job"/> stopped: the tasks whose rows it wrote run (their messages are sent again,
    /// as the intake's own retry would: a task is counted once), the job's count becomes theirs and its intake ends.
    /// </summary>
    private async Task<int> FinishStoppedIntakeAsync(JobRow job, CancellationToken cancellationToken)
    {
        var rows = new List<TaskRow>();
        await foreach (var row in clients.Table(StorageNames.Tables.Tasks).QueryAsync<TaskRow>(t => t.PartitionKey == job.JobId, cancellationToken: cancellationToken))
        {
            rows.Add(row);
        }

        var unsent = rows.Where(row => string.CompareOrdinal(row.TaskId, TaskIds.Format(job.EnqueuedCount)) >= 0 && !row.IsFinal).ToList();
        var queue = clients.Queue(JobLanes.QueueOf(job.Lane ?? (lanes ?? JobLanes.Default).For(rows.Count)));
        foreach (var row in unsent)
        {
            await queue.SendMessageAsync(QueueMessages.Serialize(new GenerateTask(job.JobId, row.TaskId, row.ConceptId, row.Parameters)), cancellationToken);
        }

        var stopped = job.Source == JobRow.CsvSource
            ? $"the CSV could not be read to the end: its intake stopped after {rows.Count} rows; those run"
            : $"the submission stopped after {rows.Count} of {job.TaskCount} images were queued; those run";
        await _completion.FinishIntakeAsync(
            job.JobId,
            row => row with { TaskCount = rows.Count, EnqueuedCount = rows.Count, RowsNotRead = true, Reason = row.Reason is null ? stopped : $"{row.Reason}; {stopped}" },
            cancellationToken);
        return unsent.Count;
    }

    /// <summary>A completion event that failed to the poison queue would leave the webhook Retrying forever: it is recorded as failed, with why.</summary>
    private async Task<int> SurfacePoisonedEventsAsync(CancellationToken cancellationToken)
    {
        var poison = clients.Queue(StorageNames.Queues.JobEventsPoison);
        var surfaced = 0;
        while (true)
        {
            var messages = (await poison.ReceiveMessagesAsync(maxMessages: 32, TimeSpan.FromMinutes(1), cancellationToken)).Value;
            if (messages.Length == 0) return surfaced;
            foreach (var message in messages)
            {
                if (TryRead(message.Body.ToString()) is { Kind: not JobEvent.Completed } progress)
                {
                    // A progress event does not settle the completion webhook: it is only named in the job's reason.
                    var lost = $"webhook event {progress.Kind} not delivered: it failed repeatedly inside the pipeline and went to the job-events-poison queue";
                    await _jobs.UpdateAsync<JobRow>(progress.JobId, JobRow.RowKeyValue, job => job with { Reason = job.Reason is null ? lost : $"{job.Reason}; {lost}" }, cancellationToken);
                    surfaced++;
                }
                else if (TryRead(message.Body.ToString()) is { } jobEvent)
                {
                    const string Error = "the webhook's event failed repeatedly inside the pipeline and went to the job-events-poison queue";
                    await _jobs.UpdateAsync<JobRow>(
                        jobEvent.JobId,
                        JobRow.RowKeyValue,
                        job => job.WebhookStatus is WebhookState.Delivered or WebhookState.GaveUp || job.WebhookUrl is null
                            ? null
                            : job with { WebhookStatus = WebhookState.GaveUp, LastWebhookError = Error, Reason = job.Reason is null ? $"webhook not delivered: {Error}" : $"{job.Reason}; webhook not delivered: {Error}" },
                        cancellationToken);
                    surfaced++;
                }

                await poison.DeleteMessageAsync(message.MessageId, message.PopReceipt, cancellationToken);
            }
        }
    }

    private static JobEvent? TryRead(string body)
    {
        try
        {
            var jobEvent = QueueMessages.Deserialize<JobEvent>(body);
            return ResourceId.IsValid(jobEvent.JobId) ? jobEvent : null;
        }
        catch (InvalidMessageException)
        {
            return null;
        }
    }

    /// <summary>A photo or mask whose concept has no row, or whose row is older than it: its blob event was lost.</summary>
    private async Task<int> RegisterMissedConceptUploadsAsync(CancellationToken cancellationToken)
    {
        var container = clients.Container(StorageNames.Containers.Concepts);
        var lifecycle = new ConceptLifecycle(clients);
        var rows = new Dictionary<string, ConceptRow?>(StringComparer.Ordinal);
        var registered = 0;
        await foreach (var blob in OldEnoughBlobsAsync(container, cancellationToken))
        {
            var slash = blob.Name.IndexOf('/');
            if (slash <= 0 || blob.Name.IndexOf('/', slash + 1) >= 0) continue; // not concepts/{conceptId}/{file}
            var (conceptId, file) = (blob.Name[..slash], blob.Name[(slash + 1)..]);
            if (!ResourceId.IsValid(conceptId) || !ResourceId.IsValid(file)) continue;
            if (!rows.TryGetValue(conceptId, out var row)) rows[conceptId] = row = await lifecycle.GetAsync(conceptId, cancellationToken);
            if (row is not null && row.Timestamp >= blob.Properties.LastModified) continue;
            var result = await concepts.RegisterBlobAsync(container.GetBlobClient(blob.Name), conceptId, file, cancellationToken);
            if (result.Outcome is not (ConceptUploadOutcome.AlreadyRegistered or ConceptUploadOutcome.Ignored)) registered++;
            rows[conceptId] = await lifecycle.GetAsync(conceptId, cancellationToken);
        }

        return registered;
    }

    /// <summary>A prompt CSV whose version has no job: its blob event was lost.</summary>
    private async Task<int> ReadMissedCsvUploadsAsync(CancellationToken cancellationToken)
    {
        var container = clients.Container(StorageNames.Containers.Jobs);
        var read = 0;
        await foreach (var blob in OldEnoughBlobsAsync(container, cancellationToken))
        {
            if (!blob.Name.EndsWith(".csv", StringComparison.OrdinalIgnoreCase) || blob.Properties.ETag is not { } etag) continue;
            var name = blob.Name[..^4];
            if (await _jobs.GetOrDefaultAsync<JobRow>(CsvJobIntake.JobIdFor(name, etag.ToString()), JobRow.RowKeyValue, cancellationToken) is not null) continue;
            await csvJobs.ProcessBlobAsync(name, cancellationToken);
            read++;
        }

        return read;
    }

    /// <summary>Where the last run stopped listing each container, so that a run bounded by MaxBlobsPerRun goes on from there.</summary>
    private readonly Dictionary<string, string?> _listedUpTo = new(StringComparer.Ordinal);

    /// <summary>The container's blobs older than the upload grace, at most about MaxBlobsPerRun of them, from where the last run stopped.</summary>
    private async IAsyncEnumerable<BlobItem> OldEnoughBlobsAsync(BlobContainerClient container, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var before = _time.GetUtcNow() - _options.UploadGrace;
        var seen = 0;
        string? continuation;
        lock (_listedUpTo) continuation = _listedUpTo.GetValueOrDefault(container.Name);
        await foreach (var page in container.GetBlobsAsync(cancellationToken: cancellationToken).AsPages(continuation, Math.Min(_options.MaxBlobsPerRun, 5000)))
        {
            foreach (var blob in page.Values)
            {
                if (blob.Properties.LastModified <= before) yield return blob;
            }

            continuation = page.ContinuationToken; // null at the end: the next run starts from the first blob
            seen += page.Values.Count;
            if (seen >= _options.MaxBlobsPerRun) break;
        }

        lock (_listedUpTo) _listedUpTo[container.Name] = continuation;
    }
}
