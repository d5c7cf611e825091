using System.Diagnostics;
using System.Globalization;
using Azure.Data.Tables;
using Azure.Storage.Queues;
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
/// Consumes <c>generate</c> with dynamic batching: takes up to MaxBatch tasks, waiting at most MaxWaitMs
/// for the batch to fill, groups them by what must match (steps and scheduler; one pack per worker),
/// and runs each group as batched generations. Every message is safe to see twice: a task whose row
/// is already final is acknowledged without work, results have deterministic blob names, and job
/// counters move through <see cref="JobAccounting"/>.
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

    private TimeSpan Visibility => TimeSpan.FromSeconds(settings.VisibilitySeconds);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var queue = clients.Queue(StorageNames.Queues.Generate);
        var idle = new IdleBackoff();
        while (!stoppingToken.IsCancellationRequested)
        {
            var leases = await TakeBatchAsync(queue, stoppingToken);
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

    /// <summary>Takes up to MaxBatch messages: the first as soon as there is one, the rest for at most MaxWaitMs.</summary>
    private async Task<List<MessageLease>> TakeBatchAsync(QueueClient queue, CancellationToken cancellationToken)
    {
        var leases = new List<MessageLease>();
        var clock = Stopwatch.StartNew();
        try
        {
            while (leases.Count < settings.MaxBatch)
            {
                var received = await queue.ReceiveMessagesAsync(Math.Min(32, settings.MaxBatch - leases.Count), Visibility, cancellationToken);
                leases.AddRange(received.Value.Select(m => new MessageLease(queue, m, Visibility)));
                if (leases.Count == 0 || clock.ElapsedMilliseconds >= settings.MaxWaitMs) break;
                if (received.Value.Length == 0) await Task.Delay(TimeSpan.FromMilliseconds(Math.Min(100, settings.MaxWaitMs)), cancellationToken);
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

        return leases;
    }

    internal async Task ProcessAsync(IReadOnlyList<MessageLease> leases, CancellationToken cancellationToken)
    {
        var ready = new List<(MessageLease Lease, GenerateTask Task, GenerationRequest Request)>();
        var concepts = new Dictionary<string, ConceptLookup>(StringComparer.Ordinal); // one lookup per concept and batch
        foreach (var lease in leases)
        {
            var prepared = await PrepareAsync(lease, concepts, cancellationToken);
            if (prepared is not null) ready.Add((lease, prepared.Value.Task, prepared.Value.Request));
        }

        foreach (var group in ready.GroupBy(r => (r.Task.Steps, r.Task.Scheduler)))
        {
            var items = group.ToList();
            var generationSettings = new GenerationSettings(group.Key.Steps, group.Key.Scheduler);
            foreach (var item in items) await accounting.MarkTaskRunningAsync(item.Task.JobId, item.Task.TaskId, cancellationToken);

            var clock = Stopwatch.StartNew();
            var result = new Generator(runtime.Models).Generate([.. items.Select(i => i.Request)], generationSettings, cancellationToken: cancellationToken);
            var seconds = clock.Elapsed.TotalSeconds;
            metrics.BatchSize.Record(items.Count);
            metrics.StepsPerSecond.Record(generationSettings.Steps / result.Timings.UNet.TotalSeconds);
            metrics.ImagesPerSecond.Record(items.Count / seconds);
            metrics.Images.Add(items.Count);
            logger.LogInformation("Generated {Count} images ({Steps} {Scheduler} steps) in {Seconds:F1} s", items.Count, generationSettings.Steps, generationSettings.Scheduler, seconds);

            for (var i = 0; i < items.Count; i++)
            {
                var (lease, task, request) = items[i];
                var blob = BlobPaths.Result(task.JobId, task.TaskId);
                var png = PngEncoder.Encode(result.Images[i], Metadata(task, request));
                await clients.Container(StorageNames.Containers.Results).GetBlobClient(blob).UploadAsync(new BinaryData(png), overwrite: true, cancellationToken);
                var warning = request.Prompt.Truncated ? "the prompt was longer than 77 tokens and was truncated" : null;
                await accounting.RecordTaskResultAsync(task.JobId, task.TaskId, succeeded: true, blob, warning, cancellationToken);
                await lease.CompleteAsync(cancellationToken);
            }
        }
    }

    /// <summary>Turns a message into a generation request, or settles it (acknowledged, delayed, failed, poisoned) and returns null.</summary>
    private async Task<(GenerateTask Task, GenerationRequest Request)?> PrepareAsync(MessageLease lease, Dictionary<string, ConceptLookup> concepts, CancellationToken cancellationToken)
    {
        GenerateTask task;
        try
        {
            task = QueueMessages.Deserialize<GenerateTask>(lease.Message.Body.ToString());
            ResourceId.Require(task.JobId, "job id");
            ResourceId.Require(task.TaskId, "task id");
        }
        catch (Exception e) when (e is InvalidMessageException or ArgumentException)
        {
            logger.LogWarning("Poison generate message {MessageId}: {Reason}", lease.Message.MessageId, e.Message);
            await lease.PoisonAsync(clients.Queue(StorageNames.Queues.GeneratePoison), cancellationToken);
            return null;
        }

        var row = await clients.Table(StorageNames.Tables.Tasks).GetEntityIfExistsAsync<TaskRow>(task.JobId, task.TaskId, cancellationToken: cancellationToken);
        if (row.HasValue && row.Value!.Status is ImageTaskStatus.Succeeded or ImageTaskStatus.Failed)
        {
            await lease.CompleteAsync(cancellationToken); // a redelivery of finished work
            return null;
        }

        if (lease.Message.DequeueCount > settings.MaxDequeueCount)
        {
            await FailAsync(lease, task, $"generation failed {lease.Message.DequeueCount - 1} times; the task was moved to the poison queue", poison: true, cancellationToken);
            return null;
        }

        if (!concepts.TryGetValue(task.ConceptId, out var concept))
        {
            concepts[task.ConceptId] = concept = await ConceptAsync(task.ConceptId, cancellationToken);
        }

        switch (concept.State)
        {
            case ConceptState.NotReady when DateTimeOffset.UtcNow - (task.WaitingSince ?? DateTimeOffset.UtcNow) < TimeSpan.FromSeconds(settings.ConceptReadyDeadlineSeconds):
                var waiting = task with { WaitingSince = task.WaitingSince ?? DateTimeOffset.UtcNow };
                await lease.RequeueAsync(QueueMessages.Serialize(waiting), TimeSpan.FromSeconds(settings.ConceptNotReadyRetrySeconds), cancellationToken);
                return null;
            case ConceptState.NotReady:
                await FailAsync(lease, task, $"concept {task.ConceptId} was not encoded within {settings.ConceptReadyDeadlineSeconds} s", poison: false, cancellationToken);
                return null;
            case ConceptState.Unusable:
                await FailAsync(lease, task, concept.Reason!, poison: false, cancellationToken);
                return null;
        }

        try
        {
            var prompt = runtime.Tokenizer.Encode(task.Prompt);
            var negative = runtime.Tokenizer.EncodeWithoutPlaceholder(task.NegativePrompt);
            metrics.QueueWait.Record((DateTimeOffset.UtcNow - (lease.Message.InsertedOn ?? DateTimeOffset.UtcNow)).TotalSeconds);
            return (task, new GenerationRequest(concept.Embedding!, prompt, negative, task.Seed, task.Guidance, task.Lambda));
        }
        catch (PromptException e)
        {
            await FailAsync(lease, task, e.Message, poison: false, cancellationToken);
            return null;
        }
    }

    private async Task FailAsync(MessageLease lease, GenerateTask task, string reason, bool poison, CancellationToken cancellationToken)
    {
        await accounting.RecordTaskResultAsync(task.JobId, task.TaskId, succeeded: false, resultBlob: null, reason, cancellationToken);
        if (poison) await lease.PoisonAsync(clients.Queue(StorageNames.Queues.GeneratePoison), cancellationToken);
        else await lease.CompleteAsync(cancellationToken);
        metrics.Failures.Add(1, new KeyValuePair<string, object?>("kind", poison ? "generate-poison" : "generate-failed"));
        logger.LogWarning("Task {JobId}/{TaskId} failed: {Reason}", task.JobId, task.TaskId, reason);
    }

    private enum ConceptState
    {
        Ready,
        NotReady,
        Unusable,
    }

    private sealed record ConceptLookup(ConceptState State, ConceptEmbedding? Embedding, string? Reason);

    private async Task<ConceptLookup> ConceptAsync(string conceptId, CancellationToken cancellationToken)
    {
        var concepts = clients.Table(StorageNames.Tables.Concepts);
        var row = await concepts.GetEntityIfExistsAsync<ConceptRow>(conceptId, ConceptRow.RowKeyValue, cancellationToken: cancellationToken);
        if (!row.HasValue) return new(ConceptState.NotReady, null, null);
        var concept = row.Value!;
        var packId = runtime.Models.Manifest.Id;
        switch (concept.Status)
        {
            case ConceptStatus.Rejected or ConceptStatus.Failed:
                return new(ConceptState.Unusable, null, $"concept {conceptId} is {concept.Status.ToString().ToLowerInvariant()}: {concept.Reason}");
            case ConceptStatus.Ready when concept.PackId == packId && concept.EmbeddingBlob is not null:
                // The row's ETag changes with every new photo or mask, so an embedding cached under it is never stale.
                var key = $"{conceptId}@{concept.ETag}";
                if (!cache.TryGet(key, out var embedding))
                {
                    var bytes = await clients.Container(StorageNames.Containers.Embeddings).GetBlobClient(concept.EmbeddingBlob).DownloadContentAsync(cancellationToken);
                    embedding = ConceptEmbeddingFile.Read(bytes.Value.Content.ToMemory().Span, packId);
                    cache.Add(key, embedding);
                }

                return new(ConceptState.Ready, embedding, null);
            case ConceptStatus.Ready when concept.ImageBlob.Length > 0:
                await RequestEncodingAsync(concepts, concept, packId, cancellationToken);
                return new(ConceptState.NotReady, null, null);
            default:
                return new(ConceptState.NotReady, null, null);
        }
    }

    /// <summary>
    /// The concept was encoded for another model pack (the pack changed since): asks for this pack's encoding and
    /// makes the concept Pending, so its tasks wait for it. The request goes first: a lost mark only repeats the
    /// request (the encoder skips a concept it has done), a lost request would leave the concept pending.
    /// </summary>
    private async Task RequestEncodingAsync(TableClient concepts, ConceptRow concept, string packId, CancellationToken cancellationToken)
    {
        await clients.Queue(StorageNames.Queues.Encode).SendMessageAsync(
            QueueMessages.Serialize(new EncodeRequest(concept.ConceptId, concept.ImageBlob, concept.MaskBlob)), cancellationToken);
        var pending = concept with { Status = ConceptStatus.Pending, EncodeRequested = true, Reason = $"being encoded for model pack {packId} (it was encoded for {concept.PackId})" };
        if (await concepts.TryReplaceAsync(pending, cancellationToken))
        {
            logger.LogInformation("Concept {ConceptId} was encoded for pack {OldPack}; re-encoding for {Pack}", concept.ConceptId, concept.PackId, packId);
        }
    }

    private Dictionary<string, string> Metadata(GenerateTask task, GenerationRequest request) => new()
    {
        ["prompt"] = task.Prompt,
        ["negative_prompt"] = task.NegativePrompt,
        ["seed"] = task.Seed.ToString(CultureInfo.InvariantCulture),
        ["steps"] = task.Steps.ToString(CultureInfo.InvariantCulture),
        ["scheduler"] = task.Scheduler,
        ["guidance"] = request.Guidance.ToString(CultureInfo.InvariantCulture),
        ["lambda"] = request.Lambda.ToString(CultureInfo.InvariantCulture),
        ["pack"] = runtime.Models.Manifest.Id,
        ["job"] = task.JobId,
        ["task"] = task.TaskId,
        ["concept"] = task.ConceptId,
    };
}
