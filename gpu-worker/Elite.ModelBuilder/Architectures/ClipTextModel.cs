using Elite.Contracts.Packs;
using Elite.ModelBuilder.Graph;
using Elite.ModelBuilder.Weights;
using static Elite.ModelBuilder.Architectures.Layers;

namespace Elite.ModelBuilder.Architectures;

public sealed record ClipTextConfig(ClipEncoderConfig Encoder, int VocabSize = 49408, int MaxPositions = 77);

/// <summary>
/// CLIP's text transformer with ELITE's word injection (spec §2.3, one word): the token embedding at
/// <c>inj_index</c> is replaced by <c>inj_embedding</c> before the position embeddings are added;
/// index -1 injects nothing (the unconditional prompt). Causal self-attention, final LayerNorm.
/// </summary>
public static class ClipTextModel
{
    public const string Component = "clip-text";
    private const string Prefix = "text_model";

    public static void Build(GraphBuilder g, WeightCatalog catalog, ClipTextConfig config)
    {
        var w = catalog.For(Component, g);
        var d = config.Encoder.HiddenSize;
        var length = config.MaxPositions;
        var batch = Dim.Named("B");
        var inputIds = g.Input(GraphNames.TextEncoder.InputIds, ElementType.Int64, batch, length);
        var injected = g.Input(GraphNames.TextEncoder.InjEmbedding, g.FloatType, batch, 1, d);
        var injectIndex = g.Input(GraphNames.TextEncoder.InjIndex, ElementType.Int64, batch);

        var tokens = g.Gather(w.Get($"{Prefix}.embeddings.token_embedding.weight", WeightInit.Embedding, config.VocabSize, d), inputIds);
        var positions = g.Int64s([1, length], [.. Enumerable.Range(0, length).Select(i => (long)i)]);
        var isInjected = g.Unsqueeze(g.Equal(g.Unsqueeze(injectIndex, 1), positions), 2);
        var x = g.Where(isInjected, injected, tokens);
        x = g.Add(x, w.Get($"{Prefix}.embeddings.position_embedding.weight", WeightInit.Embedding, length, d));

        var mask = CausalMask(g, length);
        for (var i = 0; i < config.Encoder.Layers; i++)
        {
            x = ClipEncoder.Layer(w, $"{Prefix}.encoder.layers.{i}", x, config.Encoder, mask);
        }

        g.Output(LayerNorm(w, $"{Prefix}.final_layer_norm", x, d, config.Encoder.LayerNormEpsilon), GraphNames.TextEncoder.LastHiddenState);
        w.UnusedBuffer($"{Prefix}.embeddings.position_ids", "a buffer holding arange(77), not a weight", 1, length);
    }

    /// <summary>[1,1,L,L]: 0 where a position may attend (itself and before), the float type's minimum elsewhere, as transformers does.</summary>
    internal static Tensor CausalMask(GraphBuilder g, int length)
    {
        var minimum = g.FloatType == ElementType.Float16 ? (float)Half.MinValue : float.MinValue;
        var values = new float[length * length];
        for (var row = 0; row < length; row++)
        {
            for (var column = row + 1; column < length; column++) values[(row * length) + column] = minimum;
        }

        return g.Floats([1, 1, length, length], values);
    }
}
