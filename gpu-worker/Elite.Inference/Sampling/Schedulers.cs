namespace Elite.Inference.Sampling;

/// <summary>Creates schedulers by name with SD v1.4's training schedule.</summary>
public static class Schedulers
{
    public const string Lms = "lms";
    public const string Ddim = "ddim";
    public const string EulerAncestral = "euler_a";
    public const string DpmPlusPlus2M = "dpmpp_2m";

    public static IReadOnlyList<string> Names { get; } = [Lms, Ddim, EulerAncestral, DpmPlusPlus2M];

    /// <summary>A new scheduler (one per image) for <paramref name="steps"/> steps.</summary>
    /// <param name="karras">Karras σ (ρ = 7) instead of linspace timesteps; for lms, euler_a and dpmpp_2m only.</param>
    public static IScheduler Create(string name, int steps, bool karras = false)
    {
        ArgumentNullException.ThrowIfNull(name);
        ArgumentOutOfRangeException.ThrowIfLessThan(steps, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(steps, TrainingSchedule.Steps);

        var training = TrainingSchedule.StableDiffusionV14;
        SigmaSchedule Fractional() =>
            karras ? SigmaSchedule.Karras(training, steps, roundTimesteps: false) : SigmaSchedule.Linspace(training, steps);
        SigmaSchedule Integer() =>
            karras ? SigmaSchedule.Karras(training, steps, roundTimesteps: true) : SigmaSchedule.Rounded(training, steps);

        return name switch
        {
            Lms => new LmsScheduler(Fractional()),
            EulerAncestral => new EulerAncestralScheduler(Fractional()),
            DpmPlusPlus2M => new DpmSolverMultistepScheduler(Integer()),
            Ddim when karras => throw new ArgumentException("DDIM has no Karras σ variant.", nameof(karras)),
            Ddim => new DdimScheduler(training, steps),
            _ => throw new ArgumentException($"Unknown scheduler \"{name}\"; known: {string.Join(", ", Names)}.", nameof(name)),
        };
    }
}
