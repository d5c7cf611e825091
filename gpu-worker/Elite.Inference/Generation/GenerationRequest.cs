using Elite.Contracts.Generation;
using Elite.Inference.Concepts;
using Elite.Inference.Text;

namespace Elite.Inference.Generation;

/// <summary>One image to generate: a concept, a prompt with its placeholder, a negative prompt, a seed, guidance and λ.</summary>
public sealed record GenerationRequest(
    ConceptEmbedding Concept,
    TokenizedPrompt Prompt,
    long[] NegativeIds,
    long Seed,
    float Guidance = GenerationDefaults.Guidance,
    float Lambda = GenerationDefaults.Lambda);

/// <summary>What the images of one batch share: the number of steps and the scheduler.</summary>
public sealed record GenerationSettings(int Steps = GenerationDefaults.Steps, SchedulerKind Scheduler = GenerationDefaults.Scheduler, bool KarrasSigmas = false);

/// <summary>Reported after every denoising step.</summary>
public sealed record GenerationProgress(int Step, int Steps, double StepsPerSecond);

/// <summary>Where a batch's wall time went; everything but the three graph runs is the runtime's own work.</summary>
public sealed record StageTimings(TimeSpan TextEncoder, TimeSpan UNet, TimeSpan VaeDecoder, TimeSpan Total)
{
    public TimeSpan OutsideOnnxRuntime => Total - TextEncoder - UNet - VaeDecoder;

    public double OutsideShare => Total > TimeSpan.Zero ? OutsideOnnxRuntime / Total : 0;
}
