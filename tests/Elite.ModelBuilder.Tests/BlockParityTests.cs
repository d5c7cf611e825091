using Elite.Contracts.Packs;
using Elite.ModelBuilder.Architectures;
using Elite.ModelBuilder.Graph;
using Elite.ModelBuilder.Tests.Support;
using Elite.ModelBuilder.Weights;

namespace Elite.ModelBuilder.Tests;

/// <summary>
/// Each block the builder emits, run in ONNX Runtime on the weights and inputs of a PyTorch fixture
/// (Fixtures/generate_fixtures.py, an independent implementation), matches PyTorch within 1e-4.
/// Blocks that hold a plain attention are checked once per <see cref="AttentionKind"/>.
/// </summary>
public sealed class BlockParityTests
{
    private const string Block = "block.";

    public static IEnumerable<object[]> EachAttention => WithEachAttention([]);

    public static IEnumerable<object[]> ClipLayers => WithEachAttention(["clip_text_layer", true], ["clip_vision_layer", false]);

    public static IEnumerable<object[]> Transformers => WithEachAttention(["transformer_elite"], ["transformer_elite_lambda0"]);

    [Theory]
    [MemberData(nameof(ClipLayers))]
    public void Clip_encoder_layer(string fixture, bool causal, AttentionKind attention)
    {
        using var f = new ParityFixture(fixture);
        var (g, w) = Graph(f, Block, attention);
        var x = Input(g, f, "hidden_states");
        var config = new ClipEncoderConfig(f.Config("hidden_size"), f.Config("heads"), f.Config("intermediate_size"), Layers: 1);
        var mask = causal ? ClipTextModel.CausalMask(g, (int)x[1].Size) : null;
        g.Output(ClipEncoder.Layer(w, "block", x, config, mask), "out.hidden_states");
        Check(f, g, "hidden_states");
    }

    [Theory]
    [MemberData(nameof(EachAttention))]
    public void Clip_text_model_with_word_injection(AttentionKind attention)
    {
        using var f = new ParityFixture("clip_text_model");
        var g = new GraphBuilder("clip_text_model", attention: attention);
        var config = new ClipTextConfig(new ClipEncoderConfig(f.Config("hidden_size"), f.Config("heads"), f.Config("intermediate_size"), f.Config("num_layers")), VocabSize: f.Config("vocab_size"));
        ClipTextModel.Build(g, new WeightCatalog(f.Weights("text_model.")), config);
        Check(f, g, "last_hidden_state");
    }

    [Theory]
    [MemberData(nameof(EachAttention))]
    public void Clip_vision_model_returns_elites_five_hidden_states(AttentionKind attention)
    {
        using var f = new ParityFixture("clip_vision_model");
        var g = new GraphBuilder("clip_vision_model", attention: attention);
        var config = new ClipVisionConfig(new ClipEncoderConfig(f.Config("hidden_size"), f.Config("heads"), f.Config("intermediate_size"), f.Config("num_layers")), f.Config("image_size"), f.Config("patch_size"));
        ClipVisionModel.Build(g, new WeightCatalog(f.Weights("vision_model.")), config);
        Check(f, g, "feats");
    }

    [Theory]
    [InlineData("global_mapper", "words")]
    [InlineData("local_mapper", "local_embeds")]
    public void Elite_mapper(string fixture, string output)
    {
        using var f = new ParityFixture(fixture);
        var g = new GraphBuilder(fixture);
        var feats = f.Inputs()["feats"].Shape;
        var config = new MapperConfig(InputDim: feats[3], OutputDim: (int)f.ExpectedShape(output)[^1], Tokens: feats[2]);
        var catalog = new WeightCatalog(f.Weights(""));
        if (fixture == "global_mapper") EliteMappers.BuildGlobal(g, catalog, config);
        else EliteMappers.BuildLocal(g, catalog, config);
        Check(f, g, output);
    }

    [Fact]
    public void Unet_resnet_block_with_time_embedding()
    {
        using var f = new ParityFixture("resnet_block");
        var (g, w) = Graph(f, Block);
        var x = Input(g, f, "hidden_states");
        var temb = Input(g, f, "temb");
        var config = new UNetConfig([f.Config("in_channels")], NormGroups: f.Config("groups"));
        g.Output(UNet2DConditionElite.Resnet(w, "block", x, temb, f.Config("in_channels"), f.Config("out_channels"), config), "out.hidden_states");
        Check(f, g, "hidden_states");
    }

