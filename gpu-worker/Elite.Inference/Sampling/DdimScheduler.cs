namespace Elite.Inference.Sampling;

/// <summary>
/// DDIM with η = 0 (deterministic), as diffusers' DDIMScheduler under SD v1.4's scheduler config.
/// </summary>
/// <remarks>
/// Timesteps are "leading" with steps_offset 1: ratio = 1000 / n (integer division), t_i = (n − 1 − i)·ratio + 1, so
/// 50 steps run 981, 961, …, 1. The step from t goes to t − ratio; below 0 it uses ᾱ_0 (set_alpha_to_one is false),
/// so the result keeps a trace of noise of scale sqrt(1 − ᾱ_0) ≈ 0.029, as in diffusers.
/// </remarks>
public sealed class DdimScheduler : IScheduler
{
    private readonly TrainingSchedule _training;
    private readonly int[] _timesteps;
    private readonly int _ratio;
    private readonly StepCounter _counter;

    internal DdimScheduler(TrainingSchedule training, int steps)
    {
        if (steps >= TrainingSchedule.Steps)
            throw new ArgumentOutOfRangeException(nameof(steps), steps, "DDIM's leading spacing with offset 1 needs fewer than 1000 steps.");
        _training = training;
        _ratio = TrainingSchedule.Steps / steps;
        _timesteps = [.. Enumerable.Range(0, steps).Reverse().Select(i => i * _ratio + 1)];
        _counter = new StepCounter(steps);
        Timesteps = [.. _timesteps.Select(t => (float)t)];
    }

    public IReadOnlyList<float> Timesteps { get; }

    public float InitNoiseSigma => 1f;

    public float ScaleModelInput(int step) => 1f;

    public void Step(int step, ReadOnlySpan<float> modelOutput, Span<float> sample, GaussianNoise? noise)
    {
        _counter.Advance(step, modelOutput, sample);

        var t = _timesteps[step];
        var previous = t - _ratio;
        double alpha = _training.AlphasCumprod[t];
        double alphaPrevious = _training.AlphasCumprod[Math.Max(previous, 0)];

        // x₀ = (x − sqrt(1 − ᾱ_t)·ε)/sqrt(ᾱ_t); x ← sqrt(ᾱ_prev)·x₀ + sqrt(1 − ᾱ_prev)·ε, folded into two factors.
        double sampleFactor = Math.Sqrt(alphaPrevious / alpha);
        double noiseFactor = Math.Sqrt(1 - alphaPrevious) - sampleFactor * Math.Sqrt(1 - alpha);
        for (var i = 0; i < sample.Length; i++)
            sample[i] = (float)(sampleFactor * sample[i] + noiseFactor * modelOutput[i]);
    }
}
