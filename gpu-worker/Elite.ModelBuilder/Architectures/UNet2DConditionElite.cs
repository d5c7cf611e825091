using Elite.Contracts.Packs;
using Elite.ModelBuilder.Graph;
using Elite.ModelBuilder.Weights;
using static Elite.ModelBuilder.Architectures.Layers;

namespace Elite.ModelBuilder.Architectures;

/// <summary>
/// Sizes of the SD v1.x UNet (diffusers <c>UNet2DConditionModel</c> config). The first three down
/// blocks and the last three up blocks carry cross-attention; <see cref="Heads"/> is the number of
/// heads (diffusers calls it attention_head_dim).
/// </summary>
public sealed record UNetConfig(
    int[] BlockOutChannels,
    int LayersPerBlock = 2,
    int Heads = 8,
    int CrossAttentionDim = 768,
    int NormGroups = 32,
    float NormEpsilon = 1e-5f,
    int SampleSize = 64,
    int LatentChannels = 4,
    int TextTokens = 77,
    int LocalTokens = 256)
{
    public int TimeEmbedDim => 4 * BlockOutChannels[0];

    public bool DownHasCrossAttention(int block) => block < BlockOutChannels.Length - 1;

    public bool UpHasCrossAttention(int block) => block > 0;
}

/// <summary>
/// SD v1.4's UNet with ELITE's cross-attention in all 16 <c>attn2</c> layers (spec §3.3): global K/V
/// from global_mapper.pt replace SD's to_k/to_v, and a local branch over the object's patch
/// embeddings adds λ · (A_local ⊙ m) V_local, where m is the placeholder's column of the global
/// attention divided by its maximum over the sample's heads and queries. Inputs follow spec §6.1.
/// </summary>
public static class UNet2DConditionElite
{
    public const string Component = "unet";

    public static void Build(GraphBuilder g, WeightCatalog catalog, UNetConfig config)
    {
        var batch = Dim.Named("B");
        var sample = g.Input(GraphNames.UNet.Sample, g.FloatType, batch, config.LatentChannels, config.SampleSize, config.SampleSize);
        var timestep = g.Input(GraphNames.UNet.Timestep, ElementType.Float, batch);
        var text = g.Input(GraphNames.UNet.EncoderHiddenStates, g.FloatType, batch, config.TextTokens, config.CrossAttentionDim);
        var local = g.Input(GraphNames.UNet.LocalEmbeds, g.FloatType, batch, config.LocalTokens, config.CrossAttentionDim);
        var localIndex = g.Input(GraphNames.UNet.LocalIndex, ElementType.Int64, batch);
        var lambda = g.Input(GraphNames.UNet.Lambda, ElementType.Float, batch);

        var weights = new UNetWeights(
            catalog.For(Component, g),
            catalog.For(EliteMappers.GlobalComponent, g, EliteMappers.GlobalInitializerPrefix),
            catalog.For(EliteMappers.LocalComponent, g, EliteMappers.LocalInitializerPrefix));
        g.Output(Forward(weights, config, Context(g, text, local, localIndex, lambda), sample, timestep), GraphNames.UNet.NoisePred);
    }

    /// <summary>ELITE's attention context from the graph inputs: the placeholder index becomes a one-hot column selector.</summary>
    internal static EliteContext Context(GraphBuilder g, Tensor text, Tensor local, Tensor localIndex, Tensor lambda)
    {
        var tokens = text[1].Size;
        var positions = g.Int64s([1, tokens], [.. Enumerable.Range(0, (int)tokens).Select(i => (long)i)]);
        var selectColumn = g.Reshape(g.Cast(g.Equal(g.Unsqueeze(localIndex, 1), positions), g.FloatType), 0, 1, tokens, 1);
        return new EliteContext(text, local, selectColumn, g.Reshape(g.Cast(lambda, g.FloatType), 0, 1, 1, 1));
    }

    /// <summary>The UNet's own weights and ELITE's two sets of cross-attention keys and values.</summary>
    internal sealed record UNetWeights(ComponentWeights UNet, ComponentWeights GlobalKv, ComponentWeights LocalKv);

    /// <summary>What every ELITE attn2 reads besides its input: E, F, the S-column selector [B,1,77,1] and λ [B,1,1,1].</summary>
    internal sealed record EliteContext(Tensor Text, Tensor Local, Tensor SelectColumn, Tensor Lambda);

