using Azure;
using Azure.Data.Tables;
using Azure.Storage.Blobs;
using Azure.Storage.Blobs.Models;
using Elite.Core.Imaging;
using Elite.Core.Messages;
using Elite.Core.Rows;
using Elite.Core.Storage;

namespace Elite.Core.Concepts;

/// <summary>What a concept upload may be.</summary>
public sealed record ConceptLimits
{
    public static ConceptLimits Default { get; } = new();

    /// <summary>Bytes, pixels and sides of a photo or mask (the encoder scales every photo to 224×224 anyway).</summary>
    public ImageLimits Image { get; init; } = ImageLimits.Default;

    /// <summary>File name extensions of the formats the worker decodes (lower case, with the dot).</summary>
    public IReadOnlyList<string> Extensions { get; init; } = [".png", ".jpg", ".jpeg", ".webp"];
}

public enum ConceptUploadOutcome
{
    /// <summary>The photo (or a new mask for it) is registered and an <see cref="EncodeRequest"/> was enqueued.</summary>
    EncodeRequested,

    /// <summary>A mask arrived before any usable photo: recorded, the photo's upload will request the encoding.</summary>
    MaskRecorded,

    /// <summary>The same upload was registered before (a redelivered event): nothing was done.</summary>
    AlreadyRegistered,

    /// <summary>The file is unusable: the concept is Rejected with the reason.</summary>
    Rejected,

    /// <summary>A file of an unsupported type beside a usable photo (notes, thumbnails): left alone.</summary>
    Ignored,
}

public sealed record ConceptUploadResult(ConceptUploadOutcome Outcome, ConceptStatus? Status, string? Reason);

/// <summary>
/// Registers files uploaded to <c>concepts/{conceptId}/{file}</c>: the photo, or the optional <c>mask.*</c> beside it.
/// </summary>
/// <remarks>
/// <para>The row holds the concept's current photo and mask. An encoding is requested whenever either changes while
/// a usable photo is known, whatever the status: a new photo or mask makes the concept Pending again (jobs wait for
/// it) and the worker re-encodes. A mask that comes first is only recorded.</para>
/// <para>A photo with a wrong size, or whose header is not a PNG, JPEG or WebP within <see cref="ImageLimits"/>, is
/// Rejected; one with an unsupported extension too, unless the concept already has a usable photo (then it is
/// ignored). An unusable mask rejects the concept until a usable one replaces it. <see cref="RegisterBlobAsync"/>
/// reads the header from the blob's first bytes; the worker decodes the pixels and rejects the concept itself
/// when they do not decode.</para>
/// <para>Idempotent: <see cref="ConceptRow.EncodeRequested"/> is set right after the send, so a redelivered event
/// enqueues again only if the first send was lost. A new upload under the same name is told apart by its ETag.</para>
/// </remarks>
public sealed class ConceptIntake(StorageClients clients, ConceptLimits? limits = null)
{
    private readonly ConceptLimits _limits = limits ?? ConceptLimits.Default;
    private readonly TableClient _concepts = clients.Table(StorageNames.Tables.Concepts);

    public Task<ConceptUploadResult> RegisterUploadAsync(string conceptId, string fileName, long sizeBytes, CancellationToken cancellationToken) =>
        RegisterUploadAsync(conceptId, fileName, sizeBytes, etag: null, cancellationToken);

    /// <param name="etag">The blob's ETag, if known: tells a new upload under the same name from a redelivered event.</param>
    public Task<ConceptUploadResult> RegisterUploadAsync(string conceptId, string fileName, long sizeBytes, string? etag, CancellationToken cancellationToken)
    {
        var (problem, unsupportedType) = CheckFile(fileName, sizeBytes);
        return ApplyAsync(new Upload(conceptId, fileName, etag, problem, unsupportedType), cancellationToken);
    }

    /// <summary>Registers an uploaded blob: its size and ETag from its properties, its image header from its first bytes.</summary>
    /// <remarks>A blob deleted or replaced before it was read is ignored: a replacement raises its own event.</remarks>
    public async Task<ConceptUploadResult> RegisterBlobAsync(BlobClient blob, string conceptId, string fileName, CancellationToken cancellationToken)
    {
        string? problem;
        bool unsupportedType;
        BlobProperties properties;
        try
        {
            properties = (await blob.GetPropertiesAsync(cancellationToken: cancellationToken)).Value;
            (problem, unsupportedType) = CheckFile(fileName, properties.ContentLength);
            if (problem is null && ResourceId.IsValid(conceptId) && ResourceId.IsValid(fileName))
            {
                problem = await HeaderProblemAsync(blob, properties, cancellationToken);
            }
        }
        catch (RequestFailedException e) when (e.Status is 404 or 412)
        {
            return new(ConceptUploadOutcome.Ignored, null, $"{conceptId}/{fileName} was deleted or replaced before it was read");
        }

        return await ApplyAsync(new Upload(conceptId, fileName, properties.ETag.ToString(), problem, unsupportedType), cancellationToken);
    }

    private sealed record Upload(string ConceptId, string FileName, string? ETag, string? Problem, bool UnsupportedType)
    {
        public string Blob => BlobPaths.ConceptFile(ConceptId, FileName);

        public bool IsMask => BlobPaths.IsMask(FileName);
    }

    private sealed record Decision(ConceptRow? Row, bool Encode, ConceptUploadOutcome Outcome);

