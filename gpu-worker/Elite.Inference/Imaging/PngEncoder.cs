using System.Text;
using SkiaSharp;

namespace Elite.Inference.Imaging;

/// <summary>
/// PNG output with text metadata. SkiaSharp writes the pixels; one text chunk per entry is inserted before the first
/// IDAT. A value that is all Latin-1 goes into a tEXt chunk; any other value goes into an uncompressed iTXt chunk
/// (UTF-8, no language tag), so every string round-trips unchanged and readers that know only tEXt still see the
/// Latin-1 entries. Keywords must be 1–79 printable Latin-1 characters without leading, trailing or double spaces.
/// </summary>
public static class PngEncoder
{
    public static byte[] Encode(RgbImage image, IReadOnlyDictionary<string, string> text)
    {
        ArgumentNullException.ThrowIfNull(image);
        ArgumentNullException.ThrowIfNull(text);
        foreach (var (keyword, value) in text) CheckEntry(keyword, value);
        var png = EncodePixels(image);

        var firstIdat = PngChunks.Read(png).First(chunk => chunk.Type == "IDAT");
        using var output = new MemoryStream();
        output.Write(png, 0, firstIdat.Offset);
        foreach (var (keyword, value) in text) WriteTextChunk(output, keyword, value);
        output.Write(png, firstIdat.Offset, png.Length - firstIdat.Offset);
        return output.ToArray();
    }

    private static byte[] EncodePixels(RgbImage image)
    {
        var pixels = image.Width * image.Height;
        var rgba = new byte[pixels * 4];
        for (var i = 0; i < pixels; i++)
        {
            rgba[4 * i] = image.Rgb[3 * i];
            rgba[4 * i + 1] = image.Rgb[3 * i + 1];
            rgba[4 * i + 2] = image.Rgb[3 * i + 2];
            rgba[4 * i + 3] = image.Alpha?[i] ?? 255;
        }

        // An opaque image info makes Skia write an RGB (colour type 2) PNG.
        var info = new SKImageInfo(image.Width, image.Height, SKColorType.Rgba8888, image.Alpha is null ? SKAlphaType.Opaque : SKAlphaType.Unpremul);
        using var skImage = SKImage.FromPixelCopy(info, rgba) ?? throw new InvalidOperationException("SkiaSharp could not wrap the pixels.");
        using var data = skImage.Encode(SKEncodedImageFormat.Png, 100) ?? throw new InvalidOperationException("SkiaSharp could not encode the PNG.");
        return data.ToArray();
    }

    private static void WriteTextChunk(Stream output, string keyword, string value)
    {
        using var data = new MemoryStream();
        data.Write(Encoding.Latin1.GetBytes(keyword));
        data.WriteByte(0);
        if (value.All(IsLatin1))
        {
            data.Write(Encoding.Latin1.GetBytes(value));
            PngChunks.Write(output, "tEXt", data.GetBuffer().AsSpan(0, (int)data.Length));
        }
        else
        {
            data.Write([0, 0, 0, 0]); // not compressed, method 0, empty language tag, empty translated keyword
            data.Write(Encoding.UTF8.GetBytes(value));
            PngChunks.Write(output, "iTXt", data.GetBuffer().AsSpan(0, (int)data.Length));
        }
    }

    private static void CheckEntry(string keyword, string value)
    {
        ArgumentNullException.ThrowIfNull(keyword);
        var valid = keyword.Length is >= 1 and <= 79
                    && keyword.All(c => c is >= ' ' and <= '~' or >= '\u00A1' and <= '\u00FF')
                    && keyword[0] != ' ' && keyword[^1] != ' ' && !keyword.Contains("  ", StringComparison.Ordinal);
        if (!valid) throw new ArgumentException($"'{keyword}' is not a PNG keyword: 1-79 printable Latin-1 characters, no leading, trailing or double spaces.", nameof(keyword));
        ArgumentNullException.ThrowIfNull(value, keyword);
        if (value.Contains('\0')) throw new ArgumentException($"PNG text values cannot contain NUL (keyword '{keyword}').", nameof(value));
    }

    private static bool IsLatin1(char c) => c <= '\u00FF';
}
