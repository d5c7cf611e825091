using Azure;
using Azure.Data.Tables;
using Azure.Storage.Queues;
using Elite.Core.Imaging;
using Elite.Core.Messages;
using Elite.Core.Rows;
using Elite.Core.Storage;
using Elite.Inference.Concepts;
using Elite.Inference.Imaging;
using Microsoft.Extensions.Options;

namespace Elite.Worker;

/// <summary>
/// Consumes <c>encode</c>: loads the uploaded photo (and mask), encodes the concept once, stores the
/// embedding blob and marks the concept Ready — or Rejected/Failed with the reason the user sees.
/// Redelivery of a concept already encoded with this pack is acknowledged without work.
/// </summary>
public sealed class EncodeWorker(StorageClients clients, WorkerRuntime runtime, WorkerMetrics metrics, IOptions<WorkerOptions> options, ILogger<EncodeWorker> logger) : BackgroundService
{
    private readonly WorkerOptions settings = options.Value;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var queue = clients.Queue(StorageNames.Queues.Encode);
        var idle = new IdleBackoff();
        while (!stoppingToken.IsCancellationRequested)
        {
            var received = await queue.ReceiveMessagesAsync(maxMessages: 1, TimeSpan.FromSeconds(settings.VisibilitySeconds), stoppingToken);
            if (received.Value.Length == 0)
            {
                await idle.WaitAsync(stoppingToken);
                continue;
            }

            idle.Reset();
            await using var lease = new MessageLease(queue, received.Value[0], TimeSpan.FromSeconds(settings.VisibilitySeconds));
            try
            {
                await ProcessAsync(lease, CancellationToken.None); // an encode takes seconds: finish it even while stopping
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                logger.LogError(e, "Encoding failed for message {MessageId}; it will be retried", lease.Message.MessageId);
            }
        }
    }

    internal async Task ProcessAsync(MessageLease lease, CancellationToken cancellationToken)
    {
        var concepts = clients.Table(StorageNames.Tables.Concepts);
        EncodeRequest request;
        try
        {
            request = QueueMessages.Deserialize<EncodeRequest>(lease.Message.Body.ToString());
            ResourceId.Require(request.ConceptId, "concept id");
        }
        catch (Exception e) when (e is InvalidMessageException or ArgumentException)
        {
            logger.LogWarning("Poison encode message {MessageId}: {Reason}", lease.Message.MessageId, e.Message);
            await lease.PoisonAsync(clients.Queue(StorageNames.Queues.EncodePoison), cancellationToken);
            return;
        }

        var row = await concepts.GetEntityIfExistsAsync<ConceptRow>(request.ConceptId, ConceptRow.RowKeyValue, cancellationToken: cancellationToken);
        var concept = row.HasValue ? row.Value! : new ConceptRow(request.ConceptId) { ImageBlob = request.ImageBlob };
        var packId = runtime.Models.Manifest.Id;
        if (concept.Status == ConceptStatus.Ready && concept.PackId == packId)
        {
            await lease.CompleteAsync(cancellationToken);
            return;
        }

        if (lease.Message.DequeueCount > settings.MaxDequeueCount)
        {
            await SaveAsync(concepts, concept, concept with { Status = ConceptStatus.Failed, Reason = $"encoding failed {lease.Message.DequeueCount - 1} times; the request was moved to the poison queue" }, cancellationToken);
            await lease.PoisonAsync(clients.Queue(StorageNames.Queues.EncodePoison), cancellationToken);
            metrics.Failures.Add(1, new KeyValuePair<string, object?>("kind", "encode-poison"));
            return;
        }

        metrics.QueueWait.Record((DateTimeOffset.UtcNow - (lease.Message.InsertedOn ?? DateTimeOffset.UtcNow)).TotalSeconds);
        try
        {
            var container = clients.Container(StorageNames.Containers.Concepts);
            // The row is current; two requests can arrive out of order.
            var imageBlob = concept.ImageBlob.Length > 0 ? concept.ImageBlob : request.ImageBlob;
            var image = ImageDecoder.Decode((await container.GetBlobClient(imageBlob).DownloadContentAsync(cancellationToken)).Value.Content.ToMemory().Span, ImageLimits.Default);
            var maskBlob = concept.MaskBlob ?? request.MaskBlob;
            var mask = maskBlob is null
                ? null
                : ImageDecoder.DecodeMask((await container.GetBlobClient(maskBlob).DownloadContentAsync(cancellationToken)).Value.Content.ToMemory().Span, ImageLimits.Default, image.Width, image.Height);
            var (embedding, _) = new ConceptEncoder(runtime.Models, runtime.Masker).Encode(image, mask, cancellationToken);

            var embeddingBlob = BlobPaths.Embedding(request.ConceptId, packId);
            await clients.Container(StorageNames.Containers.Embeddings).GetBlobClient(embeddingBlob).UploadAsync(new BinaryData(ConceptEmbeddingFile.Write(embedding)), overwrite: true, cancellationToken);
            await SaveAsync(concepts, concept, concept with { Status = ConceptStatus.Ready, ImageBlob = imageBlob, EmbeddingBlob = embeddingBlob, PackId = packId, MaskSource = embedding.MaskSource, MaskBlob = maskBlob, Reason = null }, cancellationToken);
            metrics.Concepts.Add(1);
            logger.LogInformation("Encoded concept {ConceptId} (mask from {MaskSource})", request.ConceptId, embedding.MaskSource);
        }
        catch (ImageRejectedException e)
        {
            await SaveAsync(concepts, concept, concept with { Status = ConceptStatus.Rejected, Reason = e.Message }, cancellationToken);
            metrics.Failures.Add(1, new KeyValuePair<string, object?>("kind", "encode-rejected"));
        }
        catch (RequestFailedException e) when (e.Status == 404)
        {
            await SaveAsync(concepts, concept, concept with { Status = ConceptStatus.Failed, Reason = $"the uploaded file is gone: {e.ErrorCode}" }, cancellationToken);
            metrics.Failures.Add(1, new KeyValuePair<string, object?>("kind", "encode-missing"));
        }

        await lease.CompleteAsync(cancellationToken);
    }

    /// <summary>
    /// Writes the concept's new state. When the row changed since it was read, the result still stands if the
    /// concept's photo and mask are the ones it was made from (the row was only marked, e.g. Pending for this
    /// encoding); after a new upload it is stale and dropped: that upload's own request follows.
    /// </summary>
    private async Task SaveAsync(TableClient concepts, ConceptRow read, ConceptRow updated, CancellationToken cancellationToken)
    {
        if (read.ETag == default)
        {
            if (!(await concepts.AddOrGetAsync(updated, cancellationToken)).Added) logger.LogInformation("Concept {ConceptId} appeared while it was encoded; this result is dropped", read.ConceptId);
            return;
        }

        if (await concepts.TryReplaceAsync(updated, cancellationToken)) return;
        var current = await concepts.GetOrDefaultAsync<ConceptRow>(read.ConceptId, ConceptRow.RowKeyValue, cancellationToken);
        var sameUpload = current is not null && (current.ImageBlob, current.ImageETag, current.MaskBlob, current.MaskETag) == (read.ImageBlob, read.ImageETag, read.MaskBlob, read.MaskETag);
        if (!sameUpload || !await concepts.TryReplaceAsync(updated with { ETag = current!.ETag, EncodeRequested = current.EncodeRequested }, cancellationToken))
        {
            logger.LogInformation("Concept {ConceptId} changed while it was encoded; this result is dropped", read.ConceptId);
        }
    }
}
