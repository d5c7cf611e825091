namespace Elite.Inference.Concepts;

/// <summary>
/// A concept encoded once by ELITE: the five words of the global mapper (w0, the concept word, is the
/// one injected at generation), and the 256 local patch embeddings of the masked object.
/// </summary>
public sealed record ConceptEmbedding(string PackId, int Width, float[] Words, float[] LocalEmbeds, string MaskSource)
{
    public const int WordCount = 5;
    public const int LocalTokens = 256;

    /// <summary>w0, the concept word injected in place of the placeholder.</summary>
    public ReadOnlySpan<float> ConceptWord => Words.AsSpan(0, Width);
}
