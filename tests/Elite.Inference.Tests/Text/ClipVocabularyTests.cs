using Elite.Inference.Text;

namespace Elite.Inference.Tests.Text;

public sealed class ClipVocabularyTests
{
    [Fact]
    public void Byte_symbols_follow_clip_order()
    {
        var symbols = ClipVocabulary.ByteSymbols();

        Assert.Equal(256, symbols.Distinct().Count());
        Assert.Equal('!', symbols[0]);
        Assert.Equal('a', symbols[64]);
        Assert.Equal('s', symbols[82]);
        Assert.Equal('ÿ', symbols[187]);
        // byte 0 is the first non-printable byte, mapped to U+0100; space (0x20) is the 33rd, U+0120 'Ġ'.
        Assert.Equal('\u0100', symbols[188]);
        Assert.Equal('Ġ', symbols[188 + 32]);
    }

    [Fact]
    public void Vocabulary_is_built_from_the_merges_file()
    {
        var vocabulary = ClipVocabulary.Read(Assets.Path("bpe_simple_vocab_16e6.txt"));

        Assert.Equal(49406, vocabulary.Tokens.Count);
        Assert.Equal(48894, vocabulary.Merges.Count);
        Assert.Equal("i n", vocabulary.Merges[0]);
        Assert.Equal(512, vocabulary.Tokens["in"]);
        Assert.Equal(338, vocabulary.Tokens["s</w>"]);
        Assert.Equal(2368, vocabulary.Tokens["cat</w>"]);
        Assert.Equal(49405, vocabulary.Tokens.Values.Max());
    }

    [Fact]
    public void Short_merges_file_is_rejected()
    {
        var path = Path.GetTempFileName();
        try
        {
            File.WriteAllLines(path, ["#version: 0.2", "i n", "t h"]);
            Assert.Throws<InvalidDataException>(() => ClipVocabulary.Read(path));
        }
        finally
        {
            File.Delete(path);
        }
    }
}
