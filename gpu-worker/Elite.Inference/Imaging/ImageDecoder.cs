using Elite.Contracts.Imaging;
using SkiaSharp;
using static Elite.Contracts.Imaging.ImageRejectionReason;

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
        ImageHeader.CheckSize(bytes.Length, limits);
        using var data = SKData.CreateCopy(bytes);
        using var codec = SKCodec.Create(data) ?? throw ImageHeader.Unreadable(bytes);
        var header = ImageHeader.Check(codec, limits);
        var (storedWidth, storedHeight) = (codec.Info.Width, codec.Info.Height);
        var info = new SKImageInfo(storedWidth, storedHeight, SKColorType.Rgba8888, SKAlphaType.Unpremul);
        var rgba = new byte[info.BytesSize64];
        var result = codec.GetPixels(info, rgba);
        if (result != SKCodecResult.Success)
        {
            var what = result == SKCodecResult.IncompleteInput ? "is truncated" : $"could not be decoded ({result})";
            throw new ImageRejectedException(Corrupt, $"The {codec.EncodedFormat} image ({storedWidth}x{storedHeight}) {what}.");
        }

        rgba = ExifOrientation.Apply(rgba, storedWidth, storedHeight, header.Origin);
        return Split(rgba, header.Width, header.Height, mayHaveAlpha: codec.Info.AlphaType != SKAlphaType.Opaque);
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
