using System.Text;
using Elite.Contracts.Imaging;
using Elite.Inference.Imaging;
using SkiaSharp;
using static Elite.Inference.Tests.Imaging.ImagingTestImages;

namespace Elite.Inference.Tests.Imaging;

public class ImageDecoderTests
{
    private static readonly ImageLimits Limits = ImageLimits.Default;

    [Fact]
    public void Default_limits_are_20_MB_40_megapixels_8192_a_side()
    {
        Assert.Equal(new ImageLimits(20_000_000, 40_000_000, 8192, 8192), ImageLimits.Default);
    }

    [Fact]
    public void Png_decodes_to_the_exact_pixels_without_alpha()
    {
        var original = Pattern(37, 23);
        var decoded = ImageDecoder.Decode(Encode(original, SKEncodedImageFormat.Png), Limits);
        Assert.Equal((37, 23), (decoded.Width, decoded.Height));
        Assert.Equal(original.Rgb, decoded.Rgb);
        Assert.Null(decoded.Alpha);
    }

    [Fact]
    public void Png_written_by_pil_decodes_to_the_pattern_pil_was_given()
    {
        // Same formula as synthetic() in generate_preprocess_fixtures.py.
        var decoded = ImageDecoder.Decode(File.ReadAllBytes(Fixture("synthetic_97x61.png")), Limits);
        Assert.Equal((97, 61), (decoded.Width, decoded.Height));
        for (var y = 0; y < 61; y++)
        {
            for (var x = 0; x < 97; x++)
            {
                for (var c = 0; c < 3; c++) Assert.Equal((x * 37 + y * 91 + c * 53 + x * y % 17 * 13) % 256, decoded.Rgb[3 * (y * 97 + x) + c]);
            }
        }
    }

    [Fact]
    public void Chelsea_decodes_as_an_opaque_451_by_300_image()
    {
        var image = ImageDecoder.Decode(File.ReadAllBytes(Assets.Path("chelsea.png")), Limits);
        Assert.Equal((451, 300), (image.Width, image.Height));
        Assert.Equal(451 * 300 * 3, image.Rgb.Length);
        Assert.Null(image.Alpha);
    }

    [Fact]
    public void Png_with_alpha_keeps_straight_colours_and_the_alpha_channel()
    {
        var original = Pattern(40, 30, withAlpha: true);
        var decoded = ImageDecoder.Decode(Encode(original, SKEncodedImageFormat.Png), Limits);
        Assert.Equal(original.Alpha, decoded.Alpha);
        Assert.Equal(original.Rgb, decoded.Rgb);
    }

    [Fact]
    public void Png_with_an_alpha_channel_that_is_all_opaque_has_no_alpha()
    {
        var original = Pattern(8, 8, withAlpha: true);
        Array.Fill(original.Alpha!, (byte)255);
        var png = Encode(new RgbImage(8, 8, original.Rgb, original.Alpha), SKEncodedImageFormat.Png);
        Assert.Null(ImageDecoder.Decode(png, Limits).Alpha);
    }

    [Fact]
    public void Grayscale_png_decodes_to_equal_rgb_channels()
    {
        var decoded = ImageDecoder.Decode(EncodeGrayPng(9, 5, (x, y) => (byte)(x * 20 + y)), Limits);
        for (var y = 0; y < 5; y++)
        {
            for (var x = 0; x < 9; x++)
            {
                var i = 3 * (y * 9 + x);
                Assert.Equal([(byte)(x * 20 + y), (byte)(x * 20 + y), (byte)(x * 20 + y)], decoded.Rgb[i..(i + 3)]);
            }
        }
    }

    [Fact]
    public void Jpeg_decodes_close_to_the_original_without_alpha()
    {
        var original = Quadrants(64, 32);
        var decoded = ImageDecoder.Decode(Encode(original, SKEncodedImageFormat.Jpeg, 95), Limits);
        Assert.Equal((64, 32), (decoded.Width, decoded.Height));
        Assert.Null(decoded.Alpha);
        AssertQuadrants(decoded, "R", "G", "B", "W");
    }

