namespace Elite.Contracts.Text;

/// <summary>CLIP's context as SD v1.x uses it, and ELITE's placeholder word.</summary>
public static class TokenLimits
{
    /// <summary>Token positions of the text encoder: start, 75 content tokens, end (or padding).</summary>
    public const int ContextLength = 77;

    /// <summary>The tokens of a prompt that are kept; the rest is truncated, and the task says so.</summary>
    public const int MaxPromptTokens = ContextLength - 2;

    /// <summary>The word that stands for the concept in a prompt.</summary>
    public const string Placeholder = "S";

    /// <summary>The task's warning for a prompt cut to <see cref="MaxPromptTokens"/>.</summary>
    public static string TruncationWarning { get; } = $"the prompt was longer than {MaxPromptTokens} tokens and was truncated";
}
