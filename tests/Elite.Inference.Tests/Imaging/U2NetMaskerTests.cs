using Elite.Contracts.Imaging;
using Elite.Inference.Imaging;

namespace Elite.Inference.Tests.Imaging;

/// <summary>One u2netp session shared by the tests of this class.</summary>
public sealed class U2NetFixture : IDisposable
{
    public U2NetMasker Masker { get; } = new(Assets.Path("u2netp.onnx"));

    public static RgbImage Load(string asset) => ImageDecoder.Decode(File.ReadAllBytes(Assets.Path(asset)), ImageLimits.Default);

    public void Dispose() => Masker.Dispose();
}

public class U2NetMaskerTests(U2NetFixture fixture) : IClassFixture<U2NetFixture>
{
    // pitfalls.md: about 0.60 on chelsea and 0.48 on coffee; this pipeline measures 0.683 and 0.476.
    // The cat fills chelsea's frame: its chest fur reaches the bottom-left corner, which is rightly object.
    [Theory]
    [InlineData("coffee.png", 0.40, 0.56, "TL TR BL BR")]
    [InlineData("chelsea.png", 0.55, 0.75, "TL TR BR")]
    public void The_mask_covers_the_object(string asset, double minShare, double maxShare, string backgroundCorners)
    {
        var image = U2NetFixture.Load(asset);

        var mask = fixture.Masker.Predict(image);

        Assert.Equal((image.Width, image.Height), (mask.Width, mask.Height));
        Assert.Equal(MaskSource.Auto, mask.Source);
        Assert.InRange(mask.ObjectFraction, minShare, maxShare);
        Assert.True(mask.IsObject(image.Width / 2, image.Height / 2), "the centre is object");
        var (right, bottom) = (image.Width - 1, image.Height - 1);
        foreach (var corner in backgroundCorners.Split(' '))
        {
            var (x, y) = corner switch { "TL" => (0, 0), "TR" => (right, 0), "BL" => (0, bottom), _ => (right, bottom) };
            Assert.False(mask.IsObject(x, y), $"{asset}: corner {corner} should be background");
        }
    }

    [Fact]
    public void Saliency_is_min_max_normalised_and_thresholded_at_one_half()
    {
        var image = U2NetFixture.Load("coffee.png");

        var saliency = fixture.Masker.Saliency(image);
        var mask = fixture.Masker.Predict(image);

        Assert.Equal(image.Width * image.Height, saliency.Length);
        Assert.All(saliency, s => Assert.InRange(s, -1e-6f, 1 + 1e-6f));
        Assert.True(saliency.Max() > 0.99f && saliency.Min() < 0.01f);
        for (var i = 0; i < saliency.Length; i++) Assert.Equal(saliency[i] >= 0.5f ? 1 : 0, mask.Values[i]);
    }

    [Fact]
    public void Concurrent_predictions_equal_sequential_ones()
    {
        RgbImage[] images = [U2NetFixture.Load("chelsea.png"), U2NetFixture.Load("coffee.png")];
        var sequential = images.Select(image => fixture.Masker.Predict(image).Values).ToArray();

        var concurrent = new byte[6][];
        Parallel.For(0, concurrent.Length, new ParallelOptions { MaxDegreeOfParallelism = 6 }, i => concurrent[i] = fixture.Masker.Predict(images[i % 2]).Values);

        for (var i = 0; i < concurrent.Length; i++) Assert.Equal(sequential[i % 2], concurrent[i]);
    }

    [Fact]
    public void A_small_image_and_a_black_image_work()
    {
        var small = fixture.Masker.Predict(ImagingTestImages.Quadrants(17, 9));
        Assert.Equal((17, 9), (small.Width, small.Height));

        var black = fixture.Masker.Predict(new RgbImage(40, 30, new byte[40 * 30 * 3]));
        Assert.Equal(40 * 30, black.Values.Length);
    }
}