    private (string? Problem, bool UnsupportedType) CheckFile(string fileName, long sizeBytes)
    {
        var extension = Path.GetExtension(fileName).ToLowerInvariant();
        if (!_limits.Extensions.Contains(extension))
        {
            return ($"{(extension.Length == 0 ? "a file without extension" : $"'{extension}'")} is not a supported image type: use {string.Join(", ", _limits.Extensions.Select(e => e.TrimStart('.')))}", true);
        }

        return sizeBytes <= 0 ? ("the file is empty", false)
            : sizeBytes > _limits.Image.MaxBytes ? ($"the file is {sizeBytes:N0} bytes; at most {_limits.Image.MaxBytes:N0} are accepted", false)
            : (null, false);
    }

    /// <summary>Why the blob's header is unusable, or null (also when its first bytes do not settle it: the worker's decoder will).</summary>
    private async Task<string?> HeaderProblemAsync(BlobClient blob, BlobProperties properties, CancellationToken cancellationToken)
    {
        var prefix = await blob.DownloadContentAsync(
            new BlobDownloadOptions
            {
                Range = new HttpRange(0, ImageHeader.PrefixBytes),
                Conditions = new BlobRequestConditions { IfMatch = properties.ETag }, // the bytes of the version whose size was checked
            },
            cancellationToken);
        try
        {
            ImageHeader.TryReadPrefix(prefix.Value.Content.ToMemory().Span, properties.ContentLength, _limits.Image);
            return null;
        }
        catch (ImageRejectedException e)
        {
            return e.Message;
        }
    }

    private async Task<ConceptUploadResult> ApplyAsync(Upload upload, CancellationToken cancellationToken)
    {
        if (!ResourceId.IsValid(upload.ConceptId) || !ResourceId.IsValid(upload.FileName))
        {
            // No row can hold such a concept: its id is not a table key.
            return new(ConceptUploadOutcome.Ignored, null, $"'{upload.ConceptId}/{upload.FileName}' is not a valid concept path: use letters, digits, '-', '_' or '.'");
        }

        var (row, encode, outcome) = await TableConcurrency.RetryOnConflictAsync(async token =>
        {
            var current = await _concepts.GetOrDefaultAsync<ConceptRow>(upload.ConceptId, ConceptRow.RowKeyValue, token);
            var decision = Decide(current, upload);
            if (decision.Row is { } changed && !ReferenceEquals(changed, current))
            {
                var written = current is null ? (await _concepts.AddOrGetAsync(changed, token)).Added : await _concepts.TryReplaceAsync(changed, token);
                if (!written)
                {
                    throw new ConcurrencyConflictException();
                }
            }

            return decision;
        }, cancellationToken);

        if (encode)
        {
            await clients.Queue(StorageNames.Queues.Encode).SendMessageAsync(
                QueueMessages.Serialize(new EncodeRequest(upload.ConceptId, row!.ImageBlob, row.MaskBlob)), cancellationToken);
            await _concepts.UpdateAsync<ConceptRow>(
                upload.ConceptId,
                ConceptRow.RowKeyValue,
                c => c.EncodeRequested || c.ImageBlob != row.ImageBlob || c.MaskBlob != row.MaskBlob || c.ImageETag != row.ImageETag || c.MaskETag != row.MaskETag
                    ? null // already marked, or another upload changed the concept since: its own request covers it
                    : c with { EncodeRequested = true },
                cancellationToken);
        }

        return new(outcome, row?.Status, outcome == ConceptUploadOutcome.Ignored ? upload.Problem : row?.Reason);
    }

    /// <summary>The concept row after the upload (the same instance when unchanged), whether to request an encoding, and the outcome.</summary>
    private static Decision Decide(ConceptRow? current, Upload upload)
    {
        var row = current ?? new ConceptRow(upload.ConceptId) { Status = ConceptStatus.Pending };
        var hasUsablePhoto = current is { ImageBlob.Length: > 0 } && current.Status != ConceptStatus.Rejected;
        if (upload.Problem is { } problem)
        {
            if (upload.UnsupportedType && !upload.IsMask && hasUsablePhoto)
            {
                return new(current, false, ConceptUploadOutcome.Ignored);
            }

            var rejected = row with
            {
                Status = ConceptStatus.Rejected,
                Reason = $"{upload.FileName}: {problem}",
                EncodeRequested = false,
                // A rejected photo is no photo; a rejected mask leaves the photo, so a good mask can revive the concept.
                ImageBlob = upload.IsMask ? row.ImageBlob : "",
                ImageETag = upload.IsMask ? row.ImageETag : null,
            };
            return new(rejected, false, ConceptUploadOutcome.Rejected);
        }

        var sameAsBefore = current is not null && current.Status != ConceptStatus.Rejected && (upload.IsMask
            ? current.MaskBlob == upload.Blob && current.MaskETag == upload.ETag
            : current.ImageBlob == upload.Blob && current.ImageETag == upload.ETag);
        if (sameAsBefore)
        {
            var sendLost = current!.Status == ConceptStatus.Pending && current.ImageBlob.Length > 0 && !current.EncodeRequested;
            return new(current, sendLost, sendLost ? ConceptUploadOutcome.EncodeRequested : ConceptUploadOutcome.AlreadyRegistered);
        }

        var updated = upload.IsMask
            ? row with { MaskBlob = upload.Blob, MaskETag = upload.ETag }
            : row with { ImageBlob = upload.Blob, ImageETag = upload.ETag };
        if (updated.ImageBlob.Length == 0)
        {
            return new(updated, false, ConceptUploadOutcome.MaskRecorded); // still waiting for a (usable) photo
        }

        return new(updated with { Status = ConceptStatus.Pending, Reason = null, EncodeRequested = false }, true, ConceptUploadOutcome.EncodeRequested);
    }
}
