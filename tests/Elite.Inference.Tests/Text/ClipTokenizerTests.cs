using Elite.Contracts.Packs;
using Elite.Inference.Text;

namespace Elite.Inference.Tests.Text;

/// <remarks>
/// Expected ids come from the merges file, not from this code. A merge on file line n (1-based, as `grep -n` prints it)
/// yields token id n + 510: 512 byte symbols come first and line 1 is the header. Example:
/// `grep -n '^c at</w>$' bpe_simple_vocab_16e6.txt` gives 1858, so "cat</w>" = 2368. A single printable ASCII character
/// c at the end of a word is id (c − 33) + 256: "s</w>" = 338, ","=267, "-"=268, "."=269, "&"=261, "("=263, ")"=264,
/// "2"=273, "4"=275, "a"=320. Every word below is a single merge result (its line is quoted), except "close-up".
/// </remarks>
public sealed class ClipTokenizerTests(TokenizerFixture fixture) : IClassFixture<TokenizerFixture>
{
    private const long Bos = 49406, Eos = 49407;

    // line 615 "pho to</w>", 29 "o f</w>", 1858 "c at</w>", 2150 "clo se</w>", 195 "u p</w>", 15 "o n</w>",
    // 8 "th e</w>", 1607 "be ach</w>", 1925 "to m</w>", 83 "wit h</w>", 13522 "app les</w>", 47626 "s ks</w>",
    // 9617 "shap ed</w>", 3220 "s am</w>", 27 "an d</w>", 58 "' s</w>", 5478 "to y</w>".
    private const long Photo = 1125, Of = 539, Cat = 2368, Close = 2660, Up = 705, On = 525, The = 518, Beach = 2117,
        Tom = 2435, With = 593, Apples = 14032, Sks = 48136, Shaped = 10127, Sam = 3730, And = 537, ApostropheS = 568, Toy = 5988;

    private const long A = 320, S = 338, Comma = 267, Hyphen = 268, Period = 269, Ampersand = 261, OpenParen = 263,
        CloseParen = 264, Two = 273, Four = 275;

    private readonly ClipTokenizer _tokenizer = fixture.Tokenizer;

    private static long[] Padded(params long[] tokens)
    {
        var ids = Enumerable.Repeat(Eos, 77).ToArray();
        ids[0] = Bos;
        tokens.CopyTo(ids, 1);
        return ids;
    }

    [Fact]
    public void Curly_quotes_give_the_ids_of_straight_ones_as_ftfy_straightens_them()
    {
        var curly = fixture.Tokenizer.Encode("S’s dog isn’t “here” ‘now’");
        var straight = fixture.Tokenizer.Encode("S's dog isn't \"here\" 'now'");

        Assert.Equal(straight.Ids, curly.Ids);
        Assert.Equal(1, curly.PlaceholderIndex);
    }

    [Fact]
    public void Plain_prompt_matches_the_reference_ids()
    {
        Assert.Equal(Padded(A, Photo, Of, A, Cat), _tokenizer.EncodeWithoutPlaceholder("a photo of a cat"));
    }

    [Fact]
    public void Spec_example_has_the_placeholder_at_5()
    {
        var result = _tokenizer.Encode("a photo of a S");

        Assert.Equal(Padded(A, Photo, Of, A, S), result.Ids);
        Assert.Equal([Bos, 320, 1125, 539, 320, 338, Eos], result.Ids[..7]);
        Assert.Equal(5, result.PlaceholderIndex);
        Assert.False(result.Truncated);
        Assert.Equal(5, result.PromptTokens);
    }

    [Fact]
    public void Close_up_is_three_tokens_so_the_index_is_by_token_not_by_word()
    {
        var result = _tokenizer.Encode("close-up of S");

        Assert.Equal(Padded(Close, Hyphen, Up, Of, S), result.Ids);
        // The official word rule would give 3 ("close-up", "of", "S"); the S token is at 5.
        Assert.Equal(5, result.PlaceholderIndex);
        Assert.Equal(S, result.Ids[result.PlaceholderIndex]);
    }

    [Fact]
    public void Placeholder_followed_by_a_comma_is_found()
    {
        var result = _tokenizer.Encode("S, on the beach");

        Assert.Equal(Padded(S, Comma, On, The, Beach), result.Ids);
        Assert.Equal(1, result.PlaceholderIndex);
    }

    [Fact]
    public void Placeholder_followed_by_a_period_is_found()
    {
        var result = _tokenizer.Encode("a photo of S.");

        Assert.Equal(Padded(A, Photo, Of, S, Period), result.Ids);
        Assert.Equal(4, result.PlaceholderIndex);
    }

    [Fact]
    public void Placeholder_in_parentheses_is_found()
    {
        var result = _tokenizer.Encode("(S)");

        Assert.Equal(Padded(OpenParen, S, CloseParen), result.Ids);
        Assert.Equal(2, result.PlaceholderIndex);
    }

