using Elite.Contracts.Packs;
using Elite.ModelBuilder.Packs;
using Elite.ModelBuilder.Tests.Support;
using Onnx;
using Xunit.Abstractions;

namespace Elite.ModelBuilder.Tests;

/// <summary>
/// The fused tiny pack (the default) and the explicit one, built from the same weights: the fused one
/// runs every plain attention through MultiHeadAttention, keeps ELITE's attn2 explicit, records its
/// choice in the manifest, and every graph gives the explicit graph's outputs within 1e-4 (fp32, CPU).
/// </summary>
public sealed class FusedAttentionPackTests(TinyPack fused, ExplicitTinyPack @explicit, ITestOutputHelper output)
    : IClassFixture<TinyPack>, IClassFixture<ExplicitTinyPack>
{
    private const int Batch = 2;
    private const int Tokens = 77;
    private const string Fused = "MultiHeadAttention";

    /// <summary>SD's UNet has 16 transformer blocks (spec §3.5), each an attn1 and an ELITE attn2 with a global and a local softmax.</summary>
    private const int Transformers = 16;

    private static readonly int Width = ElitePreset.Tiny.UNet.CrossAttentionDim;

    [Fact]
    public void The_manifests_record_the_attention_each_pack_was_built_with()
    {
        Assert.Equal(AttentionKind.Fused, fused.Manifest.Attention);
        Assert.Equal(AttentionKind.Explicit, @explicit.Manifest.Attention);
        Assert.Equal(AttentionKind.Fused, PackManifest.Load(fused.Directory).Attention);
        Assert.Equal(AttentionKind.Explicit, PackManifest.Load(@explicit.Directory).Attention);
    }

    [Fact]
    public void Only_plain_attention_is_fused_and_elites_attn2_keeps_its_two_softmaxes()
    {
        var preset = ElitePreset.Tiny;
        Assert.Equal((Transformers, 2 * Transformers), Count(fused, GraphNames.UNet.Name));
        Assert.Equal((0, 3 * Transformers), Count(@explicit, GraphNames.UNet.Name));
        Assert.Equal((1, 0), Count(fused, GraphNames.VaeDecoder.Name));
        Assert.Equal((0, 1), Count(@explicit, GraphNames.VaeDecoder.Name));
        Assert.Equal((preset.Text.Encoder.Layers, 0), Count(fused, GraphNames.TextEncoder.Name));
        Assert.Equal((preset.Vision.Encoder.Layers, 0), Count(fused, GraphNames.ClipVision.Name));
        Assert.Equal((0, 0), Count(fused, GraphNames.GlobalMapper.Name));
    }

    [Fact]
    public void Every_graph_of_the_fused_pack_gives_the_explicit_packs_outputs()
    {
        var random = new Random(3);
        float[] Noise(int count) => [.. Enumerable.Range(0, count).Select(_ => (random.NextSingle() * 2f) - 1f)];
        var ids = Enumerable.Repeat(49407L, Batch * Tokens).ToArray();
        for (var b = 0; b < Batch; b++) new long[] { 49406, 320, 1125, 539, 320, 338, 525, 518, 2117, 49407 }.CopyTo(ids, b * Tokens);
        var feats = Noise(5 * Batch * 257 * Width);
        var feeds = new Dictionary<string, Dictionary<string, Feed>>
        {
            [GraphNames.ClipVision.Name] = new() { ["pixel_values"] = Feed.Floats(Noise(Batch * 3 * 224 * 224), Batch, 3, 224, 224) },
            [GraphNames.GlobalMapper.Name] = new() { ["feats"] = Feed.Floats(feats, 5, Batch, 257, Width) },
            [GraphNames.LocalMapper.Name] = new() { ["feats"] = Feed.Floats(feats, 5, Batch, 257, Width), ["mask16"] = Feed.Floats(Noise(Batch * 256), Batch, 256, 1) },
            [GraphNames.TextEncoder.Name] = new()
            {
                ["input_ids"] = Feed.Int64s(ids, Batch, Tokens),
                ["inj_embedding"] = Feed.Floats(Noise(Batch * Width), Batch, 1, Width),
                ["inj_index"] = Feed.Int64s([5, -1], Batch),
            },
            [GraphNames.UNet.Name] = new()
            {
                ["sample"] = Feed.Floats(Noise(Batch * 4 * 64 * 64), Batch, 4, 64, 64),
                ["timestep"] = Feed.Floats([981.3f, 10.09f], Batch),
                ["encoder_hidden_states"] = Feed.Floats(Noise(Batch * Tokens * Width), Batch, Tokens, Width),
                ["local_embeds"] = Feed.Floats(Noise(Batch * 256 * Width), Batch, 256, Width),
                ["local_index"] = Feed.Int64s([5, -1], Batch),
                ["llambda"] = Feed.Floats([0.8f, 0f], Batch),
            },
            [GraphNames.VaeDecoder.Name] = new() { ["latent"] = Feed.Floats(Noise(Batch * 4 * 64 * 64), Batch, 4, 64, 64) },
        };
        Assert.Equal(GraphNames.All.Order(), feeds.Keys.Order());

        foreach (var (graph, inputs) in feeds)
        {
            var expected = OrtRunner.Run(@explicit.Session(graph), inputs);
            var actual = OrtRunner.Run(fused.Session(graph), inputs);
            foreach (var (name, values) in expected)
            {
                Approx.Equal(values, actual[name]);
                output.WriteLine($"{graph}.{name}: max |fused - explicit| = {values.Zip(actual[name]).Max(p => MathF.Abs(p.First - p.Second)):E2} (max |explicit| {values.Max(MathF.Abs):F3})");
            }
        }
    }

    /// <summary>MultiHeadAttention and Softmax nodes of one graph of <paramref name="pack"/>.</summary>
    private static (int Fused, int Softmax) Count(TinyPack pack, string graph)
    {
        var nodes = ModelProto.Parser.ParseFrom(File.ReadAllBytes(Path.Combine(pack.Directory, pack.Manifest.Graphs[graph].File))).Graph.Node;
        Assert.All(nodes.Where(n => n.OpType == Fused), n => Assert.Equal("com.microsoft", n.Domain));
        return (nodes.Count(n => n.OpType == Fused), nodes.Count(n => n.OpType == "Softmax"));
    }
}