    internal static Tensor Forward(UNetWeights weights, UNetConfig config, EliteContext context, Tensor sample, Tensor timestep)
    {
        var w = weights.UNet;
        var g = w.Graph;
        var channels = config.BlockOutChannels;
        var temb = TimeEmbedding(w, timestep, channels[0], config.TimeEmbedDim);
        var x = Conv2d(w, "conv_in", sample, config.LatentChannels, channels[0], 3, padding: 1);

        var skips = new Stack<Tensor>();
        skips.Push(x);
        for (var i = 0; i < channels.Length; i++)
        {
            var inChannels = i == 0 ? channels[0] : channels[i - 1];
            for (var j = 0; j < config.LayersPerBlock; j++)
            {
                x = Resnet(w, $"down_blocks.{i}.resnets.{j}", x, temb, j == 0 ? inChannels : channels[i], channels[i], config);
                if (config.DownHasCrossAttention(i)) x = Transformer(weights, $"down_blocks.{i}.attentions.{j}", x, channels[i], context, config);
                skips.Push(x);
            }

            if (i < channels.Length - 1)
            {
                x = Downsample(w, $"down_blocks.{i}.downsamplers.0", x, channels[i]);
                skips.Push(x);
            }
        }

        var deepest = channels[^1];
        x = Resnet(w, "mid_block.resnets.0", x, temb, deepest, deepest, config);
        x = Transformer(weights, "mid_block.attentions.0", x, deepest, context, config);
        x = Resnet(w, "mid_block.resnets.1", x, temb, deepest, deepest, config);

        var reversed = channels.Reverse().ToArray();
        for (var i = 0; i < reversed.Length; i++)
        {
            var previous = i == 0 ? reversed[0] : reversed[i - 1];
            for (var j = 0; j <= config.LayersPerBlock; j++)
            {
                var skip = skips.Pop();
                var inChannels = (j == 0 ? previous : reversed[i]) + skip[1].Size;
                x = Resnet(w, $"up_blocks.{i}.resnets.{j}", g.Concat(1, x, skip), temb, inChannels, reversed[i], config);
                if (config.UpHasCrossAttention(i)) x = Transformer(weights, $"up_blocks.{i}.attentions.{j}", x, reversed[i], context, config);
            }

            if (i < reversed.Length - 1) x = Upsample(w, $"up_blocks.{i}.upsamplers.0", x, reversed[i]);
        }

        x = g.Silu(GroupNorm(w, "conv_norm_out", x, channels[0], config.NormGroups, config.NormEpsilon));
        return Conv2d(w, "conv_out", x, channels[0], config.LatentChannels, 3, padding: 1);
    }

    /// <summary>Sinusoidal embedding of the (fractional) timestep, cos first (flip_sin_to_cos), then linear_1, SiLU, linear_2.</summary>
    internal static Tensor TimeEmbedding(ComponentWeights w, Tensor timestep, int channels, int timeEmbedDim)
    {
        var g = w.Graph;
        using var scope = g.Scope("time_embedding");
        var half = channels / 2;
        var frequencies = Enumerable.Range(0, half)
            .Select(i => (float)Math.Exp(-(float)Math.Log(10000) * i / half)) // float32 exponent, as diffusers computes it
            .ToArray();
        var angles = g.Mul(g.Unsqueeze(timestep, 1), g.Cast(g.Floats([1, half], frequencies), ElementType.Float));
        var embedding = g.Cast(g.Concat(1, g.Cos(angles), g.Sin(angles)), g.FloatType);
        var h = g.Silu(Linear(w, "time_embedding.linear_1", embedding, channels, timeEmbedDim));
        return Linear(w, "time_embedding.linear_2", h, timeEmbedDim, timeEmbedDim);
    }

    internal static Tensor Resnet(ComponentWeights w, string name, Tensor x, Tensor temb, long inChannels, long outChannels, UNetConfig config) =>
        ResnetBlock(w, name, x, temb, inChannels, outChannels, config.NormGroups, config.NormEpsilon);

    /// <summary>diffusers Downsample2D: a 3×3 convolution with stride 2.</summary>
    internal static Tensor Downsample(ComponentWeights w, string name, Tensor x, long channels) =>
        Conv2d(w, $"{name}.conv", x, channels, channels, 3, stride: 2, padding: 1);

    /// <summary>diffusers Upsample2D: nearest ×2, then a 3×3 convolution.</summary>
    internal static Tensor Upsample(ComponentWeights w, string name, Tensor x, long channels) =>
        Conv2d(w, $"{name}.conv", w.Graph.Upsample2x(x), channels, channels, 3, padding: 1);

