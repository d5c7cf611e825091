using Elite.Contracts.Packs;

namespace Elite.Inference.Sampling;

/// <summary>
/// SD v1.4's training noise schedule: 1000 steps, scaled_linear betas from 0.00085 to 0.012, epsilon prediction.
/// Computed in float32 as diffusers does: betas = float32(linspace(√β₀, √β₁, 1000))², ᾱ = sequential float32 cumprod
/// of 1 − β, σ = sqrt((1 − ᾱ)/ᾱ). This reproduces the spec's LMS fixtures digit for digit (torch's CPU cumprod may
/// accumulate in double instead, which moves σ by about 5e-7 relative). A pack's manifest names its schedule
/// (<see cref="From"/>); only the scaled_linear form over 1000 steps, SD's, is implemented.
/// </summary>
public sealed class TrainingSchedule
{
    public const int Steps = 1000;

    private TrainingSchedule(double betaStart, double betaEnd)
    {
        var alphasCumprod = new float[Steps];
        var sigmas = new float[Steps];
        double start = Math.Sqrt(betaStart), step = (Math.Sqrt(betaEnd) - start) / (Steps - 1);
        var product = 1f;
        for (var t = 0; t < Steps; t++)
        {
            var root = (float)(t == Steps - 1 ? Math.Sqrt(betaEnd) : t * step + start);
            product *= 1f - root * root;
            alphasCumprod[t] = product;
            sigmas[t] = MathF.Sqrt((1f - product) / product);
        }

        AlphasCumprod = alphasCumprod;
        Sigmas = sigmas;
    }

    public static TrainingSchedule StableDiffusionV14 { get; } = From(PackSettings.StableDiffusionV14.Scheduler);

    /// <exception cref="InvalidDataException">The manifest names a schedule other than scaled_linear over 1000 steps.</exception>
    public static TrainingSchedule From(PackScheduler scheduler)
    {
        if (scheduler.BetaSchedule != "scaled_linear" || scheduler.TrainTimesteps != Steps)
            throw new InvalidDataException(
                $"the pack's training schedule is {scheduler.BetaSchedule} over {scheduler.TrainTimesteps} steps; only scaled_linear over {Steps} is implemented.");
        return new TrainingSchedule(scheduler.BetaStart, scheduler.BetaEnd);
    }

    /// <summary>ᾱ_t for t = 0..999.</summary>
    public IReadOnlyList<float> AlphasCumprod { get; }

    /// <summary>σ_t = sqrt((1 − ᾱ_t)/ᾱ_t) for t = 0..999, increasing.</summary>
    public IReadOnlyList<float> Sigmas { get; }

    public float SigmaMin => Sigmas[0];

    public float SigmaMax => Sigmas[^1];

    /// <summary>σ at a fractional timestep, linear between the integer ones (np.interp).</summary>
    public double SigmaAt(double t)
    {
        if (t <= 0) return Sigmas[0];
        if (t >= Steps - 1) return Sigmas[^1];
        var low = (int)Math.Floor(t);
        var w = t - low;
        return Sigmas[low] + w * (Sigmas[low + 1] - (double)Sigmas[low]);
    }

    /// <summary>The fractional timestep of a σ, linear in log σ between the integer ones (diffusers' _sigma_to_t).</summary>
    public double TimestepOf(double sigma)
    {
        var logSigma = Math.Log(Math.Max(sigma, 1e-10));
        var low = 0;
        while (low < Steps - 2 && Math.Log(Sigmas[low + 1]) <= logSigma) low++;
        double lowLog = Math.Log(Sigmas[low]), highLog = Math.Log(Sigmas[low + 1]);
        var w = Math.Clamp((lowLog - logSigma) / (lowLog - highLog), 0, 1);
        return low + w;
    }

    /// <summary>Karras et al. (2022) σ schedule with ρ = 7 from σ_max down to σ_min over <paramref name="steps"/> values.</summary>
    public double[] KarrasSigmas(int steps)
    {
        const double Rho = 7;
        double maxRoot = Math.Pow(SigmaMax, 1 / Rho), minRoot = Math.Pow(SigmaMin, 1 / Rho);
        var sigmas = new double[steps];
        for (var i = 0; i < steps; i++)
        {
            var ramp = i == steps - 1 && steps > 1 ? 1 : i * (steps == 1 ? 0 : 1.0 / (steps - 1));
            sigmas[i] = Math.Pow(maxRoot + ramp * (minRoot - maxRoot), Rho);
        }

        return sigmas;
    }

    /// <summary>linspace(0, 999, n) reversed, as numpy computes it (i·step + 0, the end point exact).</summary>
    public static double[] DescendingLinspace(int n)
    {
        var values = new double[n];
        var step = n == 1 ? 0 : (double)(Steps - 1) / (n - 1);
        for (var i = 0; i < n; i++) values[n - 1 - i] = i == n - 1 && n > 1 ? Steps - 1 : i * step;
        return values;
    }
}
