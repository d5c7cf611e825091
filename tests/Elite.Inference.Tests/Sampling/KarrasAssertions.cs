namespace Elite.Inference.Tests.Sampling;

internal static class KarrasAssertions
{
    /// <summary>σ_i^(1/7) falls linearly from σ_max^(1/7) to σ_min^(1/7); a final 0; timesteps from 999 down to 0.</summary>
    public static void AssertKarras(IReadOnlyList<float> sigmas, IReadOnlyList<float> timesteps, bool roundedTimesteps)
    {
        var n = timesteps.Count;
        Assert.Equal(n + 1, sigmas.Count);
        Reference.AssertClose(Reference.Sigmas[999], sigmas[0]);
        Reference.AssertClose(Reference.Sigmas[0], sigmas[n - 1]);
        Assert.Equal(0f, sigmas[n]);

        double maxRoot = Math.Pow(sigmas[0], 1 / 7.0), minRoot = Math.Pow(sigmas[n - 1], 1 / 7.0);
        for (var i = 0; i < n; i++)
            Reference.AssertClose(Math.Pow(maxRoot + i * (minRoot - maxRoot) / (n - 1), 7), sigmas[i], 1e-5);

        Assert.Equal(999, timesteps[0], 1e-2);
        Assert.Equal(0, timesteps[n - 1], 1e-2);
        for (var i = 1; i < n; i++) Assert.True(timesteps[i] < timesteps[i - 1], $"timestep {i} does not decrease");
        for (var i = 0; i < n; i++)
        {
            // Each timestep is where the training schedule's σ equals the step's σ (linear in log σ between integers),
            // or that position rounded.
            double t = timesteps[i];
            if (roundedTimesteps)
            {
                Assert.Equal(Math.Round(t), t);
                double below = LogInterpolatedSigma(Math.Max(t - 0.5, 0)), above = LogInterpolatedSigma(Math.Min(t + 0.5, 999));
                Assert.InRange(sigmas[i], below * 0.9999, above * 1.0001);
            }
            else
            {
                Reference.AssertClose(Math.Log(sigmas[i]), Math.Log(LogInterpolatedSigma(t)), 1e-3);
            }
        }

        if (!roundedTimesteps) Assert.Contains(timesteps, t => t != Math.Round(t));
    }

    private static double LogInterpolatedSigma(double t)
    {
        var low = Math.Min((int)Math.Floor(t), 998);
        var w = t - low;
        return Math.Exp((1 - w) * Math.Log(Reference.Sigmas[low]) + w * Math.Log(Reference.Sigmas[low + 1]));
    }
}