    /// <summary>diffusers Transformer2DModel (1×1 conv projections) holding one BasicTransformerBlock.</summary>
    internal static Tensor Transformer(UNetWeights weights, string name, Tensor x, long channels, EliteContext context, UNetConfig config)
    {
        var w = weights.UNet;
        var g = w.Graph;
        using var scope = g.Scope(name);
        var size = x[2].Size;
        var h = GroupNorm(w, $"{name}.norm", x, channels, config.NormGroups, 1e-6f);
        h = Conv2d(w, $"{name}.proj_in", h, channels, channels, 1);
        h = g.Transpose(g.Reshape(h, 0, channels, size * size), 0, 2, 1);

        var block = $"{name}.transformer_blocks.0";
        var normed = LayerNorm(w, $"{block}.norm1", h, channels, 1e-5f);
        h = g.Add(h, SelfAttention(w, $"{block}.attn1", normed, channels, config));
        normed = LayerNorm(w, $"{block}.norm2", h, channels, 1e-5f);
        h = g.Add(h, EliteCrossAttention(weights, $"{block}.attn2", normed, channels, context, config));
        normed = LayerNorm(w, $"{block}.norm3", h, channels, 1e-5f);
        h = g.Add(h, FeedForward(w, $"{block}.ff", normed, channels));

        h = g.Reshape(g.Transpose(h, 0, 2, 1), 0, channels, size, size);
        return g.Add(Conv2d(w, $"{name}.proj_out", h, channels, channels, 1), x);
    }

    private static Tensor SelfAttention(ComponentWeights w, string name, Tensor x, long channels, UNetConfig config)
    {
        var q = Linear(w, $"{name}.to_q", x, channels, channels, bias: false);
        var k = Linear(w, $"{name}.to_k", x, channels, channels, bias: false);
        var v = Linear(w, $"{name}.to_v", x, channels, channels, bias: false);
        return Linear(w, $"{name}.to_out.0", Attention(w.Graph, q, k, v, config.Heads), channels, channels);
    }

    /// <summary>ELITE's attn2 (train_local.py inj_forward_crossattention), with the gating maximum taken per sample.</summary>
    private static Tensor EliteCrossAttention(UNetWeights weights, string name, Tensor x, long channels, EliteContext context, UNetConfig config)
    {
        var (w, globalKv, localKv) = weights;
        var g = w.Graph;
        using var scope = g.Scope("elite");
        var kvName = name.Replace('.', '_');
        var dim = config.CrossAttentionDim;
        const string replaced = "ELITE replaces SD's cross-attention keys and values with the global mapper's";
        w.Unused($"{name}.to_k.weight", replaced, channels, dim);
        w.Unused($"{name}.to_v.weight", replaced, channels, dim);

        var q = SplitHeads(g, Linear(w, $"{name}.to_q", x, channels, channels, bias: false), config.Heads);
        var globalK = SplitHeads(g, Linear(globalKv, $"{kvName}_to_k", context.Text, dim, channels, bias: false), config.Heads);
        var globalV = SplitHeads(g, Linear(globalKv, $"{kvName}_to_v", context.Text, dim, channels, bias: false), config.Heads);
        var globalAttention = AttentionProbabilities(g, q, globalK);
        var output = g.MatMul(globalAttention, globalV);

        var localK = SplitHeads(g, Linear(localKv, $"{kvName}_to_k", context.Local, dim, channels, bias: false), config.Heads);
        var localV = SplitHeads(g, Linear(localKv, $"{kvName}_to_v", context.Local, dim, channels, bias: false), config.Heads);
        var localAttention = AttentionProbabilities(g, q, localK);

        // m: the placeholder's column of the global attention [B,h,N,1], over its maximum per sample.
        // A row without a placeholder (index -1) has m = 0 everywhere; dividing by 1 keeps it 0, not NaN.
        var column = g.MatMul(globalAttention, context.SelectColumn);
        var maximum = g.ReduceMax(column, [1, 2, 3], keepDims: true);
        var divisor = g.Where(g.Greater(maximum, g.Scalar(0)), maximum, g.Scalar(1));
        var gate = g.Div(column, divisor);
        var localOutput = g.MatMul(g.Mul(localAttention, gate), localV);
        output = g.Add(output, g.Mul(context.Lambda, localOutput));

        return Linear(w, $"{name}.to_out.0", MergeHeads(g, output), channels, channels);
    }

    /// <summary>GEGLU feed-forward: proj to 8C, value · gelu(gate) over the two halves, then 4C to C.</summary>
    private static Tensor FeedForward(ComponentWeights w, string name, Tensor x, long channels)
    {
        var g = w.Graph;
        var (value, gate) = g.SplitHalves(Linear(w, $"{name}.net.0.proj", x, channels, channels * 8));
        return Linear(w, $"{name}.net.2", g.Mul(value, g.Gelu(gate)), channels * 4, channels);
    }
}
