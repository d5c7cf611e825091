using System.Diagnostics;
using System.Globalization;
using System.Net;
using Azure;
using Azure.Storage.Blobs.Models;
using Azure.Storage.Queues;
using Elite.Contracts.Generation;
using Elite.Contracts.Text;
using Elite.Core.Concepts;
using Elite.Core.Configuration;
using Elite.Core.Jobs;
using Elite.Core.Messages;
using Elite.Core.Rows;
using Elite.Core.Storage;
using Elite.Inference.Concepts;
using Elite.Inference.Generation;
using Elite.Inference.Imaging;
using Elite.Inference.Text;
using Microsoft.Extensions.Options;

namespace Elite.Worker;

/// <summary>
/// Consumes the generate lanes (<see cref="JobLanes"/>: <c>generate</c> first, then <c>generate-bulk</c>) with dynamic batching: takes up to MaxBatch tasks, waiting at most MaxWaitMs
/// for the batch to fill, groups them by what must match (steps and scheduler; one pack per worker),
/// and runs each group as batched generations. Every message is safe to see twice: a task whose row
/// is already final is acknowledged without work, results have deterministic blob names, and job
/// counters move through <see cref="JobAccounting"/>. The tasks of a canceled job are acknowledged as Canceled
/// without generating (each batch reads its jobs), and a task canceled while its batch was prepared is dropped from it.
/// </summary>
public sealed class GenerateWorker(
    StorageClients clients,
    WorkerRuntime runtime,
    ConceptCache cache,
    WorkerMetrics metrics,
    IOptions<WorkerOptions> options,
    ILogger<GenerateWorker> logger) : BackgroundService
{
    private readonly WorkerOptions settings = options.Value;
    private readonly JobAccounting accounting = new(clients);
    private readonly ConceptLifecycle lifecycle = new(clients);

    private readonly IReadOnlyList<QueueClient> lanes = [.. JobLanes.QueuesInOrder.Select(clients.Queue)];

    private TimeSpan Visibility => TimeSpan.FromSeconds(settings.VisibilitySeconds);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var idle = new IdleBackoff();
        while (!stoppingToken.IsCancellationRequested)
        {
            var leases = await TakeBatchAsync(stoppingToken);
            if (leases.Count == 0)
            {
                await idle.WaitAsync(stoppingToken);
                continue;
            }

            idle.Reset();
            try
            {
                // A batch in hand is finished even when stopping (SIGTERM); new work is no longer taken.
                await ProcessAsync(leases, CancellationToken.None);
            }
            catch (Exception e)
            {
                logger.LogError(e, "A batch of {Count} tasks failed; its messages will be delivered again", leases.Count);
            }
            finally
            {
                foreach (var lease in leases) await lease.DisposeAsync();
            }
        }
    }

    /// <summary>
    /// Takes up to MaxBatch messages, each round from the interactive lane first and the bulk lane for the rest: the first
    /// as soon as there is one, the rest for at most MaxWaitMs.
    /// </summary>
    internal async Task<List<MessageLease>> TakeBatchAsync(CancellationToken cancellationToken)
    {
        var leases = new List<MessageLease>();
        var clock = Stopwatch.StartNew();
        try
        {
            while (leases.Count < settings.MaxBatch)
            {
                var found = false;
                foreach (var queue in lanes)
                {
                    if (leases.Count == settings.MaxBatch) break;
                    var received = await queue.ReceiveMessagesAsync(Math.Min(32, settings.MaxBatch - leases.Count), Visibility, cancellationToken);
                    leases.AddRange(received.Value.Select(m => new MessageLease(queue, m, Visibility)));
                    found |= received.Value.Length > 0;
                }

                if (leases.Count == 0 || clock.ElapsedMilliseconds >= settings.MaxWaitMs) break;
                if (!found) await Task.Delay(TimeSpan.FromMilliseconds(Math.Min(100, settings.MaxWaitMs)), cancellationToken);
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            foreach (var lease in leases)
            {
                await lease.ReleaseAsync(CancellationToken.None);
                await lease.DisposeAsync();
            }

            return [];
        }
        catch (Exception e) when (StorageErrors.IsTransient(e))
        {
            // The storage account is struggling (or restarting): run what is in hand, or wait and ask again; the consumer must not stop.
            logger.LogWarning("Could not receive generate tasks: {Reason}", e.Message);
            if (leases.Count == 0) await Task.Delay(TimeSpan.FromSeconds(1), cancellationToken);
        }

        return leases;
    }

    internal async Task ProcessAsync(IReadOnlyList<MessageLease> leases, CancellationToken cancellationToken)
    {
        var ready = new List<PreparedTask>();
        var batch = new BatchLookups(); // one lookup per concept and job in a batch
        foreach (var lease in leases)
        {
            if (await PrepareAsync(lease, batch, cancellationToken) is { } prepared) ready.Add(prepared);
        }

        foreach (var group in ready.GroupBy(r => (r.Task.Parameters.Steps, r.Task.Parameters.Scheduler)))
        {
            var items = new List<PreparedTask>();
            foreach (var item in group)
            {
                var row = await accounting.MarkTaskRunningAsync(item.Task.JobId, item.Task.TaskId, item.ConceptVersion, cancellationToken);
                if (row.IsFinal)
                {
                    // Canceled (or finished by another delivery) since it was read; counted again in case whoever did it died first.
                    await accounting.RecordTaskResultAsync(row.JobId, row.TaskId, row.Status, row.ResultBlob, row.Reason, cancellationToken);
                    await item.Lease.CompleteAsync(cancellationToken);
                    continue;
                }

                items.Add(item);
            }

            if (items.Count == 0) continue;
            var generationSettings = new GenerationSettings(group.Key.Steps, group.Key.Scheduler);

            var clock = Stopwatch.StartNew();
            GenerationResult result;
            try
            {
                result = new Generator(runtime.Models).Generate([.. items.Select(i => i.Request)], generationSettings, cancellationToken: cancellationToken);
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                // The batch is delivered again; the task rows keep the cause, so a task that fails for good says why.
                foreach (var item in items) await accounting.RecordAttemptErrorAsync(item.Task.JobId, item.Task.TaskId, $"generation failed: {e.Message}", cancellationToken);
                throw;
            }

            var seconds = clock.Elapsed.TotalSeconds;
            metrics.BatchSize.Record(items.Count);
            metrics.StepsPerSecond.Record(generationSettings.Steps / result.Timings.UNet.TotalSeconds);
            metrics.ImagesPerSecond.Record(items.Count / seconds);
            metrics.Images.Add(items.Count);
            logger.LogInformation("Generated {Count} images ({Steps} {Scheduler} steps) in {Seconds:F1} s", items.Count, generationSettings.Steps, SchedulerNames.Of(generationSettings.Scheduler), seconds);

            for (var i = 0; i < items.Count; i++)
            {
                await StoreAsync(items[i], result.Images[i], cancellationToken);
            }
        }
    }

    /// <summary>
    /// Stores one image and records it. A failure here is this task's alone: one that can never pass (an image that
    /// cannot be encoded) fails the task with its reason; a transient one leaves the message to be delivered again.
    /// </summary>
    private async Task StoreAsync(PreparedTask prepared, RgbImage image, CancellationToken cancellationToken)
    {
        var (lease, task, request, _) = prepared;
        try
        {
            var blob = BlobPaths.Result(task.JobId, task.TaskId);
            var png = PngEncoder.Encode(image, Metadata(prepared));
            await clients.Container(StorageNames.Containers.Results).GetBlobClient(blob).UploadAsync(
                new BinaryData(png), new BlobUploadOptions { HttpHeaders = new BlobHttpHeaders { ContentType = "image/png" } }, cancellationToken);
            var warning = request.Prompt.Truncated ? TokenLimits.TruncationWarning : null;
            await accounting.RecordTaskResultAsync(task.JobId, task.TaskId, ImageTaskStatus.Succeeded, blob, warning, cancellationToken);
            await lease.CompleteAsync(cancellationToken);
        }
        catch (Exception e) when (StorageErrors.IsTransient(e))
        {
            logger.LogWarning("Task {JobId}/{TaskId}: its result could not be stored ({Reason}); it will be delivered again", task.JobId, task.TaskId, e.Message);
            await accounting.RecordAttemptErrorAsync(task.JobId, task.TaskId, $"its result could not be stored: {e.Message}", cancellationToken);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            await FailAsync(lease, task, $"the image could not be stored: {e.Message}", poison: false, cancellationToken);
        }
    }

    /// <summary>Turns a message into a generation request, or settles it (acknowledged, delayed, failed, poisoned) and returns null.</summary>
    /// <summary>A task ready to generate: its message, its request, and the concept version its embedding is of.</summary>
    private sealed record PreparedTask(MessageLease Lease, GenerateTask Task, GenerationRequest Request, string? ConceptVersion);

    private async Task<PreparedTask?> PrepareAsync(MessageLease lease, BatchLookups batch, CancellationToken cancellationToken)
    {
        var task = await lease.ReadOrPoisonAsync<GenerateTask>(
            clients.Queue(StorageNames.Queues.GeneratePoison),
            t =>
            {
                ResourceId.Require(t.JobId, "job id");
                ResourceId.Require(t.TaskId, "task id");
            },
            logger,
            cancellationToken);
        if (task is null) return null;

        var row = await clients.Table(StorageNames.Tables.Tasks).GetEntityIfExistsAsync<TaskRow>(task.JobId, task.TaskId, cancellationToken: cancellationToken);
        var job = row.HasValue ? await batch.JobAsync(clients, task.JobId, cancellationToken) : null;
        if (job is null)
        {
            // No row will ever appear for it (rows are written before messages): an orphan, never to be retried.
            logger.LogWarning("Poison generate message {MessageId}: task {JobId}/{TaskId} or its job does not exist", lease.Message.MessageId, task.JobId, task.TaskId);
            await lease.PoisonAsync(clients.Queue(StorageNames.Queues.GeneratePoison), cancellationToken);
            return null;
        }

        var current = row.Value!;
        if (current.IsFinal)
        {
            // A redelivery of finished work, or a task its job's cancel settled. Whoever finished it may have died before
            // counting it or before the job's completion event: the accounting is idempotent, so running it again
            // completes what is owed. Nothing is owed once the job's event is sent (the job is final: all is counted).
            if (!job.CompletionEventSent)
            {
                await accounting.RecordTaskResultAsync(task.JobId, task.TaskId, current.Status, current.ResultBlob, current.Reason, cancellationToken);
            }

            await lease.CompleteAsync(cancellationToken);
            return null;
        }

        if (job.CancelRequestedAt is not null)
        {
            await accounting.RecordTaskResultAsync(task.JobId, task.TaskId, ImageTaskStatus.Canceled, null, JobCancellation.CanceledReason, cancellationToken);
            await lease.CompleteAsync(cancellationToken);
            return null;
        }

        if (lease.Message.DequeueCount > settings.MaxDequeueCount)
        {
            var cause = current.Reason is { } last ? $"; the last error: {last}" : "";
            await FailAsync(lease, task, $"generation failed {lease.Message.DequeueCount - 1} times{cause}; the task was moved to the poison queue", poison: true, cancellationToken);
            return null;
        }

        var concept = await batch.ConceptAsync(task.ConceptId, id => ConceptAsync(id, cancellationToken));
        switch (concept.Availability.Use)
        {
            case ConceptUse.Wait or ConceptUse.Missing when DateTimeOffset.UtcNow - (task.WaitingSince ?? DateTimeOffset.UtcNow) < TimeSpan.FromSeconds(settings.ConceptReadyDeadlineSeconds):
                var waiting = task with { WaitingSince = task.WaitingSince ?? DateTimeOffset.UtcNow };
                await lease.RequeueAsync(QueueMessages.Serialize(waiting), WaitBeforeNextLook(waiting.WaitingSince.Value), cancellationToken);
                return null;
            case ConceptUse.Wait or ConceptUse.Missing:
                await FailAsync(lease, task, $"concept {task.ConceptId} was not encoded within {settings.ConceptReadyDeadlineSeconds} s", poison: false, cancellationToken);
                return null;
            case ConceptUse.Unusable:
                await FailAsync(lease, task, concept.Availability.Reason!, poison: false, cancellationToken);
                return null;
        }

        var parameters = task.Parameters;
        try
        {
            var prompt = runtime.Tokenizer.Encode(parameters.Prompt);
            var negative = runtime.Tokenizer.EncodeWithoutPlaceholder(parameters.NegativePrompt);
            metrics.QueueWait.Record((DateTimeOffset.UtcNow - (lease.Message.InsertedOn ?? DateTimeOffset.UtcNow)).TotalSeconds);
            return new(lease, task, new GenerationRequest(concept.Embedding!, prompt, negative, parameters.Seed, parameters.Guidance, parameters.Lambda), concept.Version);
        }
        catch (PromptException e)
        {
            await FailAsync(lease, task, e.Message, poison: false, cancellationToken);
            return null;
        }
    }

    /// <summary>
    /// How long a task waiting for its concept stays away: the configured retry at first, then half the time it has
    /// waited so far, up to five minutes, so that thousands of waiting tasks do not keep the queue (and KEDA) busy.
    /// </summary>
    private TimeSpan WaitBeforeNextLook(DateTimeOffset waitingSince)
    {
        var halfWaited = (DateTimeOffset.UtcNow - waitingSince).TotalSeconds / 2;
        return TimeSpan.FromSeconds(Math.Clamp(halfWaited, settings.ConceptNotReadyRetrySeconds, Math.Max(settings.ConceptNotReadyRetrySeconds, 300)));
    }

    private async Task FailAsync(MessageLease lease, GenerateTask task, string reason, bool poison, CancellationToken cancellationToken)
    {
        try
        {
            await accounting.RecordTaskResultAsync(task.JobId, task.TaskId, ImageTaskStatus.Failed, resultBlob: null, reason, cancellationToken);
        }
        catch (InvalidMessageException e)
        {
            // Its rows were deleted while it ran: nothing to record the failure on.
            logger.LogWarning("Poison generate message {MessageId}: {Reason}", lease.Message.MessageId, e.Message);
            poison = true;
        }

        if (poison) await lease.PoisonAsync(clients.Queue(StorageNames.Queues.GeneratePoison), cancellationToken);
        else await lease.CompleteAsync(cancellationToken);
        metrics.Failures.Add(1, new KeyValuePair<string, object?>("kind", poison ? "generate-poison" : "generate-failed"));
        // The reason may quote the user's prompt: it stays on the task row, out of the logs.
        logger.LogWarning("Task {JobId}/{TaskId} failed; the reason is on its row", task.JobId, task.TaskId);
    }

    private sealed record ConceptLookup(ConceptAvailability Availability, ConceptEmbedding? Embedding, string? Version = null);

    /// <summary>What a batch looks up once however many of its tasks need it: concepts and jobs (whether they exist, or are canceled).</summary>
    private sealed class BatchLookups
    {
        private readonly Dictionary<string, ConceptLookup> _concepts = new(StringComparer.Ordinal);
        private readonly Dictionary<string, JobRow?> _jobs = new(StringComparer.Ordinal);

        public async Task<ConceptLookup> ConceptAsync(string conceptId, Func<string, Task<ConceptLookup>> lookup)
        {
            if (!_concepts.TryGetValue(conceptId, out var concept)) _concepts[conceptId] = concept = await lookup(conceptId);
            return concept;
        }

        public async Task<JobRow?> JobAsync(StorageClients clients, string jobId, CancellationToken cancellationToken)
        {
            if (!_jobs.TryGetValue(jobId, out var job))
            {
                _jobs[jobId] = job = await clients.Table(StorageNames.Tables.Jobs).GetOrDefaultAsync<JobRow>(jobId, JobRow.RowKeyValue, cancellationToken);
            }

            return job;
        }
    }

    /// <summary>
    /// The concept's availability for this worker's pack, its embedding when ready; a concept of another pack is
    /// re-encoded. An embedding that is gone or damaged makes the concept unusable for this batch's tasks, with the reason.
    /// </summary>
    private async Task<ConceptLookup> ConceptAsync(string conceptId, CancellationToken cancellationToken)
    {
        try
        {
            return await LookUpConceptAsync(conceptId, cancellationToken);
        }
        catch (Exception e) when (e is ConceptFormatException or RequestFailedException { Status: (int)HttpStatusCode.NotFound })
        {
            return new(new ConceptAvailability(ConceptUse.Unusable, $"the embedding of concept '{conceptId}' could not be read ({e.Message}); upload its photo again"), null);
        }
    }

    private async Task<ConceptLookup> LookUpConceptAsync(string conceptId, CancellationToken cancellationToken)
    {
        var concept = await lifecycle.GetAsync(conceptId, cancellationToken);
        var packId = runtime.Models.Manifest.Id;
        var availability = ConceptLifecycle.Availability(conceptId, concept, packId);
        if (availability.Use == ConceptUse.Ready)
        {
            // The row's ETag changes with every new photo or mask, so an embedding cached under it is never stale.
            var key = $"{conceptId}@{concept!.ETag}";
            if (!cache.TryGet(key, out var embedding))
            {
                var bytes = await clients.Container(StorageNames.Containers.Embeddings).GetBlobClient(concept.EmbeddingBlob).DownloadContentAsync(cancellationToken);
                embedding = ConceptEmbeddingFile.Read(bytes.Value.Content.ToMemory().Span, packId);
                cache.Add(key, embedding);
            }

            return new(availability, embedding, concept.Version);
        }

        if (concept is { Status: ConceptStatus.Ready, ImageBlob.Length: > 0 } && await lifecycle.RequestEncodingForPackAsync(concept, packId, cancellationToken))
        {
            logger.LogInformation("Concept {ConceptId} was encoded for pack {OldPack}; re-encoding for {Pack}", conceptId, concept.PackId, packId);
        }

        return new(availability, null);
    }

    private Dictionary<string, string> Metadata(PreparedTask prepared)
    {
        var (_, task, request, conceptVersion) = prepared;
        return new()
        {
            ["prompt"] = task.Parameters.Prompt,
            ["negative_prompt"] = task.Parameters.NegativePrompt,
            ["seed"] = task.Parameters.Seed.ToString(CultureInfo.InvariantCulture),
            ["steps"] = task.Parameters.Steps.ToString(CultureInfo.InvariantCulture),
            ["scheduler"] = SchedulerNames.Of(task.Parameters.Scheduler),
            ["guidance"] = request.Guidance.ToString(CultureInfo.InvariantCulture),
            ["lambda"] = request.Lambda.ToString(CultureInfo.InvariantCulture),
            ["pack"] = runtime.Models.Manifest.Id,
            ["job"] = task.JobId,
            ["task"] = task.TaskId,
            ["concept"] = task.ConceptId,
            ["concept_version"] = conceptVersion ?? "",
        };
    }
}
