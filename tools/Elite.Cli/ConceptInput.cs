using Elite.Contracts.Imaging;
using Elite.Inference.Concepts;
using Elite.Inference.Imaging;
using Elite.Inference.Runtime;

namespace Elite.Cli;

/// <summary>A concept given on the command line: an .elite file, or a photo to encode now.</summary>
internal static class ConceptInput
{
    public static ConceptEmbedding Load(EliteModels models, string path, CancellationToken cancellationToken) =>
        path.EndsWith(ConceptEmbeddingFile.Extension, StringComparison.OrdinalIgnoreCase)
            ? ConceptEmbeddingFile.Read(File.ReadAllBytes(path), models.Manifest.Id)
            : Encode(models, path, maskPath: null, dumpDirectory: null, cancellationToken);

    public static ConceptEmbedding Encode(EliteModels models, string imagePath, string? maskPath, string? dumpDirectory, CancellationToken cancellationToken)
    {
        var limits = ImageLimits.Default;
        var image = ImageDecoder.Decode(File.ReadAllBytes(imagePath), limits);
        var mask = maskPath is null ? null : ImageDecoder.DecodeMask(File.ReadAllBytes(maskPath), limits, image.Width, image.Height);
        using var masker = mask is null && image.Alpha is null ? new U2NetMasker(CommandHelpers.AssetPath("u2netp.onnx")) : null;
        var encoder = new ConceptEncoder(models, masker);
        var (concept, preprocessed, _) = encoder.Encode(image, mask, cancellationToken);
        if (dumpDirectory is not null) Dump(dumpDirectory, preprocessed, concept);
        return concept;
    }

    private static void Dump(string directory, ElitePreprocessed preprocessed, ConceptEmbedding concept)
    {
        Directory.CreateDirectory(directory);
        NpyFile.Write(Path.Combine(directory, "pixel_values_clip.npy"), preprocessed.Image, 3, 224, 224);
        NpyFile.Write(Path.Combine(directory, "pixel_values_obj.npy"), preprocessed.ObjectImage, 3, 224, 224);
        NpyFile.Write(Path.Combine(directory, "mask16.npy"), preprocessed.Mask16, 16, 16);
        NpyFile.Write(Path.Combine(directory, "words.npy"), concept.Words, ConceptEmbedding.WordCount, concept.Width);
        NpyFile.Write(Path.Combine(directory, "local_embeds.npy"), concept.LocalEmbeds, ConceptEmbedding.LocalTokens, concept.Width);
    }
}
