using System.Net;
using System.Text;
using System.Text.RegularExpressions;

namespace Elite.Contracts.Text;

/// <summary>
/// CLIP's text rules that need no vocabulary, shared by the tokenizer and the job intake: the cleaning
/// (basic_clean, whitespace_clean, lower), the pre-tokeniser's words, and the placeholder rule built on them.
/// </summary>
public static partial class ClipText
{
    /// <summary>
    /// html-unescape twice, NFC, straight quotes for curly ones (ftfy's uncurl_quotes, which CLIP's fix_text applies),
    /// collapse whitespace, trim, lower-case. ftfy's mojibake repair is not reproduced.
    /// </summary>
    public static string Clean(string original)
    {
        var text = WebUtility.HtmlDecode(WebUtility.HtmlDecode(original));
        // A round trip through UTF-8 turns lone surrogates into U+FFFD; string.Normalize would throw on them.
        text = Encoding.UTF8.GetString(Encoding.UTF8.GetBytes(text)).Normalize(NormalizationForm.FormC);
        text = SingleQuotes().Replace(DoubleQuotes().Replace(text, "\""), "'");
        return Whitespace().Replace(text, " ").Trim().ToLowerInvariant();
    }

    /// <summary>How often <paramref name="placeholder"/> stands in <paramref name="prompt"/> as a word of its own, after cleaning.</summary>
    /// <remarks>"S," "(S)" "S's" "S-shaped" contain it, "Sam", "Sks" and the "'s" of "dog's" do not.</remarks>
    public static int PlaceholderCount(string prompt, string placeholder = TokenLimits.Placeholder)
    {
        var word = Clean(placeholder);
        return Words().Matches(Clean(prompt)).Count(match => match.Value == word);
    }

    /// <summary>CLIP's pre-tokenisation pattern; digits are split one by one.</summary>
    [GeneratedRegex(@"<\|startoftext\|>|<\|endoftext\|>|'s|'t|'re|'ve|'m|'ll|'d|\p{L}+|\p{N}|[^\s\p{L}\p{N}]+",
        RegexOptions.IgnoreCase | RegexOptions.CultureInvariant)]
    public static partial Regex Words();

    [GeneratedRegex(@"\s+")]
    private static partial Regex Whitespace();

    [GeneratedRegex("[\u2018\u2019\u201A\u201B\u2032]")]
    private static partial Regex SingleQuotes();

    [GeneratedRegex("[\u201C\u201D\u201E\u201F\u2033]")]
    private static partial Regex DoubleQuotes();
}
