using Elite.Contracts.Packs;
using Elite.Inference.Concepts;
using Elite.Inference.Generation;
using Elite.Inference.Imaging;
using Elite.Inference.Text;

namespace Elite.Inference.Tests;

/// <summary>Batched ELITE generation on the tiny pack: batching, seeds, λ and cancellation behave as a user relies on.</summary>
public sealed class GeneratorTests(TinyModels tiny) : IClassFixture<TinyModels>
{
    private static readonly ClipTokenizer Tokenizer = ClipTokenizer.Load(Assets.Path("bpe_simple_vocab_16e6.txt"), PackSettings.StableDiffusionV14.Tokenizer);
    private static readonly GenerationSettings FewSteps = new(Steps: 4);

    [Fact]
    public void A_request_gives_the_same_image_alone_and_in_a_batch_of_mixed_concepts()
    {
        var cat = Concept(1);
        var mug = Concept(2);
        GenerationRequest[] batch =
        [
            Request(cat, "a photo of S on the beach", seed: 11),
            Request(mug, "S in a watercolor painting", seed: 12, negative: "blurry"),
            Request(cat, "a close-up of S", seed: 13, lambda: 0f),
            Request(mug, "a photo of S", seed: 14, guidance: 7.5f),
        ];

        var together = Generate(batch);
        for (var i = 0; i < batch.Length; i++)
        {
            var alone = Generate([batch[i]]).Images[0];
            AssertSameImage(alone, together.Images[i], maxLevels: 1);
        }
    }

    [Fact]
    public void The_same_seed_gives_the_same_image_and_another_seed_another()
    {
        var concept = Concept(3);
        var first = Generate([Request(concept, "a photo of S", seed: 5)]).Images[0];
        var again = Generate([Request(concept, "a photo of S", seed: 5)]).Images[0];
        var other = Generate([Request(concept, "a photo of S", seed: 6)]).Images[0];
        Assert.Equal(first.Rgb, again.Rgb);
        Assert.NotEqual(first.Rgb, other.Rgb);
    }

    [Fact]
    public void With_lambda_zero_the_local_embeddings_do_not_matter()
    {
        var concept = Concept(4);
        var otherLocal = concept with { LocalEmbeds = Concept(5).LocalEmbeds };
        var image = Generate([Request(concept, "a photo of S", seed: 8, lambda: 0f)]).Images[0];
        Assert.Equal(image.Rgb, Generate([Request(otherLocal, "a photo of S", seed: 8, lambda: 0f)]).Images[0].Rgb);
        Assert.NotEqual(image.Rgb, Generate([Request(otherLocal, "a photo of S", seed: 8, lambda: 1f)]).Images[0].Rgb);
    }

    [Fact]
    public void Progress_counts_every_step_and_timings_add_up()
    {
        var steps = new List<int>();
        var result = new Generator(tiny.Models).Generate([Request(Concept(6), "a photo of S", seed: 1)], FewSteps, new SyncProgress<GenerationProgress>(p => steps.Add(p.Step)));
        Assert.Equal([1, 2, 3, 4], steps);
        var t = result.Timings;
        Assert.True(t.UNet > TimeSpan.Zero && t.TextEncoder > TimeSpan.Zero && t.VaeDecoder > TimeSpan.Zero);
        Assert.True(t.Total >= t.UNet + t.TextEncoder + t.VaeDecoder);
        Assert.Equal((512, 512), (result.Images[0].Width, result.Images[0].Height));
    }

    [Fact]
    public void Cancellation_stops_mid_run()
    {
        using var cancellation = new CancellationTokenSource();
        var progress = new SyncProgress<GenerationProgress>(p =>
        {
            if (p.Step == 2) cancellation.Cancel();
        });
        Assert.ThrowsAny<OperationCanceledException>(() =>
            new Generator(tiny.Models).Generate([Request(Concept(7), "a photo of S", seed: 1)], FewSteps, progress, cancellation.Token));
    }

    [Fact]
    public void A_concept_of_another_pack_is_refused()
    {
        var foreign = Concept(8) with { PackId = "sd14-elite-000000000000" };
        Assert.Throws<ArgumentException>(() => Generate([Request(foreign, "a photo of S", seed: 1)]));
    }

    private GenerationResult Generate(IReadOnlyList<GenerationRequest> requests) => new Generator(tiny.Models).Generate(requests, FewSteps);

    private ConceptEmbedding Concept(int seed)
    {
        var random = new Random(seed);
        var width = tiny.Models.Manifest.Dimensions.TextHidden;
        float[] Values(int count) => [.. Enumerable.Range(0, count).Select(_ => (random.NextSingle() * 2f) - 1f)];
        return new ConceptEmbedding(tiny.Models.Manifest.Id, width, Values(5 * width), Values(256 * width), "upload");
    }

    private static GenerationRequest Request(ConceptEmbedding concept, string prompt, long seed, string negative = "", float guidance = 5f, float lambda = 0.6f) =>
        new(concept, Tokenizer.Encode(prompt), Tokenizer.EncodeWithoutPlaceholder(negative), seed, guidance, lambda);

    private static void AssertSameImage(RgbImage expected, RgbImage actual, int maxLevels)
    {
        Assert.Equal(expected.Rgb.Length, actual.Rgb.Length);
        var worst = expected.Rgb.Zip(actual.Rgb).Max(p => Math.Abs(p.First - p.Second));
        Assert.True(worst <= maxLevels, $"pixels differ by up to {worst} levels");
    }

    /// <summary>Reports on the calling thread, in order (Progress&lt;T&gt; posts to the thread pool).</summary>
    private sealed class SyncProgress<T>(Action<T> report) : IProgress<T>
    {
        public void Report(T value) => report(value);
    }
}
