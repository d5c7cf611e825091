using System.Buffers.Binary;
using SkiaSharp;
using static Elite.Inference.Imaging.ImageRejectionReason;

namespace Elite.Inference.Imaging;

/// <summary>
/// Decodes untrusted PNG, JPEG and WebP uploads. The limits are checked from the header before any pixel is
/// decoded; every failure is an <see cref="ImageRejectedException"/>. Pixels come out upright (EXIF orientation
/// applied), colour values as stored (no ICC conversion, like PIL), alpha straight.
/// </summary>
public static class ImageDecoder
{
    public static RgbImage Decode(ReadOnlySpan<byte> bytes, ImageLimits limits)
    {
        ArgumentNullException.ThrowIfNull(limits);
        if (bytes.IsEmpty) throw new ImageRejectedException(Empty, "The image is empty (0 bytes).");
        if (bytes.Length > limits.MaxBytes) throw new ImageRejectedException(TooLarge, $"The image is {bytes.Length} bytes; at most {limits.MaxBytes} are accepted.");

        using var data = SKData.CreateCopy(bytes);
        using var codec = SKCodec.Create(data) ?? throw Unreadable(bytes);
        if (codec.EncodedFormat is not (SKEncodedImageFormat.Png or SKEncodedImageFormat.Jpeg or SKEncodedImageFormat.Webp))
            throw new ImageRejectedException(Unsupported, $"{codec.EncodedFormat} images are not accepted; send PNG, JPEG or WebP.");

        var (storedWidth, storedHeight) = (codec.Info.Width, codec.Info.Height);
        var origin = codec.EncodedOrigin;
        var (width, height) = ExifOrientation.SwapsAxes(origin) ? (storedHeight, storedWidth) : (storedWidth, storedHeight);
        CheckDimensions(width, height, limits);

        var info = new SKImageInfo(storedWidth, storedHeight, SKColorType.Rgba8888, SKAlphaType.Unpremul);
        var rgba = new byte[info.BytesSize64];
        var result = codec.GetPixels(info, rgba);
        if (result != SKCodecResult.Success)
        {
            var what = result == SKCodecResult.IncompleteInput ? "is truncated" : $"could not be decoded ({result})";
            throw new ImageRejectedException(Corrupt, $"The {codec.EncodedFormat} image ({storedWidth}x{storedHeight}) {what}.");
        }

        rgba = ExifOrientation.Apply(rgba, storedWidth, storedHeight, origin);
        return Split(rgba, width, height, mayHaveAlpha: codec.Info.AlphaType != SKAlphaType.Opaque);
    }

    /// <summary>Decodes an uploaded mask for an image of <paramref name="width"/>×<paramref name="height"/>: a pixel is object where channel 0 is &gt; 0 (white = object, spec §1.3).</summary>
    public static ObjectMask DecodeMask(ReadOnlySpan<byte> bytes, ImageLimits limits, int width, int height)
    {
        var image = Decode(bytes, limits);
        if (image.Width != width || image.Height != height)
            throw new ImageRejectedException(MaskSizeMismatch, $"The mask is {image.Width}x{image.Height} but the image is {width}x{height}; they must be the same size.");

        var values = new byte[image.Width * image.Height];
        for (var i = 0; i < values.Length; i++) values[i] = image.Rgb[3 * i] > 0 ? (byte)1 : (byte)0;
        return new ObjectMask(width, height, values, MaskSource.Upload);
    }

    private static void CheckDimensions(int width, int height, ImageLimits limits)
    {
        if (width <= 0 || height <= 0) throw new ImageRejectedException(ZeroSize, $"The image declares a size of {width}x{height}.");
        // The RGBA decode buffer must also fit one .NET array, whatever the limits say.
        if ((long)width * height > Math.Min(limits.MaxPixels, Array.MaxLength / 4))
            throw new ImageRejectedException(TooManyPixels, $"The image is {width}x{height} = {(long)width * height} pixels; at most {Math.Min(limits.MaxPixels, Array.MaxLength / 4)} are accepted.");
        if (width > limits.MaxWidth || height > limits.MaxHeight)
            throw new ImageRejectedException(DimensionTooLarge, $"The image is {width}x{height}; at most {limits.MaxWidth}x{limits.MaxHeight} is accepted.");
    }

    /// <summary>The codec could not even read the header: damaged if the bytes start like one of our formats, otherwise not an image.</summary>
    private static ImageRejectedException Unreadable(ReadOnlySpan<byte> bytes)
    {
        if (bytes.StartsWith(PngChunks.Signature))
        {
            // libpng refuses a zero width or height in IHDR; say so rather than "corrupt".
            if (bytes.Length >= 24 && bytes.Slice(12, 4).SequenceEqual("IHDR"u8))
            {
                var width = BinaryPrimitives.ReadUInt32BigEndian(bytes[16..]);
                var height = BinaryPrimitives.ReadUInt32BigEndian(bytes[20..]);
                if (width == 0 || height == 0) return new ImageRejectedException(ZeroSize, $"The PNG header declares a size of {width}x{height}.");
            }

            return new ImageRejectedException(Corrupt, "The PNG header is damaged or truncated.");
        }

        if (bytes.StartsWith((ReadOnlySpan<byte>)[0xFF, 0xD8, 0xFF])) return new ImageRejectedException(Corrupt, "The JPEG header is damaged or truncated.");
        if (bytes.Length >= 12 && bytes.StartsWith("RIFF"u8) && bytes.Slice(8, 4).SequenceEqual("WEBP"u8))
            return new ImageRejectedException(Corrupt, "The WebP header is damaged or truncated.");
        return new ImageRejectedException(NotAnImage, "The data is not a PNG, JPEG or WebP image.");
    }

    /// <summary>RGBA → RGB plus alpha; the alpha is kept only if some pixel is not fully opaque.</summary>
    private static RgbImage Split(byte[] rgba, int width, int height, bool mayHaveAlpha)
    {
        var pixels = width * height;
        var rgb = new byte[pixels * 3];
        var alpha = new byte[pixels];
        var opaque = true;
        for (var i = 0; i < pixels; i++)
        {
            rgb[3 * i] = rgba[4 * i];
            rgb[3 * i + 1] = rgba[4 * i + 1];
            rgb[3 * i + 2] = rgba[4 * i + 2];
            alpha[i] = rgba[4 * i + 3];
            opaque &= alpha[i] == 255;
        }

        return new RgbImage(width, height, rgb, mayHaveAlpha && !opaque ? alpha : null);
    }
}
