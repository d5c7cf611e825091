using System.IO.Compression;
using System.Text;
using Elite.Contracts.Imaging;
using Elite.Inference.Imaging;
using static Elite.Inference.Tests.Imaging.ImagingTestImages;

namespace Elite.Inference.Tests.Imaging;

public class PngTests
{
    private static readonly Dictionary<string, string> Metadata = new()
    {
        ["prompt"] = "a photo of \"S\" on the beach, 'golden hour' \\ 100% (café)",
        ["negative"] = "Ünïcödé beyond Latin-1: 猫 🐱 — ok",
        ["seed"] = "42",
        ["steps"] = "100",
        ["lambda"] = "0.6",
        ["multi line"] = "first\nsecond",
        ["empty"] = "",
    };

    [Fact]
    public void Pixels_and_metadata_round_trip()
    {
        var image = Pattern(64, 48);
        var png = PngEncoder.Encode(image, Metadata);

        var decoded = ImageDecoder.Decode(png, ImageLimits.Default);
        Assert.Equal(image.Rgb, decoded.Rgb);
        Assert.Null(decoded.Alpha);
        Assert.Equal(Metadata.OrderBy(e => e.Key), PngText.Read(png).OrderBy(e => e.Key));
    }

    [Fact]
    public void Rgba_pixels_round_trip()
    {
        var image = Pattern(20, 10, withAlpha: true);
        var decoded = ImageDecoder.Decode(PngEncoder.Encode(image, new Dictionary<string, string>()), ImageLimits.Default);
        Assert.Equal(image.Rgb, decoded.Rgb);
        Assert.Equal(image.Alpha, decoded.Alpha);
    }

    [Fact]
    public void Opaque_images_are_written_as_rgb_and_alpha_images_as_rgba()
    {
        static byte ColourType(byte[] png) => png[PngChunks.Read(png)[0].DataOffset + 9];
        Assert.Equal(2, ColourType(PngEncoder.Encode(Pattern(4, 4), new Dictionary<string, string>())));
        Assert.Equal(6, ColourType(PngEncoder.Encode(Pattern(4, 4, withAlpha: true), new Dictionary<string, string>())));
    }

    [Fact]
    public void Latin1_values_go_in_text_chunks_and_others_in_itxt_all_before_the_first_idat()
    {
        var png = PngEncoder.Encode(Pattern(8, 8), Metadata);
        var chunks = PngChunks.Read(png);
        var types = chunks.Select(c => c.Type).ToList();
        var firstIdat = types.IndexOf("IDAT");

        Assert.Equal(Metadata.Count, types.Count(t => t is "tEXt" or "iTXt"));
        Assert.Single(types, "iTXt");
        Assert.All(types.Select((t, i) => (t, i)).Where(x => x.t is "tEXt" or "iTXt"), x => Assert.True(x.i < firstIdat));
        var itxt = chunks.Single(c => c.Type == "iTXt");
        Assert.True(png.AsSpan(itxt.DataOffset, itxt.Length).StartsWith("negative\0"u8));
        Assert.Equal("IHDR", types[0]);
        Assert.Equal("IEND", types[^1]);
    }

    [Fact]
    public void Chunk_order_follows_the_dictionary()
    {
        var text = new Dictionary<string, string> { ["b"] = "1", ["a"] = "2", ["c"] = "3" };
        var png = PngEncoder.Encode(Pattern(2, 2), text);
        var keywords = PngChunks.Read(png).Where(c => c.Type == "tEXt").Select(c => (char)png[c.DataOffset]);
        Assert.Equal("bac", string.Concat(keywords));
    }

    [Fact]
    public void A_latin1_keyword_round_trips()
    {
        var text = new Dictionary<string, string> { ["Schöne Grüße"] = "ÿ" };
        Assert.Equal(text, PngText.Read(PngEncoder.Encode(Pattern(2, 2), text)));
    }

    [Theory]
    [InlineData("")]
    [InlineData(" leading")]
    [InlineData("trailing ")]
    [InlineData("double  space")]
    [InlineData("tab\tkey")]
    [InlineData("new\nline")]
    [InlineData("猫")]
    [InlineData("nbsp\u00A0key")]
    public void Invalid_keywords_are_refused(string keyword)
    {
        Assert.Throws<ArgumentException>(() => PngEncoder.Encode(Pattern(2, 2), new Dictionary<string, string> { [keyword] = "x" }));
    }

    [Fact]
    public void Keywords_may_be_79_characters_not_80()
    {
        var ok = new Dictionary<string, string> { [new string('k', 79)] = "v" };
        Assert.Equal(ok, PngText.Read(PngEncoder.Encode(Pattern(2, 2), ok)));
        Assert.Throws<ArgumentException>(() => PngEncoder.Encode(Pattern(2, 2), new Dictionary<string, string> { [new string('k', 80)] = "v" }));
    }

