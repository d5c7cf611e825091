using Elite.Core.Api;
using Elite.Core.Rows;
using Elite.Core.Storage;

namespace Elite.Core.Concepts;

/// <summary>A concept as the API shows it: its row, with read links to its photo and to the mask its encoding used.</summary>
public sealed class ConceptImages(StorageClients clients, BlobLinks links)
{
    public async Task<ConceptView> ViewAsync(ConceptRow row, CancellationToken cancellationToken)
    {
        var photo = row.ImageBlob.Length > 0 ? await links.ReadAsync(StorageNames.Containers.Concepts, row.ImageBlob, cancellationToken) : null;
        return ConceptView.From(row) with { Photo = photo?.Uri.AbsoluteUri, Mask = (await MaskAsync(row, cancellationToken))?.Uri.AbsoluteUri };
    }

    /// <summary>An uploaded mask is always the one used (the encoder prefers it); any other is the one the worker stored beside the embedding.</summary>
    private async Task<BlobLink?> MaskAsync(ConceptRow row, CancellationToken cancellationToken)
    {
        if (row.Status != ConceptStatus.Ready || row.PackId is null) return null;
        if (row.MaskBlob is not null) return await links.ReadAsync(StorageNames.Containers.Concepts, row.MaskBlob, cancellationToken);
        var stored = BlobPaths.EncodedMask(row.ConceptId, row.PackId);
        return await clients.Container(StorageNames.Containers.Embeddings).GetBlobClient(stored).ExistsAsync(cancellationToken)
            ? await links.ReadAsync(StorageNames.Containers.Embeddings, stored, cancellationToken)
            : null;
    }
}
