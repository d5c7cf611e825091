using Elite.Contracts.Packs;
using Elite.Contracts.Text;
using Microsoft.ML.Tokenizers;

namespace Elite.Inference.Text;

/// <summary>
/// The CLIP ViT-L/14 tokenizer as SD v1.x uses it (max_length 77, truncation on, padded with EOS), on
/// Microsoft.ML.Tokenizers' byte-level BPE. Immutable after <see cref="Load"/> and safe for concurrent calls.
/// </summary>
/// <remarks>
/// The placeholder is located by token position, not by the official code's word position (spec §1.2): both agree when
/// every word before it is one token, and only the token rule is right after "close-up" or with "S," / "S.".
/// It counts where CLIP's pre-tokeniser makes it a word of its own, compared after normalisation (so "s" matches "S"):
/// "S," "(S)" "S's" "S-shaped" contain it, "Sam" and "Sks" do not.
/// </remarks>
public sealed class ClipTokenizer
{
    public const int VocabularySize = ClipVocabulary.EndOfTextId + 1;

    private readonly BpeTokenizer _bpe;
    private readonly PackTokenizer _settings;

    private ClipTokenizer(BpeTokenizer bpe, PackTokenizer settings)
    {
        _bpe = bpe;
        _settings = settings;
    }

    private int MaxPromptTokens => _settings.MaxLength - 2;

    /// <summary>The configured library tokenizer; encoding a whole text with it gives the same tokens as this class.</summary>
    internal BpeTokenizer Bpe => _bpe;

    /// <summary>Builds the tokenizer from CLIP's merges file (bpe_simple_vocab_16e6.txt) with a pack's settings (its manifest's tokenizer section).</summary>
    /// <exception cref="InvalidDataException">The settings' special token ids are not the vocabulary's.</exception>
    public static ClipTokenizer Load(string mergesPath, PackTokenizer settings)
    {
        if ((settings.Bos, settings.Eos) != (ClipVocabulary.StartOfTextId, ClipVocabulary.EndOfTextId))
            throw new InvalidDataException(
                $"the pack's tokenizer expects start/end ids {settings.Bos}/{settings.Eos}; CLIP's vocabulary has {ClipVocabulary.StartOfTextId}/{ClipVocabulary.EndOfTextId}.");
        var vocabulary = ClipVocabulary.Read(mergesPath);
        var options = new BpeOptions(vocabulary.Tokens)
        {
            Merges = vocabulary.Merges,
            SpecialTokens = ClipVocabulary.SpecialTokens,
            Normalizer = ClipNormalizer.Instance,
            PreTokenizer = new RegexPreTokenizer(ClipText.Words(), ClipVocabulary.SpecialTokens),
            EndOfWordSuffix = ClipVocabulary.EndOfWord,
            ByteLevel = true,
        };
        return new ClipTokenizer(BpeTokenizer.Create(options), settings);
    }

    /// <summary>Encodes a prompt that contains <paramref name="placeholder"/> exactly once, as a word of its own.</summary>
    /// <exception cref="PromptException">
    /// The placeholder is missing, appears more than once, lies beyond the 75 tokens kept, or is not a single-token word.
    /// </exception>
    public TokenizedPrompt Encode(string prompt, string placeholder = TokenLimits.Placeholder)
    {
        ArgumentNullException.ThrowIfNull(prompt);
        ArgumentNullException.ThrowIfNull(placeholder);

        var placeholderWord = PlaceholderWord(prompt, placeholder);
        var tokens = new List<int>();
        var index = 0;
        foreach (var (word, ids) in Words(prompt))
        {
            if (word == placeholderWord)
            {
                if (index > 0)
                    throw new PromptException(
                        $"The prompt \"{prompt}\" contains the placeholder \"{placeholder}\" more than once; it must appear exactly once.",
                        prompt, placeholder);
                index = tokens.Count + 1;
            }

            tokens.AddRange(ids);
        }

        if (index == 0)
            throw new PromptException(
                $"The prompt \"{prompt}\" does not contain the placeholder \"{placeholder}\" as a word of its own.",
                prompt, placeholder);
        if (index > MaxPromptTokens)
            throw new PromptException(
                $"The placeholder \"{placeholder}\" is token {index} of the prompt \"{prompt}\", which has {tokens.Count} tokens; " +
                $"CLIP keeps only the first {MaxPromptTokens}, so move the placeholder earlier or shorten the prompt.",
                prompt, placeholder);

        return new TokenizedPrompt(Pack(tokens), index, tokens.Count > MaxPromptTokens, tokens.Count);
    }

    /// <summary>Encodes a text with no placeholder (negative or unconditional prompts), truncated to 77 like CLIPTokenizer.</summary>
    public long[] EncodeWithoutPlaceholder(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        return Pack(Words(text).SelectMany(word => word.Ids).ToList());
    }

    private string PlaceholderWord(string prompt, string placeholder)
    {
        var words = Words(placeholder);
        if (words.Count != 1 || words[0].Ids.Count != 1)
            throw new PromptException(
                $"The placeholder \"{placeholder}\" must be one word that CLIP encodes as one token; it is {words.Count} word(s) " +
                $"and {words.Sum(word => word.Ids.Count)} token(s). Prompt: \"{prompt}\".",
                prompt, placeholder);
        return words[0].Text;
    }

    /// <summary>CLIP's words (normalised, pre-tokenised) with their BPE tokens; BPE never crosses a word boundary.</summary>
    private List<(string Text, IReadOnlyList<int> Ids)> Words(string text)
    {
        var normalized = ClipNormalizer.Instance.Normalize(text);
        return _bpe.PreTokenizer!.PreTokenize(normalized)
            .Select(split => normalized.Substring(split.Offset, split.Length))
            .Select(word => (word, _bpe.EncodeToIds(word, considerPreTokenization: false, considerNormalization: false)))
            .ToList();
    }

    private long[] Pack(List<int> tokens)
    {
        var ids = new long[_settings.MaxLength];
        Array.Fill(ids, _settings.Pad);
        ids[0] = _settings.Bos;
        var kept = Math.Min(tokens.Count, MaxPromptTokens);
        for (var i = 0; i < kept; i++) ids[i + 1] = tokens[i];
        if (kept + 1 < ids.Length) ids[kept + 1] = _settings.Eos;
        return ids;
    }
}
