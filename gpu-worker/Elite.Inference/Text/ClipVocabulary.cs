namespace Elite.Inference.Text;

/// <summary>
/// CLIP's vocabulary, rebuilt from the merges file as openai/CLIP's SimpleTokenizer does: the 256 byte symbols, the same
/// with the end-of-word mark, one token per merge (lines 1..48894; line 0 is a header), then the two specials.
/// </summary>
internal sealed class ClipVocabulary
{
    public const string EndOfWord = "</w>";
    public const int MergeCount = 48894;
    public const int StartOfTextId = 2 * 256 + MergeCount;
    public const int EndOfTextId = StartOfTextId + 1;
    public const string StartOfText = "<|startoftext|>";
    public const string EndOfText = "<|endoftext|>";

    private ClipVocabulary(Dictionary<string, int> tokens, List<string> merges)
    {
        Tokens = tokens;
        Merges = merges;
    }

    /// <summary>Token string to id, without the two specials.</summary>
    public IReadOnlyDictionary<string, int> Tokens { get; }

    /// <summary>Merges as "left right", in rank order.</summary>
    public IReadOnlyList<string> Merges { get; }

    public static IReadOnlyDictionary<string, int> SpecialTokens { get; } =
        new Dictionary<string, int> { [StartOfText] = StartOfTextId, [EndOfText] = EndOfTextId };

    public static ClipVocabulary Read(string mergesPath)
    {
        var merges = File.ReadLines(mergesPath).Skip(1).Take(MergeCount).ToList();
        if (merges.Count != MergeCount)
            throw new InvalidDataException($"{mergesPath} has {merges.Count} merges after its header; CLIP needs {MergeCount}.");

        var tokens = new Dictionary<string, int>(EndOfTextId + 1, StringComparer.Ordinal);
        var symbols = ByteSymbols();
        foreach (var symbol in symbols) tokens.Add(symbol.ToString(), tokens.Count);
        foreach (var symbol in symbols) tokens.Add(symbol + EndOfWord, tokens.Count);
        foreach (var merge in merges)
        {
            var parts = merge.Split(' ');
            if (parts.Length != 2) throw new InvalidDataException($"{mergesPath}: '{merge}' is not a merge of two symbols.");
            tokens.Add(parts[0] + parts[1], tokens.Count);
        }

        return new ClipVocabulary(tokens, merges);
    }

    /// <summary>
    /// GPT-2's byte-to-symbol table (bytes_to_unicode) in CLIP's id order: the printable bytes '!'..'~', '¡'..'¬',
    /// '®'..'ÿ' stand for themselves, then the 68 others (space, controls, ...) map to U+0100 onwards in byte order.
    /// </summary>
    public static char[] ByteSymbols()
    {
        static bool Printable(int b) => b is >= '!' and <= '~' or >= '¡' and <= '¬' or >= '®' and <= 'ÿ';

        var symbols = new List<char>(256);
        for (var b = 0; b < 256; b++)
            if (Printable(b)) symbols.Add((char)b);
        var next = 256;
        for (var b = 0; b < 256; b++)
            if (!Printable(b)) symbols.Add((char)next++);
        return [.. symbols];
    }
}
