namespace Elite.Inference.Sampling;

/// <summary>
/// Euler ancestral ("Euler a"), as diffusers' EulerAncestralDiscreteScheduler with linspace timesteps: an Euler step
/// down to σ_down, then fresh noise of σ_up, where σ_up² = σ_next²(σ² − σ_next²)/σ² and σ_down² = σ_next² − σ_up².
/// </summary>
public sealed class EulerAncestralScheduler : SigmaScheduler
{
    private float[] _fresh = [];

    internal EulerAncestralScheduler(SigmaSchedule schedule)
        : base(schedule)
    {
    }

    /// <remarks>Draws sample.Length values from <paramref name="noise"/> at every step, the last one included.</remarks>
    public override void Step(int step, ReadOnlySpan<float> modelOutput, Span<float> sample, GaussianNoise? noise)
    {
        ArgumentNullException.ThrowIfNull(noise);
        _counter.Advance(step, modelOutput, sample);

        double sigma = _sigmas[step], next = _sigmas[step + 1];
        var up = Math.Sqrt(next * next * (sigma * sigma - next * next) / (sigma * sigma));
        var down = Math.Sqrt(next * next - up * up);

        if (_fresh.Length != sample.Length) _fresh = new float[sample.Length];
        noise.Fill(_fresh);
        for (var i = 0; i < sample.Length; i++)
            sample[i] = (float)(sample[i] + modelOutput[i] * (down - sigma) + _fresh[i] * up);
    }
}