    [Fact]
    public void Missing_placeholder_throws_naming_prompt_and_placeholder()
    {
        var error = Assert.Throws<PromptException>(() => _tokenizer.Encode("a photo of a cat"));

        Assert.Contains("a photo of a cat", error.Message);
        Assert.Contains("\"S\"", error.Message);
        Assert.Equal("a photo of a cat", error.Prompt);
        Assert.Equal("S", error.Placeholder);
    }

    [Fact]
    public void Duplicate_placeholder_throws()
    {
        var error = Assert.Throws<PromptException>(() => _tokenizer.Encode("S and S"));

        Assert.Contains("more than once", error.Message);
        Assert.Contains("S and S", error.Message);
    }

    [Fact]
    public void Placeholder_is_case_insensitive_so_a_lower_case_s_also_counts()
    {
        Assert.Throws<PromptException>(() => _tokenizer.Encode("a S and an s"));
        Assert.Equal(4, _tokenizer.Encode("a photo of s").PlaceholderIndex);
    }

    [Fact]
    public void Placeholder_inside_a_longer_word_does_not_count()
    {
        var result = _tokenizer.Encode("Sam and S");

        Assert.Equal(Padded(Sam, And, S), result.Ids);
        Assert.Equal(3, result.PlaceholderIndex);
        Assert.Throws<PromptException>(() => _tokenizer.Encode("Sam and Tom"));
    }

    [Fact]
    public void Hyphenated_placeholder_counts_because_the_pre_tokenizer_splits_it()
    {
        var result = _tokenizer.Encode("S-shaped");

        Assert.Equal(Padded(S, Hyphen, Shaped), result.Ids);
        Assert.Equal(1, result.PlaceholderIndex);
        Assert.Throws<PromptException>(() => _tokenizer.Encode("a S-shaped S"));
    }

    [Fact]
    public void Possessive_s_is_its_own_word_and_not_the_placeholder()
    {
        var result = _tokenizer.Encode("cat's toy S");

        Assert.Equal(Padded(Cat, ApostropheS, Toy, S), result.Ids);
        Assert.Equal(4, result.PlaceholderIndex);
    }

    [Fact]
    public void Long_prompt_is_truncated_to_75_tokens_with_eos_last()
    {
        var prompt = "S " + string.Join(' ', Enumerable.Repeat("cat", 99));

        var result = _tokenizer.Encode(prompt);

        Assert.True(result.Truncated);
        Assert.Equal(100, result.PromptTokens);
        Assert.Equal(1, result.PlaceholderIndex);
        Assert.Equal(77, result.Ids.Length);
        Assert.Equal(Bos, result.Ids[0]);
        Assert.Equal(S, result.Ids[1]);
        Assert.All(result.Ids[2..76], id => Assert.Equal(Cat, id));
        Assert.Equal(Eos, result.Ids[76]);
    }

    [Fact]
    public void Placeholder_at_the_last_kept_position_is_accepted()
    {
        var exact = _tokenizer.Encode(string.Join(' ', Enumerable.Repeat("cat", 74)) + " S");
        Assert.Equal(75, exact.PlaceholderIndex);
        Assert.False(exact.Truncated);
        Assert.Equal(S, exact.Ids[75]);
        Assert.Equal(Eos, exact.Ids[76]);

        var longer = _tokenizer.Encode(string.Join(' ', Enumerable.Repeat("cat", 74)) + " S cat");
        Assert.Equal(75, longer.PlaceholderIndex);
        Assert.True(longer.Truncated);
        Assert.Equal(76, longer.PromptTokens);
    }

    [Fact]
    public void Placeholder_beyond_the_truncation_point_throws()
    {
        var prompt = string.Join(' ', Enumerable.Repeat("cat", 75)) + " S";

        var error = Assert.Throws<PromptException>(() => _tokenizer.Encode(prompt));

        Assert.Contains("token 76", error.Message);
    }

    [Fact]
    public void Html_entities_are_unescaped_twice()
    {
        Assert.Equal(Padded(Tom, Ampersand, S), _tokenizer.Encode("Tom &amp; S").Ids);
        Assert.Equal(Padded(Tom, Ampersand, S), _tokenizer.Encode("Tom &amp;amp; S").Ids);
    }

    [Fact]
    public void Whitespace_is_collapsed_and_trimmed()
    {
        var result = _tokenizer.Encode("  a\tphoto \n\n of   a  S  ");

        Assert.Equal(_tokenizer.Encode("a photo of a S").Ids, result.Ids);
        Assert.Equal(5, result.PlaceholderIndex);
    }

    [Fact]
    public void Upper_case_is_lowered()
    {
        Assert.Equal(_tokenizer.Encode("a photo of a S").Ids, _tokenizer.Encode("A PHOTO OF A S").Ids);
    }

