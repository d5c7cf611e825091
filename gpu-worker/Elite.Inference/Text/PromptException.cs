namespace Elite.Inference.Text;

/// <summary>A prompt that cannot be used with its placeholder: the placeholder is missing, repeated, truncated away, or not one token.</summary>
public sealed class PromptException(string message, string prompt, string placeholder) : Exception(message)
{
    public string Prompt { get; } = prompt;

    public string Placeholder { get; } = placeholder;
}
