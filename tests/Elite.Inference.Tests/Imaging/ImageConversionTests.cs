using Elite.Inference.Imaging;

namespace Elite.Inference.Tests.Imaging;

public class ImageConversionTests
{
    [Theory]
    [InlineData(-1f, 0)]
    [InlineData(1f, 255)]
    [InlineData(0f, 128)] // 127.5 rounds half to even
    [InlineData(-3f, 0)]
    [InlineData(7f, 255)]
    [InlineData(float.NaN, 0)]
    [InlineData(float.PositiveInfinity, 255)]
    [InlineData(float.NegativeInfinity, 0)]
    [InlineData(-0.5f, 64)] // 0.25 × 255 = 63.75
    [InlineData(0.5f, 191)] // 0.75 × 255 = 191.25
    public void Maps_minus_one_to_one_onto_0_to_255(float value, byte expected)
    {
        var chw = new float[3];
        Array.Fill(chw, value);
        Assert.Equal([expected, expected, expected], ImageConversion.FromDecoderOutput(chw, 1, 1).Rgb);
    }

    [Fact]
    public void Chw_planes_become_interleaved_rgb()
    {
        // 2×1 image: R plane [-1, 1], G plane [1, -1], B plane [0, 0].
        var image = ImageConversion.FromDecoderOutput([-1f, 1f, 1f, -1f, 0f, 0f], 2, 1);
        Assert.Equal((2, 1), (image.Width, image.Height));
        Assert.Equal([0, 255, 128, 255, 0, 128], image.Rgb);
        Assert.Null(image.Alpha);
    }

    [Fact]
    public void Rejects_a_buffer_of_the_wrong_length()
    {
        Assert.Throws<ArgumentException>(() => ImageConversion.FromDecoderOutput(new float[3 * 4 * 4 - 1], 4, 4));
    }
}
