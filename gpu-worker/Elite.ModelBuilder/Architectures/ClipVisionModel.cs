using Elite.Contracts.Packs;
using Elite.ModelBuilder.Graph;
using Elite.ModelBuilder.Weights;
using static Elite.ModelBuilder.Architectures.Layers;

namespace Elite.ModelBuilder.Architectures;

public sealed record ClipVisionConfig(ClipEncoderConfig Encoder, int ImageSize = 224, int PatchSize = 14)
{
    public int Patches => (ImageSize / PatchSize) * (ImageSize / PatchSize);
}

/// <summary>
/// CLIP's vision transformer returning the hidden states ELITE maps (spec §2.1), stacked in ELITE's
/// order: the last layer's output (before post_layernorm), then the outputs of layers 4, 8, 12, 16.
/// </summary>
public static class ClipVisionModel
{
    public const string Component = "clip-vision";

    /// <summary>Encoder layers whose outputs ELITE reads, in its order.</summary>
    public static readonly int[] FeatureLayers = [24, 4, 8, 12, 16];

    private const string Prefix = "vision_model";

    public static void Build(GraphBuilder g, WeightCatalog catalog, ClipVisionConfig config)
    {
        var w = catalog.For(Component, g);
        var d = config.Encoder.HiddenSize;
        var tokens = config.Patches + 1;
        var pixels = g.Input(GraphNames.ClipVision.PixelValues, g.FloatType, Dim.Named("B"), 3, config.ImageSize, config.ImageSize);

        var patches = Conv2d(w, $"{Prefix}.embeddings.patch_embedding", pixels, 3, d, config.PatchSize, stride: config.PatchSize, bias: false);
        patches = g.Transpose(g.Reshape(patches, 0, d, config.Patches), 0, 2, 1);
        var classEmbedding = g.Reshape(w.Get($"{Prefix}.embeddings.class_embedding", WeightInit.Embedding, d), 1, 1, d);
        var classShape = g.Concat(0, g.Slice(g.ShapeOf(pixels), 0, 0, 1), g.Int64s(1, d));
        var x = g.Concat(1, g.Expand(classEmbedding, classShape, [pixels[0], 1, d]), patches);
        x = g.Add(x, w.Get($"{Prefix}.embeddings.position_embedding.weight", WeightInit.Embedding, tokens, d));
        x = LayerNorm(w, $"{Prefix}.pre_layrnorm", x, d, config.Encoder.LayerNormEpsilon);

        var hidden = new List<Tensor> { x };
        for (var i = 0; i < config.Encoder.Layers; i++)
        {
            hidden.Add(x = ClipEncoder.Layer(w, $"{Prefix}.encoder.layers.{i}", x, config.Encoder, mask: null));
        }

        g.Output(g.Concat(0, [.. FeatureLayers.Select(layer => g.Unsqueeze(hidden[layer], 0))]), GraphNames.ClipVision.Feats);

        const string pooledOnly = "post_layernorm applies to the pooled CLS output, which ELITE does not use";
        w.Unused($"{Prefix}.post_layernorm.weight", pooledOnly, d);
        w.Unused($"{Prefix}.post_layernorm.bias", pooledOnly, d);
        w.UnusedBuffer($"{Prefix}.embeddings.position_ids", "a buffer holding arange(257), not a weight", 1, tokens);
    }
}
