using Elite.ModelBuilder.Graph;
using Elite.ModelBuilder.Weights;
using static Elite.ModelBuilder.Architectures.Layers;

namespace Elite.ModelBuilder.Architectures;

/// <summary>Sizes shared by CLIP's text and vision transformers (transformers' <c>CLIPTextConfig</c> / <c>CLIPVisionConfig</c>).</summary>
public sealed record ClipEncoderConfig(int HiddenSize, int Heads, int IntermediateSize, int Layers, float LayerNormEpsilon = 1e-5f);

/// <summary>
/// CLIP's pre-LayerNorm transformer layer (transformers <c>CLIPEncoderLayer</c>):
/// x + attention(layer_norm1(x)), then + fc2(quick_gelu(fc1(layer_norm2(x)))).
/// </summary>
internal static class ClipEncoder
{
    public static Tensor Layer(ComponentWeights w, string name, Tensor x, ClipEncoderConfig config, Tensor? mask)
    {
        var g = w.Graph;
        using var scope = g.Scope(name);
        var d = config.HiddenSize;

        var h = LayerNorm(w, $"{name}.layer_norm1", x, d, config.LayerNormEpsilon);
        var q = Linear(w, $"{name}.self_attn.q_proj", h, d, d);
        var k = Linear(w, $"{name}.self_attn.k_proj", h, d, d);
        var v = Linear(w, $"{name}.self_attn.v_proj", h, d, d);
        var attention = Attention(g, q, k, v, config.Heads, mask);
        x = g.Add(x, Linear(w, $"{name}.self_attn.out_proj", attention, d, d));

        h = LayerNorm(w, $"{name}.layer_norm2", x, d, config.LayerNormEpsilon);
        h = g.QuickGelu(Linear(w, $"{name}.mlp.fc1", h, d, config.IntermediateSize));
        return g.Add(x, Linear(w, $"{name}.mlp.fc2", h, config.IntermediateSize, d));
    }
}