    [Fact]
    public void Nul_in_a_value_is_refused()
    {
        Assert.Throws<ArgumentException>(() => PngEncoder.Encode(Pattern(2, 2), new Dictionary<string, string> { ["k"] = "a\0b" }));
    }

    [Fact]
    public void Text_written_by_pil_reads_back()
    {
        // tEXt, zTXt, iTXt with language tag and translated keyword, compressed iTXt (generate_preprocess_fixtures.py).
        var expected = System.Text.Json.JsonDocument.Parse(File.ReadAllText(Fixture("manifest.json"))).RootElement.GetProperty("text_pil")
            .EnumerateObject().ToDictionary(p => p.Name, p => p.Value.GetString()!);
        Assert.Equal(4, expected.Count);
        Assert.Equal(expected, PngText.Read(File.ReadAllBytes(Fixture("text_pil.png"))));
    }

    [Fact]
    public void Crc_matches_the_png_check_values()
    {
        Assert.Equal(0xAE426082u, PngChunks.Crc("IEND"u8)); // the CRC every PNG ends with
        Assert.Equal(0xCBF43926u, PngChunks.Crc("123456789"u8)); // the CRC-32 check value
    }

    [Fact]
    public void A_damaged_chunk_fails_its_crc()
    {
        var png = PngEncoder.Encode(Pattern(4, 4), new Dictionary<string, string> { ["prompt"] = "a cat" });
        var text = PngChunks.Read(png).Single(c => c.Type == "tEXt");
        png[text.DataOffset + 8] ^= 1;
        var error = Assert.Throws<InvalidDataException>(() => PngText.Read(png));
        Assert.Contains("CRC", error.Message);
    }

    [Fact]
    public void Not_a_png_and_truncated_pngs_are_invalid_data()
    {
        var png = PngEncoder.Encode(Pattern(4, 4), Metadata);
        Assert.Throws<InvalidDataException>(() => PngText.Read("GIF89a"u8));
        Assert.Throws<InvalidDataException>(() => PngText.Read(png.AsSpan(0, png.Length - 1)));
        Assert.Throws<InvalidDataException>(() => PngText.Read(png.AsSpan(0, 40)));
    }

    [Fact]
    public void Compressed_ztxt_and_itxt_are_read()
    {
        using var stream = new MemoryStream();
        stream.Write(PngChunks.Signature);
        stream.Write(PngEncoder.Encode(Pattern(2, 2), new Dictionary<string, string>()).AsSpan(8, 25)); // IHDR
        PngChunks.Write(stream, "zTXt", [.. "comment\0\0"u8, .. Deflate(Encoding.Latin1.GetBytes("compressed Latin-1: é"))]);
        PngChunks.Write(stream, "iTXt", [.. "prompt\0\u0001\0en\0Eingabe\0"u8, .. Deflate(Encoding.UTF8.GetBytes("猫 on a mat"))]);
        PngChunks.Write(stream, "iTXt", [.. "plain\0\0\0\0\0"u8, .. "uncompressed"u8]);
        PngChunks.Write(stream, "IEND", []);

        var text = PngText.Read(stream.ToArray());

        Assert.Equal("compressed Latin-1: é", text["comment"]);
        Assert.Equal("猫 on a mat", text["prompt"]);
        Assert.Equal("uncompressed", text["plain"]);
    }

    [Fact]
    public void A_decompression_bomb_in_a_text_chunk_is_refused()
    {
        using var stream = new MemoryStream();
        stream.Write(PngChunks.Signature);
        PngChunks.Write(stream, "zTXt", [.. "bomb\0\0"u8, .. Deflate(new byte[PngText.MaxDecompressedBytes + 1])]);
        PngChunks.Write(stream, "IEND", []);
        Assert.Throws<InvalidDataException>(() => PngText.Read(stream.ToArray()));
    }

    [Fact]
    public void A_text_chunk_without_a_keyword_is_invalid_data()
    {
        using var stream = new MemoryStream();
        stream.Write(PngChunks.Signature);
        PngChunks.Write(stream, "tEXt", "\0value"u8);
        PngChunks.Write(stream, "IEND", []);
        Assert.Throws<InvalidDataException>(() => PngText.Read(stream.ToArray()));
    }

    private static byte[] Deflate(byte[] data)
    {
        using var output = new MemoryStream();
        using (var zlib = new ZLibStream(output, CompressionLevel.Optimal, leaveOpen: true)) zlib.Write(data);
        return output.ToArray();
    }
}