    [Fact]
    public void Digits_are_split_one_token_each()
    {
        var result = _tokenizer.Encode("S with 42 apples");

        Assert.Equal(Padded(S, With, Four, Two, Apples), result.Ids);
        Assert.Equal(1, result.PlaceholderIndex);
    }

    [Fact]
    public void Other_single_token_placeholders_work()
    {
        var result = _tokenizer.Encode("a photo of sks", "sks");

        Assert.Equal(Padded(A, Photo, Of, Sks), result.Ids);
        Assert.Equal(4, result.PlaceholderIndex);
        Assert.Equal(4, _tokenizer.Encode("a photo of SKS", "sks").PlaceholderIndex);
        Assert.Throws<PromptException>(() => _tokenizer.Encode("a photo of S", "sks"));
    }

    [Theory]
    [InlineData("")]
    [InlineData("two words")]
    [InlineData("S,")]
    [InlineData("42")]
    public void Placeholder_must_be_one_single_token_word(string placeholder)
    {
        var error = Assert.Throws<PromptException>(() => _tokenizer.Encode("a photo of S", placeholder));

        Assert.Contains("one token", error.Message);
    }

    [Fact]
    public void Empty_text_is_bos_eos_and_75_pads()
    {
        var ids = _tokenizer.EncodeWithoutPlaceholder("");

        Assert.Equal(77, ids.Length);
        Assert.Equal(Bos, ids[0]);
        Assert.All(ids[1..], id => Assert.Equal(Eos, id));
        Assert.Equal(ids, _tokenizer.EncodeWithoutPlaceholder("   "));
    }

    [Fact]
    public void Text_without_placeholder_is_truncated_like_clip()
    {
        var ids = _tokenizer.EncodeWithoutPlaceholder(string.Join(' ', Enumerable.Repeat("cat", 100)));

        Assert.Equal(Bos, ids[0]);
        Assert.All(ids[1..76], id => Assert.Equal(Cat, id));
        Assert.Equal(Eos, ids[76]);
    }

    [Fact]
    public void Lone_surrogates_do_not_break_encoding()
    {
        var result = _tokenizer.Encode("a photo of S \uD800");

        Assert.Equal(4, result.PlaceholderIndex);
        Assert.Equal(5, result.PromptTokens);
    }

    [Theory]
    [InlineData("a photo of a cat")]
    [InlineData("close-up of S, on the beach.")]
    [InlineData("Tom &amp; S with 42 apples!!")]
    [InlineData("  A   PHOTO\tof S's toy (S-shaped)  ")]
    [InlineData("café naïve 東京 🐱 S")]
    [InlineData("<|startoftext|>a cat<|endoftext|>")]
    public void Word_by_word_encoding_equals_the_library_encoding_of_the_whole_text(string text)
    {
        var whole = fixture.Tokenizer.Bpe.EncodeToIds(text).Select(id => (long)id).ToList();
        var ids = _tokenizer.EncodeWithoutPlaceholder(text);

        Assert.Equal(whole, ids.Skip(1).Take(whole.Count));
        Assert.Equal(Eos, ids[whole.Count + 1]);
    }

    [Fact]
    public void Library_tokenizer_has_clip_vocabulary_and_specials()
    {
        var bpe = fixture.Tokenizer.Bpe;

        Assert.Equal(49408, ClipTokenizer.VocabularySize);
        Assert.Equal(49408 - 2, bpe.Vocabulary.Count);
        Assert.Equal(49406, bpe.SpecialTokens!["<|startoftext|>"]);
        Assert.Equal(49407, bpe.SpecialTokens["<|endoftext|>"]);
        Assert.True(bpe.ByteLevel);
        Assert.Equal("</w>", bpe.EndOfWordSuffix);
    }

    [Fact]
    public void Concurrent_encodes_give_the_sequential_results()
    {
        string[] prompts =
        [
            "a photo of a S", "close-up of S", "S, on the beach", "a photo of S.", "Tom &amp; S",
            "S with 42 apples", "a rendering of a S in the jungle", "S on top of pink fabric",
        ];
        var expected = prompts.Select(prompt => _tokenizer.Encode(prompt)).ToArray();
        var fresh = ClipTokenizer.Load(Assets.Path("bpe_simple_vocab_16e6.txt"), PackSettings.StableDiffusionV14.Tokenizer);

        Parallel.For(0, 4000, new ParallelOptions { MaxDegreeOfParallelism = 8 }, i =>
        {
            var actual = fresh.Encode(prompts[i % prompts.Length]);
            Assert.Equal(expected[i % prompts.Length].Ids, actual.Ids);
            Assert.Equal(expected[i % prompts.Length].PlaceholderIndex, actual.PlaceholderIndex);
        });
    }
}