    [Theory]
    [MemberData(nameof(Transformers))]
    public void Transformer_block_with_elite_cross_attention(string fixture, AttentionKind attention)
    {
        using var f = new ParityFixture(fixture);
        var g = new GraphBuilder(fixture, attention: attention);
        var catalog = new WeightCatalog(f.Weights(Block));
        var x = Input(g, f, "hidden_states");
        var text = Input(g, f, "encoder_hidden_states");
        var local = Input(g, f, "local_embeds");
        var localIndex = g.Input("local_index", ElementType.Int64, Dim.Named("B"));
        var lambda = g.Input("llambda", ElementType.Float, Dim.Named("B"));
        var channels = (int)x[1].Size;
        var config = new UNetConfig([channels], Heads: f.Config("heads"), CrossAttentionDim: (int)text[2].Size, NormGroups: f.Config("groups"));
        var weights = new UNet2DConditionElite.UNetWeights(
            catalog.For(UNet2DConditionElite.Component, g),
            catalog.For(EliteMappers.GlobalComponent, g, EliteMappers.GlobalInitializerPrefix),
            catalog.For(EliteMappers.LocalComponent, g, EliteMappers.LocalInitializerPrefix));
        var context = UNet2DConditionElite.Context(g, text, local, localIndex, lambda);
        g.Output(UNet2DConditionElite.Transformer(weights, "block", x, channels, context, config), "out.hidden_states");
        Check(f, g, "hidden_states");
    }

    [Theory]
    [InlineData("downsample")]
    [InlineData("upsample")]
    public void Unet_resampling(string fixture)
    {
        using var f = new ParityFixture(fixture);
        var (g, w) = Graph(f, Block);
        var x = Input(g, f, "hidden_states");
        var channels = x[1].Size;
        g.Output(fixture == "downsample" ? UNet2DConditionElite.Downsample(w, "block", x, channels) : UNet2DConditionElite.Upsample(w, "block", x, channels), "out.hidden_states");
        Check(f, g, "hidden_states");
    }

    [Fact]
    public void Timestep_embedding_of_fractional_timesteps()
    {
        using var f = new ParityFixture("timestep_embedding");
        var (g, w) = Graph(f, "time_embedding.");
        var timestep = g.Input("timestep", ElementType.Float, Dim.Named("B"));
        g.Output(UNet2DConditionElite.TimeEmbedding(w, timestep, (int)f.ExpectedShape("t_emb")[1], (int)f.ExpectedShape("temb")[1]), "out.temb");
        Check(f, g, "temb");
    }

    [Theory]
    [MemberData(nameof(EachAttention))]
    public void Vae_attention_block(AttentionKind attention)
    {
        using var f = new ParityFixture("vae_attention");
        var (g, w) = Graph(f, Block, attention);
        var x = Input(g, f, "hidden_states");
        g.Output(VaeDecoder.Attention(w, "block", x, x[1].Size, new VaeConfig([1], NormGroups: f.Config("groups"))), "out.hidden_states");
        Check(f, g, "hidden_states");
    }

    [Fact]
    public void Vae_resnet_block()
    {
        using var f = new ParityFixture("vae_resnet");
        var (g, w) = Graph(f, Block);
        var x = Input(g, f, "hidden_states");
        g.Output(VaeDecoder.Resnet(w, "block", x, f.Config("in_channels"), f.Config("out_channels"), new VaeConfig([1], NormGroups: f.Config("groups"))), "out.hidden_states");
        Check(f, g, "hidden_states");
    }

    /// <summary>Every case once per attention kind, the kind appended as the last argument.</summary>
    private static IEnumerable<object[]> WithEachAttention(params object[][] cases) =>
        (cases.Length == 0 ? [[]] : cases).SelectMany(c => Enum.GetValues<AttentionKind>().Select(kind => (object[])[.. c, kind]));

    private static (GraphBuilder Graph, ComponentWeights Weights) Graph(ParityFixture fixture, string prefix, AttentionKind attention = AttentionKind.Explicit)
    {
        var g = new GraphBuilder("block", attention: attention);
        return (g, new WeightCatalog(fixture.Weights(prefix)).For("fixture", g));
    }

    private static Tensor Input(GraphBuilder g, ParityFixture fixture, string name)
    {
        var shape = fixture.Inputs()[name].Shape;
        return g.Input(name, ElementType.Float, [Dim.Named("B"), .. shape[1..].Select(d => (Dim)d)]);
    }

    private static void Check(ParityFixture fixture, GraphBuilder g, string output)
    {
        Assert.Equal(g.Attention == AttentionKind.Fused, g.Nodes.Any(n => n.OpType == "MultiHeadAttention"));
        var feeds = fixture.Inputs().Where(i => g.Inputs.Any(input => input.Name == i.Key)).ToDictionary();
        var results = OrtRunner.Run(g, feeds);
        var actual = results.TryGetValue("out." + output, out var renamed) ? renamed : results[output];
        Approx.Equal(fixture.Expected(output), actual);
    }
}
