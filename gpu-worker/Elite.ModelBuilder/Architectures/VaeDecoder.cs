using Elite.Contracts.Packs;
using Elite.ModelBuilder.Graph;
using Elite.ModelBuilder.Weights;
using static Elite.ModelBuilder.Architectures.Layers;

namespace Elite.ModelBuilder.Architectures;

/// <summary>Sizes of SD's AutoencoderKL (diffusers config).</summary>
public sealed record VaeConfig(
    int[] BlockOutChannels,
    int LayersPerBlock = 2,
    int NormGroups = 32,
    float NormEpsilon = 1e-6f,
    int LatentChannels = 4,
    int LatentSize = 64);

/// <summary>
/// SD's VAE decoder (diffusers 0.11 <c>AutoencoderKL.decode</c>): post_quant_conv, conv_in, a mid block
/// (resnet, single-head attention, resnet), up blocks of LayersPerBlock+1 resnets with nearest ×2
/// upsampling, GroupNorm, SiLU, conv_out. Takes latents already divided by 0.18215; gives an image in
/// about [-1, 1]. Attention weights use the names stored in SD v1-4's file (query/key/value/proj_attn).
/// </summary>
public static class VaeDecoder
{
    public const string Component = "vae";

    public static void Build(GraphBuilder g, WeightCatalog catalog, VaeConfig config)
    {
        var w = catalog.For(Component, g);
        var channels = config.BlockOutChannels;
        var latent = g.Input(GraphNames.VaeDecoder.Latent, g.FloatType, Dim.Named("B"), config.LatentChannels, config.LatentSize, config.LatentSize);

        var x = Conv2d(w, "post_quant_conv", latent, config.LatentChannels, config.LatentChannels, 1);
        var deepest = channels[^1];
        x = Conv2d(w, "decoder.conv_in", x, config.LatentChannels, deepest, 3, padding: 1);
        x = Resnet(w, "decoder.mid_block.resnets.0", x, deepest, deepest, config);
        x = Attention(w, "decoder.mid_block.attentions.0", x, deepest, config);
        x = Resnet(w, "decoder.mid_block.resnets.1", x, deepest, deepest, config);

        var reversed = channels.Reverse().ToArray();
        for (var i = 0; i < reversed.Length; i++)
        {
            var previous = i == 0 ? reversed[0] : reversed[i - 1];
            for (var j = 0; j <= config.LayersPerBlock; j++)
            {
                x = Resnet(w, $"decoder.up_blocks.{i}.resnets.{j}", x, j == 0 ? previous : reversed[i], reversed[i], config);
            }

            if (i < reversed.Length - 1)
            {
                x = Conv2d(w, $"decoder.up_blocks.{i}.upsamplers.0.conv", g.Upsample2x(x), reversed[i], reversed[i], 3, padding: 1);
            }
        }

        x = g.Silu(GroupNorm(w, "decoder.conv_norm_out", x, channels[0], config.NormGroups, config.NormEpsilon));
        g.Output(Conv2d(w, "decoder.conv_out", x, channels[0], 3, 3, padding: 1), GraphNames.VaeDecoder.Image);
        DeclareEncoderUnused(w, config);
    }

    internal static Tensor Resnet(ComponentWeights w, string name, Tensor x, long inChannels, long outChannels, VaeConfig config) =>
        ResnetBlock(w, name, x, temb: null, inChannels, outChannels, config.NormGroups, config.NormEpsilon);

    /// <summary>diffusers 0.11 AttentionBlock: one head over all positions, residual.</summary>
    internal static Tensor Attention(ComponentWeights w, string name, Tensor x, long channels, VaeConfig config)
    {
        var g = w.Graph;
        using var scope = g.Scope(name);
        var size = x[2].Size;
        var h = GroupNorm(w, $"{name}.group_norm", x, channels, config.NormGroups, config.NormEpsilon);
        h = g.Transpose(g.Reshape(h, 0, channels, size * size), 0, 2, 1);
        var q = Linear(w, $"{name}.query", h, channels, channels);
        var k = Linear(w, $"{name}.key", h, channels, channels);
        var v = Linear(w, $"{name}.value", h, channels, channels);
        h = Linear(w, $"{name}.proj_attn", Layers.Attention(g, q, k, v, heads: 1), channels, channels);
        return g.Add(g.Reshape(g.Transpose(h, 0, 2, 1), 0, channels, size, size), x);
    }

    /// <summary>The encoder half of the checkpoint, which ELITE never runs: its names and shapes, so loading accepts them.</summary>
    private static void DeclareEncoderUnused(ComponentWeights w, VaeConfig config)
    {
        const string reason = "the VAE encoder: ELITE generates from noise and only decodes";
        var channels = config.BlockOutChannels;
        void Conv(string name, long outChannels, long inChannels, long kernel)
        {
            w.Unused($"{name}.weight", reason, outChannels, inChannels, kernel, kernel);
            w.Unused($"{name}.bias", reason, outChannels);
        }

        void Norm(string name, long size)
        {
            w.Unused($"{name}.weight", reason, size);
            w.Unused($"{name}.bias", reason, size);
        }

        void Resnet(string name, long inChannels, long outChannels)
        {
            Norm($"{name}.norm1", inChannels);
            Conv($"{name}.conv1", outChannels, inChannels, 3);
            Norm($"{name}.norm2", outChannels);
            Conv($"{name}.conv2", outChannels, outChannels, 3);
            if (inChannels != outChannels) Conv($"{name}.conv_shortcut", outChannels, inChannels, 1);
        }

        Conv("encoder.conv_in", channels[0], 3, 3);
        for (var i = 0; i < channels.Length; i++)
        {
            for (var j = 0; j < config.LayersPerBlock; j++)
            {
                Resnet($"encoder.down_blocks.{i}.resnets.{j}", j == 0 ? channels[Math.Max(i - 1, 0)] : channels[i], channels[i]);
            }

            if (i < channels.Length - 1) Conv($"encoder.down_blocks.{i}.downsamplers.0.conv", channels[i], channels[i], 3);
        }

        var deepest = channels[^1];
        Resnet("encoder.mid_block.resnets.0", deepest, deepest);
        Norm("encoder.mid_block.attentions.0.group_norm", deepest);
        foreach (var projection in new[] { "query", "key", "value", "proj_attn" })
        {
            w.Unused($"encoder.mid_block.attentions.0.{projection}.weight", reason, deepest, deepest);
            w.Unused($"encoder.mid_block.attentions.0.{projection}.bias", reason, deepest);
        }

        Resnet("encoder.mid_block.resnets.1", deepest, deepest);
        Norm("encoder.conv_norm_out", deepest);
        Conv("encoder.conv_out", 2 * config.LatentChannels, deepest, 3);
        Conv("quant_conv", 2 * config.LatentChannels, 2 * config.LatentChannels, 1);
    }
}
