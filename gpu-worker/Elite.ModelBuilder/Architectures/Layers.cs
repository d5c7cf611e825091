using Elite.Contracts.Packs;
using Elite.ModelBuilder.Graph;
using Elite.ModelBuilder.Weights;

namespace Elite.ModelBuilder.Architectures;

/// <summary>PyTorch's layers over the graph builder, reading their parameters by checkpoint name.</summary>
internal static class Layers
{
    /// <summary><c>nn.Linear</c>: x W^T + b, with W stored [out, in].</summary>
    public static Tensor Linear(ComponentWeights w, string name, Tensor x, long inFeatures, long outFeatures, bool bias = true)
    {
        var g = w.Graph;
        var weight = w.Get(name + ".weight", WeightInit.FanIn, outFeatures, inFeatures);
        var y = g.MatMul(x, g.Transpose(weight, 1, 0));
        return bias ? g.Add(y, w.Get(name + ".bias", WeightInit.Bias, outFeatures)) : y;
    }

    public static Tensor LayerNorm(ComponentWeights w, string name, Tensor x, long size, float epsilon) =>
        w.Graph.LayerNorm(x, w.Get(name + ".weight", WeightInit.NormScale, size), w.Get(name + ".bias", WeightInit.NormBias, size), epsilon);

    public static Tensor GroupNorm(ComponentWeights w, string name, Tensor x, long channels, int groups, float epsilon) =>
        w.Graph.GroupNorm(x, w.Get(name + ".weight", WeightInit.NormScale, channels), w.Get(name + ".bias", WeightInit.NormBias, channels), groups, epsilon);

    /// <summary><c>nn.Conv2d</c> with a square kernel; weight [out, in, k, k].</summary>
    public static Tensor Conv2d(ComponentWeights w, string name, Tensor x, long inChannels, long outChannels, int kernel, int stride = 1, int padding = 0, bool bias = true)
    {
        var weight = w.Get(name + ".weight", WeightInit.FanIn, outChannels, inChannels, kernel, kernel);
        var b = bias ? w.Get(name + ".bias", WeightInit.Bias, outChannels) : null;
        return w.Graph.Conv(x, weight, b, stride, padding);
    }

    /// <summary>
    /// diffusers ResnetBlock2D: GroupNorm, SiLU, 3×3 conv, + the projected time embedding (UNet only),
    /// GroupNorm, SiLU, 3×3 conv, + the input (through a 1×1 conv where the channel count changes).
    /// </summary>
    public static Tensor ResnetBlock(ComponentWeights w, string name, Tensor x, Tensor? temb, long inChannels, long outChannels, int groups, float epsilon)
    {
        var g = w.Graph;
        using var scope = g.Scope(name);
        var h = Conv2d(w, $"{name}.conv1", g.Silu(GroupNorm(w, $"{name}.norm1", x, inChannels, groups, epsilon)), inChannels, outChannels, 3, padding: 1);
        if (temb is not null) h = g.Add(h, g.Unsqueeze(Linear(w, $"{name}.time_emb_proj", g.Silu(temb), temb[1].Size, outChannels), 2, 3));
        h = Conv2d(w, $"{name}.conv2", g.Silu(GroupNorm(w, $"{name}.norm2", h, outChannels, groups, epsilon)), outChannels, outChannels, 3, padding: 1);
        var shortcut = inChannels == outChannels ? x : Conv2d(w, $"{name}.conv_shortcut", x, inChannels, outChannels, 1);
        return g.Add(shortcut, h);
    }

    /// <summary>[B, N, heads·d] to [B, heads, N, d].</summary>
    public static Tensor SplitHeads(GraphBuilder g, Tensor x, int heads) =>
        g.Transpose(g.Reshape(x, 0, x[1].Size, heads, x[2].Size / heads), 0, 2, 1, 3);

    /// <summary>[B, heads, N, d] to [B, N, heads·d].</summary>
    public static Tensor MergeHeads(GraphBuilder g, Tensor x) =>
        g.Reshape(g.Transpose(x, 0, 2, 1, 3), 0, x[2].Size, x[1].Size * x[3].Size);

    /// <summary>softmax(scale · Q Kᵀ + mask) over heads-split Q [B,h,Nq,d] and K [B,h,Nk,d].</summary>
    public static Tensor AttentionProbabilities(GraphBuilder g, Tensor q, Tensor k, Tensor? mask = null)
    {
        var scale = 1f / MathF.Sqrt(q[3].Size);
        var scores = g.Mul(g.MatMul(q, g.Transpose(k, 0, 1, 3, 2)), g.Scalar(scale));
        return g.Softmax(mask is null ? scores : g.Add(scores, mask));
    }

    /// <summary>
    /// Multi-head scaled dot-product attention of [B,N,C] queries over [B,M,C] keys and values, with an
    /// optional additive mask [1,1,N,M]: explicit or fused as the graph's <see cref="GraphBuilder.Attention"/> says.
    /// </summary>
    public static Tensor Attention(GraphBuilder g, Tensor q, Tensor k, Tensor v, int heads, Tensor? mask = null)
    {
        if (g.Attention == AttentionKind.Fused) return g.MultiHeadAttention(q, k, v, heads, mask);
        var probabilities = AttentionProbabilities(g, SplitHeads(g, q, heads), SplitHeads(g, k, heads), mask);
        return MergeHeads(g, g.MatMul(probabilities, SplitHeads(g, v, heads)));
    }
}
