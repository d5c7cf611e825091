using Elite.Contracts.Packs;
using Elite.Inference.Text;

namespace Elite.Inference.Tests.Text;

/// <summary>One tokenizer for all tests: loading 48,894 merges takes a moment.</summary>
public sealed class TokenizerFixture
{
    public ClipTokenizer Tokenizer { get; } = ClipTokenizer.Load(Assets.Path("bpe_simple_vocab_16e6.txt"), PackSettings.StableDiffusionV14.Tokenizer);
}
