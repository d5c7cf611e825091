using System.Buffers.Binary;
using Elite.Inference.Imaging;
using SkiaSharp;

namespace Elite.Inference.Tests.Imaging;

/// <summary>Images built in memory for the imaging tests: encoded by SkiaSharp, or crafted byte by byte.</summary>
internal static class ImagingTestImages
{
    public static string Fixture(string file) => Path.Combine(AppContext.BaseDirectory, "Fixtures", "Preprocess", file);

    /// <summary>A deterministic pattern with distinct neighbours; alpha (when asked) runs 0..255 with fully transparent and opaque pixels.</summary>
    public static RgbImage Pattern(int width, int height, bool withAlpha = false)
    {
        var rgb = new byte[width * height * 3];
        var alpha = withAlpha ? new byte[width * height] : null;
        for (var y = 0; y < height; y++)
        {
            for (var x = 0; x < width; x++)
            {
                var i = y * width + x;
                rgb[3 * i] = (byte)(x * 17 + y * 3);
                rgb[3 * i + 1] = (byte)(y * 29 + x);
                rgb[3 * i + 2] = (byte)(x * y * 7 + 11);
                if (alpha is not null) alpha[i] = (byte)((x * 37 + y * 11) % 256);
            }
        }

        return new RgbImage(width, height, rgb, alpha);
    }

    /// <summary>Four flat quadrants: top-left red, top-right green, bottom-left blue, bottom-right white.</summary>
    public static RgbImage Quadrants(int width, int height)
    {
        var rgb = new byte[width * height * 3];
        for (var y = 0; y < height; y++)
        {
            for (var x = 0; x < width; x++)
            {
                (byte r, byte g, byte b) color = (x < width / 2, y < height / 2) switch
                {
                    (true, true) => (255, 0, 0),
                    (false, true) => (0, 255, 0),
                    (true, false) => (0, 0, 255),
                    _ => (255, 255, 255),
                };
                var i = 3 * (y * width + x);
                (rgb[i], rgb[i + 1], rgb[i + 2]) = color;
            }
        }

        return new RgbImage(width, height, rgb);
    }

    public static byte[] Encode(RgbImage image, SKEncodedImageFormat format, int quality = 100)
    {
        using var skImage = ToSkImage(image);
        using var data = skImage.Encode(format, quality);
        return data.ToArray();
    }

    public static byte[] EncodeLosslessWebp(RgbImage image)
    {
        using var skImage = ToSkImage(image);
        using var pixmap = skImage.PeekPixels();
        using var data = pixmap.Encode(new SKWebpEncoderOptions(SKWebpEncoderCompression.Lossless, 100)) ?? throw new InvalidOperationException("WebP encoding failed.");
        return data.ToArray();
    }

    /// <summary>A grayscale (colour type 0) PNG.</summary>
    public static byte[] EncodeGrayPng(int width, int height, Func<int, int, byte> value)
    {
        var gray = new byte[width * height];
        for (var y = 0; y < height; y++)
        {
            for (var x = 0; x < width; x++) gray[y * width + x] = value(x, y);
        }

        using var skImage = SKImage.FromPixelCopy(new SKImageInfo(width, height, SKColorType.Gray8, SKAlphaType.Opaque), gray);
        using var data = skImage.Encode(SKEncodedImageFormat.Png, 100);
        return data.ToArray();
    }

    /// <summary>A PNG built chunk by chunk: an IHDR with the given size (8-bit RGB), the given IDAT bytes, IEND.</summary>
    public static byte[] CraftPng(uint width, uint height, byte[] idat)
    {
        using var png = new MemoryStream();
        png.Write(PngChunks.Signature);
        var ihdr = new byte[13];
        BinaryPrimitives.WriteUInt32BigEndian(ihdr, width);
        BinaryPrimitives.WriteUInt32BigEndian(ihdr.AsSpan(4), height);
        ihdr[8] = 8; // bit depth
        ihdr[9] = 2; // RGB
        PngChunks.Write(png, "IHDR", ihdr);
        PngChunks.Write(png, "IDAT", idat);
        PngChunks.Write(png, "IEND", []);
        return png.ToArray();
    }

    /// <summary>Inserts an APP1 Exif segment whose IFD0 holds only the orientation tag, right after the JPEG's SOI marker.</summary>
    public static byte[] WithExifOrientation(byte[] jpeg, ushort orientation)
    {
        byte[] tiff =
        [
            (byte)'M', (byte)'M', 0, 42, 0, 0, 0, 8, // big-endian TIFF header, IFD0 at offset 8
            0, 1, // one entry
            0x01, 0x12, 0, 3, 0, 0, 0, 1, (byte)(orientation >> 8), (byte)orientation, 0, 0, // Orientation, SHORT, count 1
            0, 0, 0, 0, // no next IFD
        ];
        byte[] exifHeader = [(byte)'E', (byte)'x', (byte)'i', (byte)'f', 0, 0];
        var length = 2 + exifHeader.Length + tiff.Length;
        byte[] segment = [0xFF, 0xE1, (byte)(length >> 8), (byte)length, .. exifHeader, .. tiff];
        return [.. jpeg.AsSpan(0, 2), .. segment, .. jpeg.AsSpan(2)];
    }

    /// <summary>A valid 1×1 24-bit BMP.</summary>
    public static byte[] Bmp1x1()
    {
        var bmp = new byte[58];
        "BM"u8.CopyTo(bmp);
        BinaryPrimitives.WriteInt32LittleEndian(bmp.AsSpan(2), bmp.Length);
        BinaryPrimitives.WriteInt32LittleEndian(bmp.AsSpan(10), 54); // pixel data offset
        BinaryPrimitives.WriteInt32LittleEndian(bmp.AsSpan(14), 40); // BITMAPINFOHEADER
        BinaryPrimitives.WriteInt32LittleEndian(bmp.AsSpan(18), 1); // width
        BinaryPrimitives.WriteInt32LittleEndian(bmp.AsSpan(22), 1); // height
        BinaryPrimitives.WriteInt16LittleEndian(bmp.AsSpan(26), 1); // planes
        BinaryPrimitives.WriteInt16LittleEndian(bmp.AsSpan(28), 24); // bits per pixel
        BinaryPrimitives.WriteInt32LittleEndian(bmp.AsSpan(34), 4); // image size
        bmp[54] = 10; // blue
        bmp[55] = 20; // green
        bmp[56] = 30; // red
        return bmp;
    }

    private static SKImage ToSkImage(RgbImage image)
    {
        var rgba = new byte[image.Width * image.Height * 4];
        for (var i = 0; i < image.Width * image.Height; i++)
        {
            rgba[4 * i] = image.Rgb[3 * i];
            rgba[4 * i + 1] = image.Rgb[3 * i + 1];
            rgba[4 * i + 2] = image.Rgb[3 * i + 2];
            rgba[4 * i + 3] = image.Alpha?[i] ?? 255;
        }

        var info = new SKImageInfo(image.Width, image.Height, SKColorType.Rgba8888, image.Alpha is null ? SKAlphaType.Opaque : SKAlphaType.Unpremul);
        return SKImage.FromPixelCopy(info, rgba);
    }
}
