using Elite.Contracts.Imaging;
using Elite.Inference.Imaging;
using SkiaSharp;
using static Elite.Inference.Tests.Imaging.ImagingTestImages;

namespace Elite.Inference.Tests.Imaging;

public class MaskTests
{
    private static readonly ImageLimits Limits = ImageLimits.Default;

    [Fact]
    public void Uploaded_rgb_mask_is_object_wherever_channel_0_is_above_zero()
    {
        // mask_451x300.png: a white ellipse, a gray (128) patch and a patch of value 1, all object (spec: > 0).
        var mask = ImageDecoder.DecodeMask(File.ReadAllBytes(Fixture("mask_451x300.png")), Limits, 451, 300);
        Assert.Equal(MaskSource.Upload, mask.Source);
        Assert.True(mask.IsObject(230, 160)); // ellipse centre
        Assert.True(mask.IsObject(30, 20)); // gray patch
        Assert.True(mask.IsObject(400, 270)); // value-1 patch
        Assert.False(mask.IsObject(0, 299));
        Assert.False(mask.IsObject(450, 0));
    }

    [Fact]
    public void Uploaded_grayscale_mask_from_pil_decodes()
    {
        var mask = ImageDecoder.DecodeMask(File.ReadAllBytes(Fixture("mask_37x23.png")), Limits, 37, 23);
        for (var y = 0; y < 23; y++)
        {
            for (var x = 0; x < 37; x++) Assert.Equal((x * 3 + y * 5) % 7 < 3, mask.IsObject(x, y));
        }
    }

    [Fact]
    public void Only_channel_0_counts()
    {
        var rgb = new byte[2 * 1 * 3];
        (rgb[0], rgb[1], rgb[2]) = (0, 255, 255); // cyan: channel 0 is 0, background
        (rgb[3], rgb[4], rgb[5]) = (1, 0, 0); // barely red: object
        var mask = ImageDecoder.DecodeMask(Encode(new RgbImage(2, 1, rgb), SKEncodedImageFormat.Png), Limits, 2, 1);
        Assert.Equal([0, 1], mask.Values);
    }

    [Fact]
    public void A_mask_of_another_size_is_a_mismatch()
    {
        var png = EncodeGrayPng(30, 20, (_, _) => 255);
        var error = Assert.Throws<ImageRejectedException>(() => ImageDecoder.DecodeMask(png, Limits, 20, 30));
        Assert.Equal(ImageRejectionReason.MaskSizeMismatch, error.Reason);
        Assert.Contains("30x20", error.Message);
        Assert.Contains("20x30", error.Message);
    }

    [Fact]
    public void A_mask_that_is_not_an_image_is_rejected_like_an_image()
    {
        var error = Assert.Throws<ImageRejectedException>(() => ImageDecoder.DecodeMask("not a mask"u8, Limits, 10, 10));
        Assert.Equal(ImageRejectionReason.NotAnImage, error.Reason);
    }

    [Fact]
    public void Alpha_gives_its_own_mask_where_alpha_is_above_zero()
    {
        var image = ImageDecoder.Decode(Encode(Pattern(40, 30, withAlpha: true), SKEncodedImageFormat.Png), Limits);
        var mask = ObjectMask.FromAlpha(image)!;
        Assert.Equal(MaskSource.Alpha, mask.Source);
        for (var i = 0; i < 40 * 30; i++) Assert.Equal(image.Alpha![i] > 0 ? 1 : 0, mask.Values[i]);
        Assert.Contains(mask.Values, v => v == 0);
        Assert.Contains(mask.Values, v => v == 1);
    }

    [Fact]
    public void Webp_alpha_gives_a_mask_too()
    {
        var image = ImageDecoder.Decode(EncodeLosslessWebp(Pattern(20, 20, withAlpha: true)), Limits);
        Assert.NotNull(ObjectMask.FromAlpha(image));
    }

    [Fact]
    public void An_opaque_image_has_no_alpha_mask()
    {
        Assert.Null(ObjectMask.FromAlpha(Pattern(4, 4)));
    }

    [Fact]
    public void Apply_keeps_object_pixels_and_blackens_the_rest()
    {
        var image = Pattern(3, 2, withAlpha: true);
        var mask = new ObjectMask(3, 2, [1, 0, 0, 0, 0, 1], MaskSource.Upload);
        var masked = mask.Apply(image);
        Assert.Equal(image.Rgb[..3], masked.Rgb[..3]);
        Assert.Equal(new byte[12], masked.Rgb[3..15]);
        Assert.Equal(image.Rgb[15..], masked.Rgb[15..]);
        Assert.Null(masked.Alpha);
    }

    [Fact]
    public void Object_fraction_counts_object_pixels()
    {
        Assert.Equal(0.25, new ObjectMask(2, 2, [0, 1, 0, 0], MaskSource.Auto).ObjectFraction);
    }

    [Fact]
    public void Mask_values_must_be_0_or_1_and_match_the_size()
    {
        Assert.Throws<ArgumentException>(() => new ObjectMask(2, 2, [0, 1, 2, 0], MaskSource.Upload));
        Assert.Throws<ArgumentException>(() => new ObjectMask(2, 2, [0, 1, 1], MaskSource.Upload));
        Assert.Throws<ArgumentOutOfRangeException>(() => new ObjectMask(0, 2, [], MaskSource.Upload));
        Assert.Throws<ArgumentException>(() => new ObjectMask(1, 1, [1], ""));
    }

    [Fact]
    public void Rgb_image_checks_its_buffers()
    {
        Assert.Throws<ArgumentException>(() => new RgbImage(2, 2, new byte[11]));
        Assert.Throws<ArgumentException>(() => new RgbImage(2, 2, new byte[12], new byte[3]));
        Assert.Throws<ArgumentOutOfRangeException>(() => new RgbImage(2, 0, []));
    }
}
