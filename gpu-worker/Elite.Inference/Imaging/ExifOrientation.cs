using System.Runtime.InteropServices;
using Elite.Contracts.Imaging;
using SkiaSharp;

namespace Elite.Inference.Imaging;

/// <summary>Turns decoded pixels upright according to the EXIF orientation the codec reports.</summary>
internal static class ExifOrientation
{
    /// <summary>Reorders stored RGBA pixels into the upright image; returns the input when it is already upright.</summary>
    public static byte[] Apply(byte[] rgba, int width, int height, SKEncodedOrigin origin)
    {
        if (origin == SKEncodedOrigin.TopLeft) return rgba;
        var (outWidth, outHeight) = ImageHeader.SwapsAxes(origin) ? (height, width) : (width, height);
        var result = new byte[rgba.Length];
        var stored = MemoryMarshal.Cast<byte, uint>(rgba.AsSpan());
        var upright = MemoryMarshal.Cast<byte, uint>(result.AsSpan());
        for (var y = 0; y < outHeight; y++)
        {
            for (var x = 0; x < outWidth; x++)
            {
                var (sx, sy) = origin switch
                {
                    SKEncodedOrigin.TopRight => (width - 1 - x, y),
                    SKEncodedOrigin.BottomRight => (width - 1 - x, height - 1 - y),
                    SKEncodedOrigin.BottomLeft => (x, height - 1 - y),
                    SKEncodedOrigin.LeftTop => (y, x),
                    SKEncodedOrigin.RightTop => (y, height - 1 - x),
                    SKEncodedOrigin.RightBottom => (width - 1 - y, height - 1 - x),
                    SKEncodedOrigin.LeftBottom => (width - 1 - y, x),
                    _ => throw new ArgumentOutOfRangeException(nameof(origin), origin, "Unknown EXIF orientation."),
                };
                upright[y * outWidth + x] = stored[sy * width + sx];
            }
        }

        return result;
    }
}
