using System.Net;
using System.Text;
using System.Text.RegularExpressions;
using Microsoft.ML.Tokenizers;

namespace Elite.Inference.Text;

/// <summary>
/// CLIP's text cleaning (basic_clean, whitespace_clean, lower): html-unescape twice, NFC, collapse whitespace, trim, lower-case.
/// ftfy's mojibake repair is not reproduced.
/// </summary>
internal sealed partial class ClipNormalizer : Normalizer
{
    public static ClipNormalizer Instance { get; } = new();

    public override string Normalize(string original)
    {
        var text = WebUtility.HtmlDecode(WebUtility.HtmlDecode(original));
        // A round trip through UTF-8 turns lone surrogates into U+FFFD; string.Normalize would throw on them.
        text = Encoding.UTF8.GetString(Encoding.UTF8.GetBytes(text)).Normalize(NormalizationForm.FormC);
        return Whitespace().Replace(text, " ").Trim().ToLowerInvariant();
    }

    public override string Normalize(ReadOnlySpan<char> original) => Normalize(original.ToString());

    [GeneratedRegex(@"\s+")]
    private static partial Regex Whitespace();
}