    [Fact]
    public void Lossless_webp_with_alpha_decodes_exactly()
    {
        var original = Pattern(31, 17, withAlpha: true);
        var decoded = ImageDecoder.Decode(EncodeLosslessWebp(original), Limits);
        Assert.Equal((31, 17), (decoded.Width, decoded.Height));
        Assert.Equal(original.Alpha, decoded.Alpha);
        for (var i = 0; i < 31 * 17; i++)
        {
            // libwebp may rewrite the colour of fully transparent pixels.
            if (original.Alpha![i] == 0) continue;
            Assert.Equal(original.Rgb[(3 * i)..(3 * i + 3)], decoded.Rgb[(3 * i)..(3 * i + 3)]);
        }
    }

    [Fact]
    public void Opaque_lossy_webp_decodes_without_alpha()
    {
        var decoded = ImageDecoder.Decode(Encode(Quadrants(32, 32), SKEncodedImageFormat.Webp, 90), Limits);
        Assert.Null(decoded.Alpha);
        AssertQuadrants(decoded, "R", "G", "B", "W");
    }

    // Stored image: top-left red, top-right green, bottom-left blue, bottom-right white (64×32).
    // Expected upright quadrants (TL, TR, BL, BR) for each EXIF orientation.
    [Theory]
    [InlineData(1, "R", "G", "B", "W")]
    [InlineData(2, "G", "R", "W", "B")] // mirrored horizontally
    [InlineData(3, "W", "B", "G", "R")] // rotated 180°
    [InlineData(4, "B", "W", "R", "G")] // mirrored vertically
    [InlineData(5, "R", "B", "G", "W")] // transposed
    [InlineData(6, "B", "R", "W", "G")] // rotate 90° clockwise to view
    [InlineData(7, "W", "G", "B", "R")] // transversed
    [InlineData(8, "G", "W", "R", "B")] // rotate 90° counter-clockwise to view
    public void Exif_orientation_is_applied(ushort orientation, string topLeft, string topRight, string bottomLeft, string bottomRight)
    {
        var jpeg = WithExifOrientation(Encode(Quadrants(64, 32), SKEncodedImageFormat.Jpeg, 95), orientation);
        var image = ImageDecoder.Decode(jpeg, Limits);
        Assert.Equal(orientation >= 5 ? (32, 64) : (64, 32), (image.Width, image.Height));
        AssertQuadrants(image, topLeft, topRight, bottomLeft, bottomRight);
    }

    [Fact]
    public void Exif_orientation_applies_before_the_width_and_height_limits()
    {
        var jpeg = WithExifOrientation(Encode(Quadrants(64, 32), SKEncodedImageFormat.Jpeg, 95), 6);
        var upright = ImageDecoder.Decode(jpeg, Limits with { MaxWidth = 32, MaxHeight = 64 });
        Assert.Equal((32, 64), (upright.Width, upright.Height));
        var error = Assert.Throws<ImageRejectedException>(() => ImageDecoder.Decode(jpeg, Limits with { MaxWidth = 64, MaxHeight = 32 }));
        Assert.Equal(ImageRejectionReason.DimensionTooLarge, error.Reason);
    }

    [Fact]
    public void Zero_bytes_are_empty()
    {
        var error = Assert.Throws<ImageRejectedException>(() => ImageDecoder.Decode([], Limits));
        Assert.Equal(ImageRejectionReason.Empty, error.Reason);
        Assert.Contains("empty", error.Message);
    }

    [Fact]
    public void More_bytes_than_the_limit_are_too_large_before_anything_is_parsed()
    {
        var error = Assert.Throws<ImageRejectedException>(() => ImageDecoder.Decode(new byte[1001], Limits with { MaxBytes = 1000 }));
        Assert.Equal(ImageRejectionReason.TooLarge, error.Reason);
        Assert.Contains("1,001 bytes", error.Message);
    }

