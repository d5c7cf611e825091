namespace Elite.Inference.Text;

/// <summary>A prompt encoded for the CLIP text encoder.</summary>
/// <param name="Ids">77 ids: BOS (49406), the prompt's tokens, EOS (49407), then EOS as padding.</param>
/// <param name="PlaceholderIndex">
/// Position in <paramref name="Ids"/> of the placeholder's token (1..75): where the concept's word embedding is
/// injected, and the cross-attention column that gates the local branch.
/// </param>
/// <param name="Truncated">The prompt had more than 75 tokens and its tail was dropped.</param>
/// <param name="PromptTokens">How many tokens the prompt had before truncation (BOS and EOS not counted).</param>
public sealed record TokenizedPrompt(long[] Ids, int PlaceholderIndex, bool Truncated, int PromptTokens);
