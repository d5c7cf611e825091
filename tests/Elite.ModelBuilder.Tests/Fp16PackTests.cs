using Elite.Contracts.Packs;
using Elite.ModelBuilder.Graph;
using Elite.ModelBuilder.Packs;
using Elite.ModelBuilder.Tests.Support;
using Elite.ModelBuilder.Weights;
using Microsoft.ML.OnnxRuntime;

namespace Elite.ModelBuilder.Tests;

/// <summary>A float16 pack (same seed) computes what the float32 pack does, to float16 precision.</summary>
public sealed class Fp16PackTests(TinyPack float32) : IClassFixture<TinyPack>
{
    [Fact]
    public void Float16_unet_and_decoder_follow_the_float32_ones()
    {
        var directory = Directory.CreateTempSubdirectory("elite-tiny16-");
        try
        {
            var manifest = PackBuilder.Build(ElitePreset.Tiny, new RandomWeights(0), "random (seed 0)", directory.FullName, ElementType.Float16);
            Assert.Equal("float16", manifest.Dtype);
            Assert.True(manifest.Files.Sum(f => f.Bytes) < float32.Manifest.Files.Sum(f => f.Bytes) * 0.6, "float16 weights take half the bytes");

            var random = new Random(1);
            float[] Noise(int count) => [.. Enumerable.Range(0, count).Select(_ => (random.NextSingle() * 2f) - 1f)];
            var unetFeeds = new Dictionary<string, Feed>
            {
                ["sample"] = Feed.Floats(Noise(4 * 64 * 64), 1, 4, 64, 64),
                ["timestep"] = Feed.Floats([981.3f], 1),
                ["encoder_hidden_states"] = Feed.Floats(Noise(77 * 32), 1, 77, 32),
                ["local_embeds"] = Feed.Floats(Noise(256 * 32), 1, 256, 32),
                ["local_index"] = Feed.Int64s([5], 1),
                ["llambda"] = Feed.Floats([0.8f], 1),
            };
            var decoderFeeds = new Dictionary<string, Feed> { ["latent"] = Feed.Floats(Noise(4 * 64 * 64), 1, 4, 64, 64) };

            using var unet16 = new InferenceSession(Path.Combine(directory.FullName, manifest.Graphs[GraphNames.UNet.Name].File));
            using var decoder16 = new InferenceSession(Path.Combine(directory.FullName, manifest.Graphs[GraphNames.VaeDecoder.Name].File));
            Approx.Equal(OrtRunner.Run(float32.Session(GraphNames.UNet.Name), unetFeeds)["noise_pred"], OrtRunner.Run(unet16, unetFeeds)["noise_pred"], 2e-2f);
            Approx.Equal(OrtRunner.Run(float32.Session(GraphNames.VaeDecoder.Name), decoderFeeds)["image"], OrtRunner.Run(decoder16, decoderFeeds)["image"], 2e-2f);
        }
        finally
        {
            directory.Delete(recursive: true);
        }
    }
}
