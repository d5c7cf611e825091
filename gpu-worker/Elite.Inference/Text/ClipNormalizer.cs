using Elite.Contracts.Text;
using Microsoft.ML.Tokenizers;

namespace Elite.Inference.Text;

/// <summary>CLIP's text cleaning (<see cref="ClipText.Clean"/>) as the library tokenizer's normaliser.</summary>
internal sealed class ClipNormalizer : Normalizer
{
    public static ClipNormalizer Instance { get; } = new();

    public override string Normalize(string original) => ClipText.Clean(original);

    public override string Normalize(ReadOnlySpan<char> original) => Normalize(original.ToString());
}