    [Fact]
    public void A_header_declaring_20000_by_20000_is_rejected_from_the_header_alone()
    {
        // A valid IHDR and an IDAT with no real image data: decoding would fail as Corrupt, so TooManyPixels proves the check came first.
        var png = CraftPng(20000, 20000, [0x78, 0x9C, 0x03, 0x00, 0x00, 0x00, 0x00, 0x01]);
        var error = Assert.Throws<ImageRejectedException>(() => ImageDecoder.Decode(png, Limits));
        Assert.Equal(ImageRejectionReason.TooManyPixels, error.Reason);
        Assert.Contains("20000x20000", error.Message);
    }

    [Fact]
    public void The_same_header_within_generous_limits_gets_to_the_decode_and_is_corrupt()
    {
        var png = CraftPng(300, 200, [0x78, 0x9C, 0x03, 0x00, 0x00, 0x00, 0x00, 0x01]);
        Assert.Equal(ImageRejectionReason.Corrupt, Assert.Throws<ImageRejectedException>(() => ImageDecoder.Decode(png, Limits)).Reason);
    }

    [Fact]
    public void A_real_image_over_the_pixel_limit_is_rejected()
    {
        var error = Assert.Throws<ImageRejectedException>(() => ImageDecoder.Decode(File.ReadAllBytes(Assets.Path("chelsea.png")), Limits with { MaxPixels = 451 * 300 - 1 }));
        Assert.Equal(ImageRejectionReason.TooManyPixels, error.Reason);
    }

    [Theory]
    [InlineData(10000u, 1u)]
    [InlineData(1u, 9000u)]
    public void A_side_over_the_limit_is_rejected(uint width, uint height)
    {
        var error = Assert.Throws<ImageRejectedException>(() => ImageDecoder.Decode(CraftPng(width, height, [0x78, 0x9C, 0x03, 0x00, 0x00, 0x00, 0x00, 0x01]), Limits));
        Assert.Equal(ImageRejectionReason.DimensionTooLarge, error.Reason);
        Assert.Contains($"{width}x{height}", error.Message);
    }

    [Theory]
    [InlineData(0u, 10u)]
    [InlineData(10u, 0u)]
    [InlineData(0u, 0u)]
    public void A_zero_size_png_is_zero_size(uint width, uint height)
    {
        var error = Assert.Throws<ImageRejectedException>(() => ImageDecoder.Decode(CraftPng(width, height, [0x78, 0x9C, 0x03, 0x00, 0x00, 0x00, 0x00, 0x01]), Limits));
        Assert.Equal(ImageRejectionReason.ZeroSize, error.Reason);
        Assert.Contains($"{width}x{height}", error.Message);
    }

    [Theory]
    [InlineData("hello, this is plain text and not an image")]
    [InlineData("{\"prompt\": \"a photo of S\"}")]
    [InlineData("x")]
    public void Non_image_bytes_are_not_an_image(string text)
    {
        var error = Assert.Throws<ImageRejectedException>(() => ImageDecoder.Decode(Encoding.UTF8.GetBytes(text), Limits));
        Assert.Equal(ImageRejectionReason.NotAnImage, error.Reason);
    }

    [Fact]
    public void Random_bytes_are_not_an_image()
    {
        var bytes = new byte[4096];
        new Random(1).NextBytes(bytes);
        bytes[0] = 0x42; // not a signature of any format
        Assert.Equal(ImageRejectionReason.NotAnImage, Assert.Throws<ImageRejectedException>(() => ImageDecoder.Decode(bytes, Limits)).Reason);
    }

    [Fact]
    public void A_bmp_is_an_image_but_unsupported()
    {
        var error = Assert.Throws<ImageRejectedException>(() => ImageDecoder.Decode(Bmp1x1(), Limits));
        Assert.Equal(ImageRejectionReason.Unsupported, error.Reason);
        Assert.Contains("PNG, JPEG or WebP", error.Message);
    }

    [Theory]
    [InlineData(0.5)]
    [InlineData(0.9)]
    [InlineData(0.2)]
    public void A_truncated_png_is_corrupt(double keep)
    {
        var png = File.ReadAllBytes(Assets.Path("chelsea.png"));
        var error = Assert.Throws<ImageRejectedException>(() => ImageDecoder.Decode(png.AsSpan(0, (int)(png.Length * keep)), Limits));
        Assert.Equal(ImageRejectionReason.Corrupt, error.Reason);
        Assert.Contains("truncated", error.Message);
    }

