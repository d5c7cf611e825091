namespace Elite.Contracts.Generation;

/// <summary>
/// Everything that decides one image besides the concept: the same parameters give the same image, whatever job
/// or batch it runs in. An absent negative prompt is the empty string.
/// </summary>
public sealed record GenerationParameters(
    string Prompt,
    string NegativePrompt,
    long Seed,
    int Steps = GenerationDefaults.Steps,
    float Guidance = GenerationDefaults.Guidance,
    float Lambda = GenerationDefaults.Lambda,
    SchedulerKind Scheduler = GenerationDefaults.Scheduler);

/// <summary>ELITE's defaults: LMS (as the official code), 50 steps (ELITE used 100), guidance 5, λ 0.6 (the Gradio demo's).</summary>
public static class GenerationDefaults
{
    public const int Steps = 50;
    public const float Guidance = 5f;
    public const float Lambda = 0.6f;
    public const SchedulerKind Scheduler = SchedulerKind.Lms;
}
