using System.Buffers.Binary;
using SkiaSharp;
using static Elite.Contracts.Imaging.ImageRejectionReason;

namespace Elite.Contracts.Imaging;

/// <summary>
/// What an untrusted upload's header says (format, upright size, EXIF orientation), checked against
/// <see cref="ImageLimits"/> before any pixel is decoded. Every refusal is an <see cref="ImageRejectedException"/>.
/// </summary>
public sealed record ImageHeader(SKEncodedImageFormat Format, int Width, int Height, SKEncodedOrigin Origin)
{
    /// <summary>How much of a file <see cref="TryReadPrefix"/> wants: enough for headers after large EXIF, ICC or XMP metadata.</summary>
    public const int PrefixBytes = 256 * 1024;

    /// <summary>Checks a whole file's size and header.</summary>
    public static ImageHeader Read(ReadOnlySpan<byte> bytes, ImageLimits limits)
    {
        CheckSize(bytes.Length, limits);
        using var data = SKData.CreateCopy(bytes);
        using var codec = SKCodec.Create(data) ?? throw Unreadable(bytes);
        return Check(codec, limits);
    }

    /// <summary>
    /// Checks a file of <paramref name="totalBytes"/> from its first bytes (at least <see cref="PrefixBytes"/> of
    /// them when the file is longer). Null when the prefix starts like a PNG, JPEG or WebP but does not hold its
    /// whole header (metadata before the size): only decoding the file can tell then.
    /// </summary>
    public static ImageHeader? TryReadPrefix(ReadOnlySpan<byte> prefix, long totalBytes, ImageLimits limits)
    {
        CheckSize(totalBytes, limits);
        if (prefix.Length >= totalBytes) return Read(prefix, limits);
        using var data = SKData.CreateCopy(prefix);
        using var codec = SKCodec.Create(data);
        if (codec is not null) return Check(codec, limits);
        var refusal = Unreadable(prefix);
        return refusal.Reason == Corrupt ? null : throw refusal;
    }

    /// <summary>Checks the header of an image the caller goes on to decode with <paramref name="codec"/>.</summary>
    public static ImageHeader Check(SKCodec codec, ImageLimits limits)
    {
        ArgumentNullException.ThrowIfNull(codec);
        ArgumentNullException.ThrowIfNull(limits);
        if (codec.EncodedFormat is not (SKEncodedImageFormat.Png or SKEncodedImageFormat.Jpeg or SKEncodedImageFormat.Webp))
            throw new ImageRejectedException(Unsupported, $"{codec.EncodedFormat} images are not accepted; send PNG, JPEG or WebP.");

        var origin = codec.EncodedOrigin;
        var (width, height) = SwapsAxes(origin) ? (codec.Info.Height, codec.Info.Width) : (codec.Info.Width, codec.Info.Height);
        if (width <= 0 || height <= 0) throw new ImageRejectedException(ZeroSize, $"The image declares a size of {width}x{height}.");
        // The RGBA decode buffer must also fit one .NET array, whatever the limits say.
        var maxPixels = Math.Min(limits.MaxPixels, Array.MaxLength / 4);
        if ((long)width * height > maxPixels)
            throw new ImageRejectedException(TooManyPixels, $"The image is {width}x{height} = {(long)width * height:N0} pixels; at most {maxPixels:N0} are accepted.");
        if (width > limits.MaxWidth || height > limits.MaxHeight)
            throw new ImageRejectedException(DimensionTooLarge, $"The image is {width}x{height}; at most {limits.MaxWidth}x{limits.MaxHeight} is accepted.");
        return new ImageHeader(codec.EncodedFormat, width, height, origin);
    }

    /// <summary>True for the four EXIF orientations (5..8) that swap width and height.</summary>
    public static bool SwapsAxes(SKEncodedOrigin origin) => origin is SKEncodedOrigin.LeftTop or SKEncodedOrigin.RightTop or SKEncodedOrigin.RightBottom or SKEncodedOrigin.LeftBottom;

    /// <summary>Refuses an empty file or one over <see cref="ImageLimits.MaxBytes"/>.</summary>
    public static void CheckSize(long bytes, ImageLimits limits)
    {
        ArgumentNullException.ThrowIfNull(limits);
        if (bytes <= 0) throw new ImageRejectedException(Empty, "The image is empty (0 bytes).");
        if (bytes > limits.MaxBytes) throw new ImageRejectedException(TooLarge, $"The image is {bytes:N0} bytes; at most {limits.MaxBytes:N0} are accepted.");
    }

    /// <summary>Why a codec could not even read the header: damaged if the bytes start like one of our formats, otherwise not an image.</summary>
    public static ImageRejectedException Unreadable(ReadOnlySpan<byte> bytes)
    {
        if (bytes.StartsWith((ReadOnlySpan<byte>)[0x89, (byte)'P', (byte)'N', (byte)'G', 0x0D, 0x0A, 0x1A, 0x0A]))
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
}
