using Elite.Contracts.Generation;
using Elite.Contracts.Text;

namespace Elite.Contracts.Packs;

/// <summary>The runtime settings a pack's manifest records: what the tokenizer, the preprocessing and the sampler read.</summary>
public sealed record PackSettings(PackTokenizer Tokenizer, PackNormalization Normalization, PackScheduler Scheduler)
{
    /// <summary>
    /// Stable Diffusion v1.4 with CLIP ViT-L/14: CLIP's BPE ids, CLIP's pixel mean and std, SD's latent scale,
    /// its scaled_linear training schedule, and ELITE's generation defaults.
    /// </summary>
    public static PackSettings StableDiffusionV14 { get; } = new(
        new PackTokenizer("bpe_simple_vocab_16e6.txt", Bos: 49406, Eos: 49407, Pad: 49407, MaxLength: TokenLimits.ContextLength),
        // torchvision turns the Python (double) mean/std into float32 tensors: a double → float cast, not a float literal.
        new PackNormalization(
            [(float)0.48145466, (float)0.4578275, (float)0.40821073],
            [(float)0.26862954, (float)0.26130258, (float)0.27577711],
            VaeScale: 0.18215f),
        new PackScheduler(
            GenerationDefaults.Scheduler, BetaStart: 0.00085, BetaEnd: 0.012, BetaSchedule: "scaled_linear", TrainTimesteps: 1000,
            GenerationDefaults.Steps, GenerationDefaults.Guidance, GenerationDefaults.Lambda));
}

/// <summary>The presets a pack can be built from, by name, with the runtime settings each implies.</summary>
public static class PackPresets
{
    /// <summary>The real model's graphs at small widths, random weights: tests and the demo.</summary>
    public const string Tiny = "tiny";

    /// <summary>The real sizes: SD v1.4, CLIP ViT-L/14 and ELITE's mappers.</summary>
    public const string Sd14Elite = "sd14-elite";

    private static readonly Dictionary<string, PackSettings> Settings = new(StringComparer.Ordinal)
    {
        [Tiny] = PackSettings.StableDiffusionV14,
        [Sd14Elite] = PackSettings.StableDiffusionV14,
    };

    public static IReadOnlyList<string> Names { get; } = [.. Settings.Keys];

    /// <exception cref="ArgumentException">No preset has that name.</exception>
    public static PackSettings SettingsOf(string preset) =>
        TryGetSettings(preset, out var settings) ? settings : throw new ArgumentException($"unknown preset '{preset}'; known: {string.Join(", ", Names)}", nameof(preset));

    public static bool TryGetSettings(string preset, out PackSettings settings) => Settings.TryGetValue(preset, out settings!);
}
