using System.Diagnostics;
using System.Globalization;
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
    private readonly ConceptLifecycle lifecycle = new(clients);

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

        foreach (var group in ready.GroupBy(r => (r.Task.Parameters.Steps, r.Task.Parameters.Scheduler)))
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
            logger.LogInformation("Generated {Count} images ({Steps} {Scheduler} steps) in {Seconds:F1} s", items.Count, generationSettings.Steps, SchedulerNames.Of(generationSettings.Scheduler), seconds);

            for (var i = 0; i < items.Count; i++)
            {
                var (lease, task, request) = items[i];
                var blob = BlobPaths.Result(task.JobId, task.TaskId);
                var png = PngEncoder.Encode(result.Images[i], Metadata(task, request));
                await clients.Container(StorageNames.Containers.Results).GetBlobClient(blob).UploadAsync(new BinaryData(png), overwrite: true, cancellationToken);
                var warning = request.Prompt.Truncated ? TokenLimits.TruncationWarning : null;
                await accounting.RecordTaskResultAsync(task.JobId, task.TaskId, succeeded: true, blob, warning, cancellationToken);
                await lease.CompleteAsync(cancellationToken);
            }
        }
    }

    /// <summary>Turns a message into a generation request, or settles it (acknowledged, delayed, failed, poisoned) and returns null.</summary>
    private async Task<(GenerateTask Task, GenerationRequest Request)?> PrepareAsync(MessageLease lease, Dictionary<string, ConceptLookup> concepts, CancellationToken cancellationToken)
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
        if (row.HasValue && row.Value!.IsFinal)
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

        switch (concept.Availability.Use)
        {
            case ConceptUse.Wait or ConceptUse.Missing when DateTimeOffset.UtcNow - (task.WaitingSince ?? DateTimeOffset.UtcNow) < TimeSpan.FromSeconds(settings.ConceptReadyDeadlineSeconds):
                var waiting = task with { WaitingSince = task.WaitingSince ?? DateTimeOffset.UtcNow };
                await lease.RequeueAsync(QueueMessages.Serialize(waiting), TimeSpan.FromSeconds(settings.ConceptNotReadyRetrySeconds), cancellationToken);
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
            return (task, new GenerationRequest(concept.Embedding!, prompt, negative, parameters.Seed, parameters.Guidance, parameters.Lambda));
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

    private sealed record ConceptLookup(ConceptAvailability Availability, ConceptEmbedding? Embedding);

    /// <summary>The concept's availability for this worker's pack, its embedding when ready; a concept of another pack is re-encoded.</summary>
    private async Task<ConceptLookup> ConceptAsync(string conceptId, CancellationToken cancellationToken)
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

            return new(availability, embedding);
        }

        if (concept is { Status: ConceptStatus.Ready, ImageBlob.Length: > 0 } && await lifecycle.RequestEncodingForPackAsync(concept, packId, cancellationToken))
        {
            logger.LogInformation("Concept {ConceptId} was encoded for pack {OldPack}; re-encoding for {Pack}", conceptId, concept.PackId, packId);
        }

        return new(availability, null);
    }

    private Dictionary<string, string> Metadata(GenerateTask task, GenerationRequest request) => new()
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
    };
}
