using System.Diagnostics;
using System.Security.Cryptography;
using Elite.Contracts.Packs;
using Elite.ModelBuilder.Graph;
using Elite.ModelBuilder.Weights;

namespace Elite.ModelBuilder.Packs;

/// <summary>Builds a model pack: the six graphs, their weights, and the manifest.</summary>
public static class PackBuilder
{
    /// <summary>
    /// Fused on every device: on CUDA it is the fast path, and on the CPU ONNX Runtime's MultiHeadAttention
    /// tiles the attention map (flash attention) instead of storing it, faster and in a fraction of the memory.
    /// </summary>
    public const AttentionKind DefaultAttention = AttentionKind.Fused;

    public static PackManifest Build(ElitePreset preset, IWeightSource source, string weightsDescription, string directory, ElementType floatType = ElementType.Float, AttentionKind attention = DefaultAttention, IProgress<string>? progress = null, CancellationToken cancellationToken = default)
    {
        var settings = PackPresets.SettingsOf(preset.Name);
        var catalog = new WeightCatalog(source);
        var graphs = EliteGraphs.Build(preset, catalog, floatType, attention);
        if (source is CheckpointWeights checkpoints) checkpoints.Verify(catalog);

        Directory.CreateDirectory(directory);
        var written = new Dictionary<string, PackGraph>();
        var files = new List<PackFile>();
        foreach (var graph in graphs)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var clock = Stopwatch.StartNew();
            var model = ModelWriter.Write(graph, Path.Combine(directory, graph.Name + ".onnx"));
            written[graph.Name] = new PackGraph(Path.GetFileName(model.Path), model.ExternalDataPath is null ? null : Path.GetFileName(model.ExternalDataPath), model.Parameters);
            files.Add(Describe(model.Path));
            if (model.ExternalDataPath is not null) files.Add(Describe(model.ExternalDataPath));
            progress?.Report($"{graph.Name}: {model.Parameters:N0} parameters, {clock.Elapsed.TotalSeconds:F1} s");
        }

        var manifest = new PackManifest(
            PackManifest.CurrentFormatVersion,
            Id: $"{preset.Name}-{PackHash(files)}",
            preset.Name,
            floatType == ElementType.Float16 ? "float16" : "float32",
            GraphBuilder.Opset,
            weightsDescription,
            Dimensions(preset),
            written,
            files,
            settings.Tokenizer,
            settings.Normalization,
            settings.Scheduler,
            attention);
        manifest.Save(directory);
        return manifest;
    }

    private static PackDimensions Dimensions(ElitePreset preset) => new(
        preset.Text.Encoder.HiddenSize,
        preset.Text.MaxPositions,
        preset.Vision.Encoder.HiddenSize,
        preset.Vision.ImageSize,
        preset.Vision.Patches,
        preset.UNet.CrossAttentionDim,
        preset.UNet.LatentChannels,
        preset.UNet.SampleSize,
        preset.Vae.LatentSize * (1 << (preset.Vae.BlockOutChannels.Length - 1)));

    private static PackFile Describe(string path)
    {
        using var stream = File.OpenRead(path);
        return new PackFile(Path.GetFileName(path), Convert.ToHexStringLower(SHA256.HashData(stream)), stream.Length);
    }

    /// <summary>The pack id ends with a hash of its contents, so two packs with the same id hold the same weights.</summary>
    private static string PackHash(IEnumerable<PackFile> files) =>
        Convert.ToHexStringLower(SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(string.Join("\n", files.Select(f => f.Sha256)))))[..12];
}
