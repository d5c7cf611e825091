using System.Net;
using Azure;
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
using Elite.Inference.Text;

namespace Elite.Worker;

/// <summary>A task ready to generate: its message, its request, and the concept version its embedding is of.</summary>
internal sealed record PreparedTask(MessageLease Lease, GenerateTask Task, GenerationRequest Request, string? ConceptVersion);

/// <summary>Tasks that can share one generation call (same steps and scheduler).</summary>
internal sealed record GenerationBatch(GenerationSettings Settings, IReadOnlyList<PreparedTask> Items);

/// <summary>
/// Turns the messages of a batch into generation requests: reads each task's row and job (once per job), the concept's
/// embedding (once per concept), tokenizes the prompts, and settles what must not generate (redelivered finished work,
/// canceled jobs, waiting or unusable concepts, bad prompts, too many deliveries). <see cref="StartAsync"/> marks a
/// batch's tasks Running as late as possible, just before its generation call, so that a cancel still stops them.
/// A lease it settles it also disposes; the others go on with their <see cref="PreparedTask"/>.
/// </summary>
internal sealed class TaskPreparation(StorageClients clients, WorkerRuntime runtime, ConceptCache cache, WorkerMetrics metrics, WorkerOptions settings, TaskResults results, ILogger logger)
{
    private readonly JobAccounting accounting = new(clients);
    private readonly ConceptLifecycle lifecycle = new(clients);

    /// <summary>
    /// The batch's tasks that will generate, grouped by what must match in one call. A message that cannot be read
    /// now (storage trouble) is let go, to be delivered again; the others go on.
    /// </summary>
    public async Task<List<GenerationBatch>> PrepareAsync(IReadOnlyList<MessageLease> leases, CancellationToken cancellationToken)
    {
        var ready = new List<PreparedTask>();
        var lookups = new BatchLookups(clients);
        foreach (var lease in leases)
        {
            PreparedTask? prepared = null;
            try
            {
                prepared = await PrepareAsync(lease, lookups, cancellationToken);
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                logger.LogWarning("Generate message {MessageId} could not be prepared ({Reason}); it will be delivered again", lease.Message.MessageId, e.Message);
            }

            if (prepared is null) await lease.DisposeAsync();
            else ready.Add(prepared);
        }

        return [.. ready.GroupBy(r => (r.Task.Parameters.Steps, r.Task.Parameters.Scheduler))
            .Select(group => new GenerationBatch(new GenerationSettings(group.Key.Steps, group.Key.Scheduler), [.. group]))];
    }

    /// <summary>
    /// Marks the batch's tasks Running (the moment they start for the job's counters and for a cancel) and returns those
    /// still to generate: a task canceled, or finished by another delivery, since it was prepared is settled and dropped.
    /// </summary>
    public async Task<GenerationBatch> StartAsync(GenerationBatch batch, CancellationToken cancellationToken)
    {
        var started = await Task.WhenAll(batch.Items.Select(async item =>
        {
            try
            {
                var row = await accounting.MarkTaskRunningAsync(item.Task.JobId, item.Task.TaskId, item.ConceptVersion, cancellationToken);
                if (!row.IsFinal) return item;

                // Counted again in case whoever finished it died first.
                await accounting.RecordTaskResultAsync(row.JobId, row.TaskId, row.Status, row.ResultBlob, row.Reason, cancellationToken);
                await item.Lease.CompleteAsync(cancellationToken);
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                logger.LogWarning("Task {JobId}/{TaskId} could not be started ({Reason}); it will be delivered again", item.Task.JobId, item.Task.TaskId, e.Message);
            }

            await item.Lease.DisposeAsync();
            return null;
        }));
        return batch with { Items = [.. started.OfType<PreparedTask>()] };
    }

    /// <summary>Turns a message into a generation request, or settles it (acknowledged, delayed, failed, poisoned) and returns null.</summary>
    private async Task<PreparedTask?> PrepareAsync(MessageLease lease, BatchLookups lookups, CancellationToken cancellationToken)
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
        var job = row.HasValue ? await lookups.JobAsync(task.JobId, cancellationToken) : null;
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
            await results.FailAsync(lease, task, $"generation failed {lease.Message.DequeueCount - 1} times{cause}; the task was moved to the poison queue", poison: true, cancellationToken);
            return null;
        }

        var concept = await lookups.ConceptAsync(task.ConceptId, id => ConceptAsync(id, cancellationToken));
        switch (concept.Availability.Use)
        {
            case ConceptUse.Wait or ConceptUse.Missing when DateTimeOffset.UtcNow - (task.WaitingSince ?? DateTimeOffset.UtcNow) < TimeSpan.FromSeconds(settings.ConceptReadyDeadlineSeconds):
                var waiting = task with { WaitingSince = task.WaitingSince ?? DateTimeOffset.UtcNow };
                await lease.RequeueAsync(QueueMessages.Serialize(waiting), WaitBeforeNextLook(waiting.WaitingSince.Value), cancellationToken);
                return null;
            case ConceptUse.Wait or ConceptUse.Missing:
                await results.FailAsync(lease, task, $"concept {task.ConceptId} was not encoded within {settings.ConceptReadyDeadlineSeconds} s", poison: false, cancellationToken);
                return null;
            case ConceptUse.Unusable:
                await results.FailAsync(lease, task, concept.Availability.Reason!, poison: false, cancellationToken);
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
            await results.FailAsync(lease, task, e.Message, poison: false, cancellationToken);
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

    private sealed record ConceptLookup(ConceptAvailability Availability, ConceptEmbedding? Embedding, string? Version = null);

    /// <summary>What a batch looks up once however many of its tasks need it: concepts and jobs (whether they exist, or are canceled).</summary>
    private sealed class BatchLookups(StorageClients clients)
    {
        private readonly Dictionary<string, ConceptLookup> _concepts = new(StringComparer.Ordinal);
        private readonly Dictionary<string, JobRow?> _jobs = new(StringComparer.Ordinal);

        public async Task<ConceptLookup> ConceptAsync(string conceptId, Func<string, Task<ConceptLookup>> lookup)
        {
            if (!_concepts.TryGetValue(conceptId, out var concept)) _concepts[conceptId] = concept = await lookup(conceptId);
            return concept;
        }

        public async Task<JobRow?> JobAsync(string jobId, CancellationToken cancellationToken)
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
}
