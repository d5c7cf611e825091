using Elite.Inference.Imaging;
using Elite.Contracts.Packs;
using Elite.Inference.Runtime;
using static Elite.Inference.Runtime.GraphRun;

namespace Elite.Inference.Concepts;

/// <summary>
/// ELITE's encoding of one concept (spec §2-3): CLIP vision on the full image and the masked object
/// image in one batch of two, the global mapper on the full image's features (the words), the local
/// mapper on the object's features and the 16×16 mask (the local embeddings).
/// </summary>
public sealed class ConceptEncoder(EliteModels models, U2NetMasker? masker = null)
{
    private const int Levels = ConceptEmbedding.WordCount;

    /// <summary>
    /// Encodes a photo. The object mask is, in order: <paramref name="mask"/> (uploaded), the photo's own
    /// alpha, or an automatic u2netp mask; the embedding records which, and the mask used is returned.
    /// </summary>
    public (ConceptEmbedding Concept, ElitePreprocessed Preprocessed, ObjectMask Mask) Encode(RgbImage image, ObjectMask? mask, CancellationToken cancellationToken = default)
    {
        mask ??= ObjectMask.FromAlpha(image)
            ?? masker?.Predict(image)
            ?? throw new InvalidOperationException("the photo has no mask and no alpha, and no automatic masker was given.");
        var preprocessed = ClipPreprocessor.Prepare(image, mask, models.Manifest.Normalization);
        return (Encode(preprocessed.Image, preprocessed.ObjectImage, preprocessed.Mask16, mask.Source, cancellationToken), preprocessed, mask);
    }

    /// <param name="image">The CLIP input of the full image, [3,224,224] normalised.</param>
    /// <param name="objectImage">The same for image × mask.</param>
    /// <param name="mask16">The object mask at 16×16, row-major, 0 or 1.</param>
    /// <param name="maskSource">Where the mask came from, recorded with the embedding.</param>
    public ConceptEmbedding Encode(float[] image, float[] objectImage, float[] mask16, string maskSource, CancellationToken cancellationToken = default)
    {
        var dims = models.Manifest.Dimensions;
        var size = dims.ImageSize;
        var tokens = dims.Patches + 1;
        var half = models.IsFloat16;

        using var pixels = new TensorBuffer([2, 3, size, size], half);
        image.CopyTo(pixels.Values, 0);
        objectImage.CopyTo(pixels.Values, image.Length);
        pixels.Flush();
        using var feats = new TensorBuffer([Levels, 2, tokens, dims.VisionHidden], half);
        Run(models[GraphNames.ClipVision.Name], Inputs((GraphNames.ClipVision.PixelValues, pixels.Value)), Outputs((GraphNames.ClipVision.Feats, feats)), cancellationToken);

        // feats is [5, 2, 257, V]: row 0 of each level is the full image, row 1 the object.
        var perImage = tokens * dims.VisionHidden;
        using var imageFeats = new TensorBuffer([Levels, 1, tokens, dims.VisionHidden], half);
        using var objectFeats = new TensorBuffer([Levels, 1, tokens, dims.VisionHidden], half);
        for (var level = 0; level < Levels; level++)
        {
            Array.Copy(feats.Values, level * 2 * perImage, imageFeats.Values, level * perImage, perImage);
            Array.Copy(feats.Values, (level * 2 + 1) * perImage, objectFeats.Values, level * perImage, perImage);
        }

        imageFeats.Flush();
        objectFeats.Flush();
        using var words = new TensorBuffer([1, Levels, dims.TextHidden], half);
        Run(models[GraphNames.GlobalMapper.Name], Inputs((GraphNames.GlobalMapper.Feats, imageFeats.Value)), Outputs((GraphNames.GlobalMapper.Words, words)), cancellationToken);

        using var mask = new TensorBuffer([1, dims.Patches, 1], half);
        mask16.CopyTo(mask.Values, 0);
        mask.Flush();
        using var local = new TensorBuffer([1, dims.Patches, dims.TextHidden], half);
        Run(
            models[GraphNames.LocalMapper.Name],
            Inputs((GraphNames.LocalMapper.Feats, objectFeats.Value), (GraphNames.LocalMapper.Mask16, mask.Value)),
            Outputs((GraphNames.LocalMapper.LocalEmbeds, local)),
            cancellationToken);

        return new ConceptEmbedding(models.Manifest.Id, dims.TextHidden, [.. words.Values], [.. local.Values], maskSource);
    }
}
