using Elite.Contracts.Imaging;
using SkiaSharp;

namespace Elite.Core.Tests;

/// <summary>The upload check reads the header only: sizes and formats are refused before any pixel is decoded.</summary>
public sealed class ImageHeaderTests
{
    [Fact]
    public void A_png_header_is_read_from_the_first_bytes_of_the_file()
    {
        var png = TestImages.Png(64, 48);
        var header = ImageHeader.TryReadPrefix(png.AsSpan(0, 64), png.Length, ImageLimits.Default);
        Assert.Equal(new ImageHeader(SKEncodedImageFormat.Png, 64, 48, SKEncodedOrigin.TopLeft), header);
    }

    [Fact]
    public void Too_many_pixels_too_many_bytes_empty_files_and_non_images_are_refused_from_the_header()
    {
        var huge = TestImages.HundredMegapixelPng();
        Assert.True(huge.Length < ImageHeader.PrefixBytes, $"{huge.Length} bytes: the whole file is the prefix");
        Assert.Equal(ImageRejectionReason.TooManyPixels, Refusal(() => ImageHeader.Read(huge, ImageLimits.Default)));
        Assert.Equal(ImageRejectionReason.DimensionTooLarge, Refusal(() => ImageHeader.Read(TestImages.Png(9000, 10), ImageLimits.Default)));
        Assert.Equal(ImageRejectionReason.TooLarge, Refusal(() => ImageHeader.TryReadPrefix(TestImages.Png(8, 8), 20_000_001, ImageLimits.Default)));
        Assert.Equal(ImageRejectionReason.Empty, Refusal(() => ImageHeader.TryReadPrefix([], 0, ImageLimits.Default)));
        Assert.Equal(ImageRejectionReason.NotAnImage, Refusal(() => ImageHeader.TryReadPrefix("%PDF-1.7 ..."u8, 300_000, ImageLimits.Default)));
        Assert.Equal(ImageRejectionReason.Unsupported, Refusal(() => ImageHeader.Read(Gif(), ImageLimits.Default)));
    }

    [Fact]
    public void A_jpeg_whose_header_lies_beyond_the_prefix_is_left_to_the_decoder()
    {
        var jpeg = TestImages.JpegWithLargeMetadata(40, 30, 300_000);

        Assert.Null(ImageHeader.TryReadPrefix(jpeg.AsSpan(0, ImageHeader.PrefixBytes), jpeg.Length, ImageLimits.Default));
        Assert.Equal((40, 30), (ImageHeader.Read(jpeg, ImageLimits.Default).Width, ImageHeader.Read(jpeg, ImageLimits.Default).Height));
    }

    private static ImageRejectionReason Refusal(Func<object?> read) => Assert.Throws<ImageRejectedException>(read).Reason;

    private static byte[] Gif()
    {
        // GIF89a, 1×1, global colour table of 2, one image: the smallest valid GIF.
        return Convert.FromBase64String("R0lGODlhAQABAIAAAP///wAAACH5BAEAAAAALAAAAAABAAEAAAICRAEAOw==");
    }
}
