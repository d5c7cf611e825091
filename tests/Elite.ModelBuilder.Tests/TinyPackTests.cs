using Elite.Contracts.Packs;
using System.Diagnostics;
using Elite.ModelBuilder.Packs;
using Elite.ModelBuilder.Tests.Support;
using Elite.ModelBuilder.Weights;
using Microsoft.ML.OnnxRuntime;
using Xunit.Abstractions;

namespace Elite.ModelBuilder.Tests;

/// <summary>The tiny pack as the builder makes it by default, built once: the six graphs load and run in ONNX Runtime, and ELITE's exactness properties hold.</summary>
public class TinyPack : IDisposable
{
    private readonly DirectoryInfo directory = System.IO.Directory.CreateTempSubdirectory("elite-tiny-");
    private readonly Dictionary<string, InferenceSession> sessions = [];

    public TinyPack()
        : this(PackBuilder.DefaultAttention)
    {
    }

    protected TinyPack(AttentionKind attention)
    {
        var clock = Stopwatch.StartNew();
        Manifest = PackBuilder.Build(ElitePreset.Tiny, new RandomWeights(0), "random (seed 0)", directory.FullName, attention: attention);
        BuildTime = clock.Elapsed;
    }

    public PackManifest Manifest { get; }
    public TimeSpan BuildTime { get; }
    public string Directory => directory.FullName;

    public InferenceSession Session(string graph)
    {
        lock (sessions)
        {
            if (!sessions.TryGetValue(graph, out var session))
            {
                sessions[graph] = session = new InferenceSession(Path.Combine(directory.FullName, Manifest.Graphs[graph].File));
            }

            return session;
        }
    }

    public void Dispose()
    {
        foreach (var session in sessions.Values) session.Dispose();
        directory.Delete(recursive: true);
        GC.SuppressFinalize(this);
    }
}

/// <summary>The tiny pack with the same weights and explicit attention everywhere.</summary>
public sealed class ExplicitTinyPack() : TinyPack(AttentionKind.Explicit);

public sealed class TinyPackTests(TinyPack pack, ITestOutputHelper output) : IClassFixture<TinyPack>
{
    private const int Tokens = 77;
    private static readonly int Width = ElitePreset.Tiny.UNet.CrossAttentionDim;

    [Fact]
    public void Every_graph_runs_and_gives_finite_outputs_of_the_spec_shapes()
    {
        var pixels = Noise(1, 2 * 3 * 224 * 224);
        var feats = Run(GraphNames.ClipVision.Name, new() { ["pixel_values"] = Feed.Floats(pixels, 2, 3, 224, 224) })["feats"];
        Assert.Equal(5 * 2 * 257 * 32, feats.Length);

        var words = Run(GraphNames.GlobalMapper.Name, new() { ["feats"] = Feed.Floats(feats, 5, 2, 257, 32) })["words"];
        Assert.Equal(2 * 5 * Width, words.Length);

        var mask = Enumerable.Range(0, 2 * 256).Select(i => i % 3 == 0 ? 0f : 1f).ToArray();
        var local = Run(GraphNames.LocalMapper.Name, new() { ["feats"] = Feed.Floats(feats, 5, 2, 257, 32), ["mask16"] = Feed.Floats(mask, 2, 256, 1) })["local_embeds"];
        Assert.Equal(2 * 256 * Width, local.Length);
        Assert.All(Enumerable.Range(0, 2 * 256).Where(t => mask[t] == 0), t => Assert.All(local.Skip(t * Width).Take(Width), v => Assert.Equal(0f, v)));

        var text = Text([5, -1], words[..Width].Concat(words[..Width]).ToArray());
        Assert.Equal(2 * Tokens * Width, text.Length);

        var noise = Unet(Noise(2, 2 * 4 * 64 * 64), text, local, [5, -1], [0.6f, 0f]);
        Assert.Equal(2 * 4 * 64 * 64, noise.Length);

        var image = Run(GraphNames.VaeDecoder.Name, new() { ["latent"] = Feed.Floats(Noise(3, 4 * 64 * 64), 1, 4, 64, 64) })["image"];
        Assert.Equal(3 * 512 * 512, image.Length);

        foreach (var values in new[] { feats, words, local, text, noise, image }) Assert.All(values, v => Assert.True(float.IsFinite(v)));
        output.WriteLine($"tiny pack built in {pack.BuildTime.TotalSeconds:F2} s: {pack.Manifest.Files.Sum(f => f.Bytes) / 1e6:F1} MB, {pack.Manifest.Graphs.Values.Sum(g => g.Parameters):N0} parameters");
    }

    [Fact]
    public void With_lambda_zero_the_local_branch_contributes_nothing()
    {
        var sample = Noise(4, 4 * 64 * 64);
        var text = Noise(5, Tokens * Width);
        var withLocal = Unet(sample, text, Noise(6, 256 * Width), [4], [0f]);
        var otherLocal = Unet(sample, text, Noise(7, 256 * Width), [9], [0f]);
        Assert.Equal(withLocal, otherLocal);
    }

