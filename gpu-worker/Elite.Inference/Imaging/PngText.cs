using System.IO.Compression;
using System.Text;

namespace Elite.Inference.Imaging;

/// <summary>Reads the text metadata of a PNG: tEXt, zTXt and iTXt (compressed or not). A repeated keyword keeps its last value.</summary>
public static class PngText
{
    /// <summary>Decompressed text above this is refused: the input may be untrusted.</summary>
    public const int MaxDecompressedBytes = 8 << 20;

    /// <summary>Throws <see cref="InvalidDataException"/> for a malformed PNG, a bad CRC or a malformed text chunk.</summary>
    public static IReadOnlyDictionary<string, string> Read(ReadOnlySpan<byte> png)
    {
        var text = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var chunk in PngChunks.Read(png))
        {
            var data = png.Slice(chunk.DataOffset, chunk.Length);
            var (keyword, value) = chunk.Type switch
            {
                "tEXt" => ReadText(data),
                "zTXt" => ReadCompressedText(data),
                "iTXt" => ReadInternationalText(data),
                _ => (null, null),
            };
            if (keyword is not null) text[keyword] = value!;
        }

        return text;
    }

    private static (string, string) ReadText(ReadOnlySpan<byte> data)
    {
        var keyword = Keyword(data, out var rest);
        return (keyword, Encoding.Latin1.GetString(rest));
    }

    private static (string, string) ReadCompressedText(ReadOnlySpan<byte> data)
    {
        var keyword = Keyword(data, out var rest);
        if (rest.IsEmpty || rest[0] != 0) throw new InvalidDataException($"zTXt '{keyword}' uses an unknown compression method.");
        return (keyword, Encoding.Latin1.GetString(Inflate(rest[1..])));
    }

    private static (string, string) ReadInternationalText(ReadOnlySpan<byte> data)
    {
        var keyword = Keyword(data, out var rest);
        if (rest.Length < 2 || rest[0] > 1 || rest[1] != 0) throw new InvalidDataException($"iTXt '{keyword}' has a bad compression flag or method.");
        var compressed = rest[0] == 1;
        rest = rest[2..];
        for (var field = 0; field < 2; field++) // language tag, translated keyword
        {
            var end = rest.IndexOf((byte)0);
            if (end < 0) throw new InvalidDataException($"iTXt '{keyword}' is truncated.");
            rest = rest[(end + 1)..];
        }

        return (keyword, Encoding.UTF8.GetString(compressed ? Inflate(rest) : rest));
    }

    private static string Keyword(ReadOnlySpan<byte> data, out ReadOnlySpan<byte> rest)
    {
        var end = data.IndexOf((byte)0);
        if (end is < 1 or > 79) throw new InvalidDataException("PNG text chunk without a valid keyword.");
        rest = data[(end + 1)..];
        return Encoding.Latin1.GetString(data[..end]);
    }

    private static byte[] Inflate(ReadOnlySpan<byte> compressed)
    {
        using var zlib = new ZLibStream(new MemoryStream(compressed.ToArray()), CompressionMode.Decompress);
        using var output = new MemoryStream();
        var buffer = new byte[81920];
        int read;
        while ((read = zlib.Read(buffer)) > 0)
        {
            output.Write(buffer, 0, read);
            if (output.Length > MaxDecompressedBytes) throw new InvalidDataException($"PNG text decompresses to more than {MaxDecompressedBytes} bytes.");
        }

        return output.ToArray();
    }
}