    [Theory]
    [InlineData(8)] // the signature only
    [InlineData(20)] // inside IHDR
    [InlineData(33)] // right after IHDR
    public void A_png_cut_inside_its_header_is_corrupt(int length)
    {
        var png = File.ReadAllBytes(Assets.Path("chelsea.png"));
        Assert.Equal(ImageRejectionReason.Corrupt, Assert.Throws<ImageRejectedException>(() => ImageDecoder.Decode(png.AsSpan(0, length), Limits)).Reason);
    }

    [Fact]
    public void A_png_with_damaged_image_data_is_corrupt()
    {
        var png = Encode(Pattern(64, 64), SKEncodedImageFormat.Png);
        var idat = PngChunks.Read(png).First(c => c.Type == "IDAT");
        for (var i = idat.DataOffset + 2; i < idat.DataOffset + idat.Length; i += 3) png[i] ^= 0x5A;
        Assert.Equal(ImageRejectionReason.Corrupt, Assert.Throws<ImageRejectedException>(() => ImageDecoder.Decode(png, Limits)).Reason);
    }

    [Theory]
    [InlineData(SKEncodedImageFormat.Jpeg)]
    [InlineData(SKEncodedImageFormat.Webp)]
    public void Truncated_jpeg_and_webp_are_corrupt(SKEncodedImageFormat format)
    {
        var bytes = Encode(Pattern(120, 80), format, 90);
        foreach (var length in new[] { 12, 40, bytes.Length / 2, bytes.Length - 10 })
        {
            var error = Assert.Throws<ImageRejectedException>(() => ImageDecoder.Decode(bytes.AsSpan(0, length), Limits));
            Assert.Equal(ImageRejectionReason.Corrupt, error.Reason);
        }
    }

    [Theory]
    [InlineData(SKEncodedImageFormat.Png)]
    [InlineData(SKEncodedImageFormat.Jpeg)]
    [InlineData(SKEncodedImageFormat.Webp)]
    public void Damaged_files_either_decode_or_are_rejected_never_anything_else(SKEncodedImageFormat format)
    {
        var original = Encode(Pattern(48, 40, withAlpha: format != SKEncodedImageFormat.Jpeg), format, 90);
        var random = new Random((int)format);
        for (var trial = 0; trial < 300; trial++)
        {
            var bytes = (byte[])original.Clone();
            for (var flips = random.Next(1, 6); flips > 0; flips--) bytes[random.Next(bytes.Length)] ^= (byte)random.Next(1, 256);
            var length = random.Next(2) == 0 ? bytes.Length : random.Next(1, bytes.Length);
            try
            {
                var image = ImageDecoder.Decode(bytes.AsSpan(0, length), Limits);
                Assert.Equal(image.Width * image.Height * 3, image.Rgb.Length);
            }
            catch (ImageRejectedException)
            {
            }
        }
    }

    /// <summary>Checks the colour at the centre of each quadrant, with a tolerance for JPEG.</summary>
    private static void AssertQuadrants(RgbImage image, params string[] expected)
    {
        (int X, int Y)[] centres = [(image.Width / 4, image.Height / 4), (3 * image.Width / 4, image.Height / 4), (image.Width / 4, 3 * image.Height / 4), (3 * image.Width / 4, 3 * image.Height / 4)];
        for (var q = 0; q < 4; q++)
        {
            var i = 3 * (centres[q].Y * image.Width + centres[q].X);
            int[] want = expected[q] switch
            {
                "R" => [255, 0, 0],
                "G" => [0, 255, 0],
                "B" => [0, 0, 255],
                _ => [255, 255, 255],
            };
            for (var c = 0; c < 3; c++) Assert.True(Math.Abs(image.Rgb[i + c] - want[c]) <= 12, $"quadrant {q}: expected {expected[q]}, got ({image.Rgb[i]}, {image.Rgb[i + 1]}, {image.Rgb[i + 2]})");
        }
    }
}