    [Fact]
    public void Zero_local_embeddings_equal_lambda_zero()
    {
        var sample = Noise(8, 4 * 64 * 64);
        var text = Noise(9, Tokens * Width);
        var zeros = new float[256 * Width];
        Assert.Equal(Unet(sample, text, zeros, [4], [0f]), Unet(sample, text, zeros, [4], [0.8f]));
    }

    [Fact]
    public void The_local_branch_changes_the_output_when_lambda_is_positive()
    {
        var sample = Noise(10, 4 * 64 * 64);
        var text = Noise(11, Tokens * Width);
        var local = Noise(12, 256 * Width);
        var difference = Unet(sample, text, local, [4], [0.8f]).Zip(Unet(sample, text, local, [4], [0f])).Max(p => MathF.Abs(p.First - p.Second));
        Assert.True(difference > 1e-4f, $"largest difference {difference}");
    }

    [Fact]
    public void A_batch_of_four_equals_four_single_calls()
    {
        const int Batch = 4;
        var samples = Noise(13, Batch * 4 * 64 * 64);
        var texts = Noise(14, Batch * Tokens * Width);
        var locals = Noise(15, Batch * 256 * Width);
        long[] indices = [3, 7, -1, 12];
        float[] lambdas = [0.8f, 0.5f, 0f, 1.2f];

        var batched = Unet(samples, texts, locals, indices, lambdas);
        var size = 4 * 64 * 64;
        for (var b = 0; b < Batch; b++)
        {
            var single = Unet(samples[(b * size)..((b + 1) * size)], texts[(b * Tokens * Width)..((b + 1) * Tokens * Width)], locals[(b * 256 * Width)..((b + 1) * 256 * Width)], [indices[b]], [lambdas[b]]);
            Approx.Equal(single, batched[(b * size)..((b + 1) * size)], 1e-5f);
        }
    }

    [Fact]
    public void Injection_replaces_one_token_and_leaves_earlier_positions_alone()
    {
        var word = Noise(16, Width);
        var plain = Text([-1], Noise(17, Width));
        var injected = Text([5], word);
        var otherWord = Text([-1], word);

        Assert.Equal(plain, otherWord); // index -1 ignores the embedding
        Assert.Equal(plain[..(5 * Width)], injected[..(5 * Width)]); // causal: positions before the placeholder are untouched
        Assert.NotEqual(plain[(5 * Width)..(6 * Width)], injected[(5 * Width)..(6 * Width)]);
    }

    [Fact]
    public void One_unet_step_time_on_this_machine()
    {
        var sample = Noise(18, 2 * 4 * 64 * 64);
        var text = Noise(19, 2 * Tokens * Width);
        var local = Noise(20, 2 * 256 * Width);
        Unet(sample, text, local, [4, -1], [0.6f, 0f]);
        var clock = Stopwatch.StartNew();
        const int Steps = 3;
        for (var i = 0; i < Steps; i++) Unet(sample, text, local, [4, -1], [0.6f, 0f]);
        output.WriteLine($"tiny UNet, batch 2 (cond + uncond), one step: {clock.Elapsed.TotalMilliseconds / Steps:F0} ms");
    }

    private float[] Text(long[] injectIndex, float[] injected)
    {
        var batch = injectIndex.Length;
        var ids = new long[batch * Tokens];
        Array.Fill(ids, 49407L);
        for (var b = 0; b < batch; b++)
        {
            long[] prompt = [49406, 320, 1125, 539, 320, 338, 525, 518, 2117, 49407]; // "a photo of a s on the beach"
            prompt.CopyTo(ids, b * Tokens);
        }

        return Run(GraphNames.TextEncoder.Name, new()
        {
            ["input_ids"] = Feed.Int64s(ids, batch, Tokens),
            ["inj_embedding"] = Feed.Floats(injected, batch, 1, Width),
            ["inj_index"] = Feed.Int64s(injectIndex, batch),
        })["last_hidden_state"];
    }

    private float[] Unet(float[] sample, float[] text, float[] local, long[] localIndex, float[] lambda)
    {
        var batch = localIndex.Length;
        return Run(GraphNames.UNet.Name, new()
        {
            ["sample"] = Feed.Floats(sample, batch, 4, 64, 64),
            ["timestep"] = Feed.Floats([.. Enumerable.Repeat(500.5f, batch)], batch),
            ["encoder_hidden_states"] = Feed.Floats(text, batch, Tokens, Width),
            ["local_embeds"] = Feed.Floats(local, batch, 256, Width),
            ["local_index"] = Feed.Int64s(localIndex, batch),
            ["llambda"] = Feed.Floats(lambda, batch),
        })["noise_pred"];
    }

    private Dictionary<string, float[]> Run(string graph, Dictionary<string, Feed> feeds) => OrtRunner.Run(pack.Session(graph), feeds);

    private static float[] Noise(int seed, int count)
    {
        var random = new Random(seed);
        return [.. Enumerable.Range(0, count).Select(_ => (random.NextSingle() * 2f) - 1f)];
    }
}
