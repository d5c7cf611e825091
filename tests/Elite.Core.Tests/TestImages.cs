using SkiaSharp;

namespace Elite.Core.Tests;

/// <summary>Images built in memory for the upload checks.</summary>
internal static class TestImages
{
    public static byte[] Png(int width, int height) => Encode(width, height, SKEncodedImageFormat.Png);

    public static byte[] Jpeg(int width, int height) => Encode(width, height, SKEncodedImageFormat.Jpeg);

    /// <summary>A JPEG whose frame header (SOF) comes after <paramref name="metadataBytes"/> of APP15 segments, as after large EXIF/ICC data.</summary>
    public static byte[] JpegWithLargeMetadata(int width, int height, int metadataBytes)
    {
        var jpeg = Jpeg(width, height);
        using var output = new MemoryStream();
        output.Write(jpeg, 0, 2); // SOI
        for (var left = metadataBytes; left > 0; left -= 65_000)
        {
            var length = Math.Min(left, 65_000);
            output.Write([0xFF, 0xEF, (byte)((length + 2) >> 8), (byte)(length + 2)]);
            output.Write(new byte[length]);
        }

        output.Write(jpeg, 2, jpeg.Length - 2);
        return output.ToArray();
    }

    /// <summary>A valid 10000×10000 grey PNG: small on disk (zeros compress), 100 megapixels when decoded.</summary>
    public static byte[] HundredMegapixelPng() => Encode(10_000, 10_000, SKEncodedImageFormat.Png, SKColorType.Gray8);

    private static byte[] Encode(int width, int height, SKEncodedImageFormat format, SKColorType colorType = SKColorType.Rgba8888)
    {
        using var bitmap = new SKBitmap(new SKImageInfo(width, height, colorType, SKAlphaType.Opaque));
        bitmap.Erase(SKColors.DarkOliveGreen);
        using var data = bitmap.Encode(format, 90);
        return data.ToArray();
    }
}
