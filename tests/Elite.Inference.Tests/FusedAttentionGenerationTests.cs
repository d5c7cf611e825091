using Elite.Contracts.Packs;
using Elite.Inference.Concepts;
using Elite.Inference.Generation;
using Elite.Inference.Imaging;
using Elite.Inference.Text;
using Xunit.Abstractions;

namespace Elite.Inference.Tests;

/// <summary>End to end, the fused tiny pack draws the explicit pack's images to within one grey level.</summary>
public sealed class FusedAttentionGenerationTests(TinyModels fused, ExplicitTinyModels @explicit, ITestOutputHelper output)
    : IClassFixture<TinyModels>, IClassFixture<ExplicitTinyModels>
{
    private static readonly ClipTokenizer Tokenizer = ClipTokenizer.Load(Assets.Path("bpe_simple_vocab_16e6.txt"), PackSettings.StableDiffusionV14.Tokenizer);

    [Fact]
    public void Fused_and_explicit_packs_give_the_same_images()
    {
        Assert.Equal(AttentionKind.Fused, fused.Models.Manifest.Attention);
        Assert.Equal(AttentionKind.Explicit, @explicit.Models.Manifest.Attention);
        var settings = new GenerationSettings(Steps: 4);
        var expected = Generate(@explicit, settings);
        var actual = Generate(fused, settings);
        for (var i = 0; i < expected.Count; i++)
        {
            var worst = expected[i].Rgb.Zip(actual[i].Rgb).Max(p => Math.Abs(p.First - p.Second));
            output.WriteLine($"image {i}: pixels differ by at most {worst} levels");
            Assert.True(worst <= 1, $"image {i}: pixels differ by up to {worst} levels");
        }
    }

    private static IReadOnlyList<RgbImage> Generate(TinyModels tiny, GenerationSettings settings)
    {
        var random = new Random(1);
        var width = tiny.Models.Manifest.Dimensions.TextHidden;
        float[] Values(int count) => [.. Enumerable.Range(0, count).Select(_ => (random.NextSingle() * 2f) - 1f)];
        var concept = new ConceptEmbedding(tiny.Models.Manifest.Id, width, Values(5 * width), Values(256 * width), "upload");
        GenerationRequest[] requests =
        [
            new(concept, Tokenizer.Encode("a photo of S on the beach"), Tokenizer.EncodeWithoutPlaceholder(""), Seed: 21, Guidance: 5f, Lambda: 0.6f),
            new(concept, Tokenizer.Encode("S in a watercolor painting"), Tokenizer.EncodeWithoutPlaceholder("blurry"), Seed: 22, Guidance: 7.5f, Lambda: 1f),
        ];
        return new Generator(tiny.Models).Generate(requests, settings).Images;
    }
}
