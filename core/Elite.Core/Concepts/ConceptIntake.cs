using Azure;
using Azure.Storage.Blobs;
using Azure.Storage.Blobs.Models;
using Elite.Contracts.Imaging;
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

/// <summary>
/// Registers files uploaded to <c>concepts/{conceptId}/{file}</c>: the photo, or the optional <c>mask.*</c> beside it.
/// </summary>
/// <remarks>
/// <para>This class checks the file; what the upload does to the concept is <see cref="ConceptLifecycle"/>'s.</para>
/// <para>A photo with a wrong size, or whose header is not a PNG, JPEG or WebP within <see cref="ImageLimits"/>, is
/// Rejected; one with an unsupported extension too, unless the concept already has a usable photo (then it is
/// ignored). An unusable mask rejects the concept until a usable one replaces it. <see cref="RegisterBlobAsync"/>
/// reads the header from the blob's first bytes; the worker decodes the pixels and rejects the concept itself
/// when they do not decode.</para>
/// </remarks>
public sealed class ConceptIntake(StorageClients clients, ConceptLimits? limits = null)
{
    private readonly ConceptLimits _limits = limits ?? ConceptLimits.Default;
    private readonly ConceptLifecycle _lifecycle = new(clients);

    public Task<ConceptUploadResult> RegisterUploadAsync(string conceptId, string fileName, long sizeBytes, CancellationToken cancellationToken) =>
        RegisterUploadAsync(conceptId, fileName, sizeBytes, etag: null, cancellationToken);

    /// <param name="etag">The blob's ETag, if known: tells a new upload under the same name from a redelivered event.</param>
    public Task<ConceptUploadResult> RegisterUploadAsync(string conceptId, string fileName, long sizeBytes, string? etag, CancellationToken cancellationToken)
    {
        var (problem, unsupportedType) = CheckFile(fileName, sizeBytes);
        return ApplyAsync(new ConceptUpload(conceptId, fileName, etag, problem, unsupportedType), cancellationToken);
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

        return await ApplyAsync(new ConceptUpload(conceptId, fileName, properties.ETag.ToString(), problem, unsupportedType), cancellationToken);
    }

    /// <summary>Why a file of this name is not a supported image type (by its extension), or null when it is.</summary>
    public string? FileTypeProblem(string fileName)
    {
        var extension = Path.GetExtension(fileName).ToLowerInvariant();
        return _limits.Extensions.Contains(extension) ? null
            : $"{(extension.Length == 0 ? "a file without extension" : $"'{extension}'")} is not a supported image type: use {string.Join(", ", _limits.Extensions.Select(e => e.TrimStart('.')))}";
    }

    private (string? Problem, bool UnsupportedType) CheckFile(string fileName, long sizeBytes)
    {
        if (FileTypeProblem(fileName) is { } typeProblem)
        {
            return (typeProblem, true);
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

    private async Task<ConceptUploadResult> ApplyAsync(ConceptUpload upload, CancellationToken cancellationToken)
    {
        if (!ResourceId.IsValid(upload.ConceptId) || !ResourceId.IsValid(upload.FileName))
        {
            // No row can hold such a concept: its id is not a table key.
            return new(ConceptUploadOutcome.Ignored, null, $"'{upload.ConceptId}/{upload.FileName}' is not a valid concept path: use letters, digits, '-', '_' or '.'");
        }

        return await _lifecycle.RegisterUploadAsync(upload, cancellationToken);
    }
}
