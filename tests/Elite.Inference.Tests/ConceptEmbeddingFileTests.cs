using Elite.Inference.Concepts;

namespace Elite.Inference.Tests;

public sealed class ConceptEmbeddingFileTests
{
    private static ConceptEmbedding Sample(string pack = "tiny-0123456789ab")
    {
        var random = new Random(3);
        return new ConceptEmbedding(pack, 32, [.. Enumerable.Range(0, 5 * 32).Select(_ => random.NextSingle())], [.. Enumerable.Range(0, 256 * 32).Select(_ => random.NextSingle())], "auto");
    }

    [Fact]
    public void Round_trip_keeps_every_value()
    {
        var embedding = Sample();
        var read = ConceptEmbeddingFile.Read(ConceptEmbeddingFile.Write(embedding), embedding.PackId);
        Assert.Equal((embedding.PackId, embedding.Width, embedding.MaskSource), (read.PackId, read.Width, read.MaskSource));
        Assert.Equal(embedding.Words, read.Words);
        Assert.Equal(embedding.LocalEmbeds, read.LocalEmbeds);
        Assert.Equal(embedding.Words[..32], read.ConceptWord.ToArray());
    }

    [Fact]
    public void A_file_from_another_pack_is_refused()
    {
        var bytes = ConceptEmbeddingFile.Write(Sample("sd14-elite-aaaaaaaaaaaa"));
        var error = Assert.Throws<ConceptFormatException>(() => ConceptEmbeddingFile.Read(bytes, "tiny-0123456789ab"));
        Assert.Contains("sd14-elite-aaaaaaaaaaaa", error.Message);
    }

    [Fact]
    public void Damaged_or_foreign_bytes_are_refused()
    {
        var bytes = ConceptEmbeddingFile.Write(Sample());
        bytes[100] ^= 1;
        Assert.Contains("damaged", Assert.Throws<ConceptFormatException>(() => ConceptEmbeddingFile.Read(bytes, "tiny-0123456789ab")).Message);
        Assert.Contains("not an ELITE", Assert.Throws<ConceptFormatException>(() => ConceptEmbeddingFile.Read("PNG..."u8.ToArray(), "x")).Message);
        Assert.Contains("not an ELITE", Assert.Throws<ConceptFormatException>(() => ConceptEmbeddingFile.Read([], "x")).Message);
    }
}
