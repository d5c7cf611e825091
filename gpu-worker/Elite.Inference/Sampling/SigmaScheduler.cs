namespace Elite.Inference.Sampling;

/// <summary>
/// What the σ-based schedulers (LMS, Euler ancestral, DPM-Solver++ 2M) share: their σ schedule, the UNet
/// timesteps, the step-order check, and by default the Karras-style input scaling 1/sqrt(σ²+1) with
/// initial noise σ_max.
/// </summary>
public abstract class SigmaScheduler : IScheduler
{
    private protected readonly float[] _timesteps;
    private protected readonly float[] _sigmas;
    private protected readonly StepCounter _counter;

    private protected SigmaScheduler(SigmaSchedule schedule)
    {
        _timesteps = schedule.Timesteps;
        _sigmas = schedule.Sigmas;
        _counter = new StepCounter(_timesteps.Length);
    }

    public IReadOnlyList<float> Timesteps => _timesteps;

    /// <summary>σ for each step, then the final 0.</summary>
    public IReadOnlyList<float> Sigmas => _sigmas;

    public virtual float InitNoiseSigma => _sigmas[0];

    public virtual float ScaleModelInput(int step) => SigmaScaling.InputScale(_sigmas[step]);

    public abstract void Step(int step, ReadOnlySpan<float> modelOutput, Span<float> sample, GaussianNoise? noise);
}
