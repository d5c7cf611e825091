namespace Elite.Inference.Sampling;

/// <summary>
/// DPM-Solver++ 2M, as diffusers' DPMSolverMultistepScheduler (dpmsolver++, order 2, midpoint, final σ zero).
/// </summary>
/// <remarks>
/// Works on the unscaled latents (InitNoiseSigma 1, no input scaling) with α = 1/sqrt(σ²+1), σ' = σα and λ = −ln σ.
/// From the data prediction D = (x − σ'ε)/α: the first step and the last are first order,
/// x ← (σ'_next/σ')·x − α_next(e^(−h) − 1)·D; the others add the multistep correction ½·(D − D_prev)·h/h_prev.
/// The last step lands on σ = 0, where the first-order update is exactly x ← D (diffusers' lower_order_final).
/// Timesteps without Karras σ: round(linspace(0, 999, n + 1)) reversed, without the final 0.
/// </remarks>
public sealed class DpmSolverMultistepScheduler : SigmaScheduler
{
    private float[]? _previousPrediction;

    internal DpmSolverMultistepScheduler(SigmaSchedule schedule)
        : base(schedule)
    {
    }

    public override float InitNoiseSigma => 1f;

    public override float ScaleModelInput(int step) => 1f;

    public override void Step(int step, ReadOnlySpan<float> modelOutput, Span<float> sample, GaussianNoise? noise)
    {
        _counter.Advance(step, modelOutput, sample);

        double sigma = _sigmas[step], next = _sigmas[step + 1];
        double alpha = Alpha(sigma), alphaNext = Alpha(next);
        double h = Lambda(next) - Lambda(sigma);
        // sample ← sampleFactor·x + predictionFactor·(D + correction·(D − D_prev)); at σ_next = 0 this is x ← D.
        var sampleFactor = next * alphaNext / (sigma * alpha);
        var predictionFactor = -alphaNext * (Math.Exp(-h) - 1);
        var secondOrder = _previousPrediction is not null && step < _timesteps.Length - 1;
        var correction = secondOrder ? 0.5 * h / (Lambda(sigma) - Lambda(_sigmas[step - 1])) : 0;

        var prediction = new float[sample.Length];
        for (var i = 0; i < sample.Length; i++)
        {
            var d = (sample[i] - sigma * alpha * modelOutput[i]) / alpha;
            prediction[i] = (float)d;
            var combined = secondOrder ? d + correction * (d - _previousPrediction![i]) : d;
            sample[i] = (float)(sampleFactor * sample[i] + predictionFactor * combined);
        }

        _previousPrediction = prediction;
    }

    private static double Alpha(double sigma) => 1 / Math.Sqrt(sigma * sigma + 1);

    private static double Lambda(double sigma) => -Math.Log(sigma);
}
