using System.Net;
using Azure;
using Azure.Storage.Blobs.Models;
using Azure.Storage.Queues.Models;
using Elite.Contracts.Imaging;
using Elite.Core.Concepts;
using Elite.Core.Configuration;
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
    private readonly ConceptLifecycle lifecycle = new(clients);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var queue = clients.Queue(StorageNames.Queues.Encode);
        var idle = new IdleBackoff();
        while (!stoppingToken.IsCancellationRequested)
        {
            Response<QueueMessage[]> received;
            try
            {
                received = await queue.ReceiveMessagesAsync(maxMessages: 1, TimeSpan.FromSeconds(settings.VisibilitySeconds), stoppingToken);
            }
            catch (Exception e) when (StorageErrors.IsTransient(e))
            {
                // The storage account is struggling (or restarting): wait and ask again; the consumer must not stop.
                logger.LogWarning("Could not receive from {Queue}: {Reason}", queue.Name, e.Message);
                await idle.WaitAsync(stoppingToken);
                continue;
            }

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
        var request = await lease.ReadOrPoisonAsync<EncodeRequest>(
            clients.Queue(StorageNames.Queues.EncodePoison), r => ResourceId.Require(r.ConceptId, "concept id"), logger, cancellationToken);
        if (request is null) return;

        // The row is the truth; the request only says that something changed. Two requests can arrive out of order.
        var concept = await lifecycle.GetAsync(request.ConceptId, cancellationToken);
        var packId = runtime.Models.Manifest.Id;
        if (concept is null || concept.ImageBlob.Length == 0 || concept.Status is ConceptStatus.Rejected or ConceptStatus.Failed
            || ConceptLifecycle.Availability(request.ConceptId, concept, packId).Use == ConceptUse.Ready)
        {
            // Nothing (left) to encode: gone, rejected since the request, or already encoded for this pack (by a delivery
            // that may have died before the concept's webhook event was sent).
            if (concept is { Status: ConceptStatus.Ready or ConceptStatus.Failed }) await lifecycle.ResendEventAsync(concept, cancellationToken);
            await lease.CompleteAsync(cancellationToken);
            return;
        }

        if (lease.Message.DequeueCount > settings.MaxDequeueCount)
        {
            await SaveAsync(lifecycle.MarkFailedAsync(concept, $"encoding failed {lease.Message.DequeueCount - 1} times; the request was moved to the poison queue", cancellationToken), concept);
            await lease.PoisonAsync(clients.Queue(StorageNames.Queues.EncodePoison), cancellationToken);
            metrics.Failures.Add(1, new KeyValuePair<string, object?>("kind", "encode-poison"));
            return;
        }

        metrics.QueueWait.Record((DateTimeOffset.UtcNow - (lease.Message.InsertedOn ?? DateTimeOffset.UtcNow)).TotalSeconds);
        try
        {
            var image = ImageDecoder.Decode((await DownloadAsync(concept.ImageBlob, concept.ImageETag, cancellationToken)).Span, ImageLimits.Default);
            var mask = concept.MaskBlob is null
                ? null
                : ImageDecoder.DecodeMask((await DownloadAsync(concept.MaskBlob, concept.MaskETag, cancellationToken)).Span, ImageLimits.Default, image.Width, image.Height);
            var (embedding, _, used) = new ConceptEncoder(runtime.Models, runtime.Masker).Encode(image, mask, cancellationToken);

            var embeddings = clients.Container(StorageNames.Containers.Embeddings);
            var embeddingBlob = BlobPaths.Embedding(request.ConceptId, packId);
            await embeddings.GetBlobClient(embeddingBlob).UploadAsync(new BinaryData(ConceptEmbeddingFile.Write(embedding)), overwrite: true, cancellationToken);
            if (mask is null)
            {
                // A mask the user did not upload (the photo's alpha, or u2netp's) is kept, so that a bad automatic mask can be seen.
                await embeddings.GetBlobClient(BlobPaths.EncodedMask(request.ConceptId, packId)).UploadAsync(
                    new BinaryData(PngEncoder.Encode(used.ToImage(), new Dictionary<string, string>())),
                    new BlobUploadOptions { HttpHeaders = new BlobHttpHeaders { ContentType = "image/png" } },
                    cancellationToken);
            }

            await SaveAsync(lifecycle.MarkEncodedAsync(concept, new EncodedConcept(concept.ImageBlob, concept.MaskBlob, embeddingBlob, packId, embedding.MaskSource), cancellationToken), concept);
            metrics.Concepts.Add(1);
            logger.LogInformation("Encoded concept {ConceptId} (mask from {MaskSource})", request.ConceptId, embedding.MaskSource);
        }
        catch (ImageRejectedException e)
        {
            await SaveAsync(lifecycle.MarkRejectedAsync(concept, e.Message, cancellationToken), concept);
            metrics.Failures.Add(1, new KeyValuePair<string, object?>("kind", "encode-rejected"));
        }
        catch (RequestFailedException e) when (e.Status == (int)HttpStatusCode.PreconditionFailed)
        {
            // Replaced since it was registered: the new upload's event registers it and asks for its own encoding.
            logger.LogInformation("Concept {ConceptId} was uploaded again while it was encoded; this request is dropped", request.ConceptId);
        }
        catch (RequestFailedException e) when (e.Status == (int)HttpStatusCode.NotFound)
        {
            await SaveAsync(lifecycle.MarkFailedAsync(concept, $"the uploaded file is gone: {e.ErrorCode}", cancellationToken), concept);
            metrics.Failures.Add(1, new KeyValuePair<string, object?>("kind", "encode-missing"));
        }

        await lease.CompleteAsync(cancellationToken);
    }

    /// <summary>
    /// The bytes of the version of an upload that was registered (its ETag), its size checked before it is read:
    /// a file replaced since then answers 412, a file too large is refused without being downloaded.
    /// </summary>
    private async Task<ReadOnlyMemory<byte>> DownloadAsync(string blobName, string? etag, CancellationToken cancellationToken)
    {
        var blob = clients.Container(StorageNames.Containers.Concepts).GetBlobClient(blobName);
        var conditions = etag is null ? null : new BlobRequestConditions { IfMatch = new ETag(etag) };
        var properties = await blob.GetPropertiesAsync(conditions, cancellationToken);
        ImageHeader.CheckSize(properties.Value.ContentLength, ImageLimits.Default);
        var content = await blob.DownloadContentAsync(new BlobDownloadOptions { Conditions = conditions }, cancellationToken);
        return content.Value.Content.ToMemory();
    }

    private async Task SaveAsync(Task<bool> saving, ConceptRow read)
    {
        if (!await saving) logger.LogInformation("Concept {ConceptId} changed while it was encoded; this result is dropped", read.ConceptId);
    }
}
