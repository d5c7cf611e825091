namespace Elite.Inference.Sampling;

/// <summary>The σ samplers' steps: the UNet timestep of each step and its σ, plus a final σ of 0.</summary>
internal sealed record SigmaSchedule(float[] Timesteps, float[] Sigmas)
{
    /// <summary>timesteps = linspace(0, 999, n) reversed (fractional); σ interpolated at them (LMS, Euler a).</summary>
    public static SigmaSchedule Linspace(TrainingSchedule training, int steps)
    {
        var timesteps = TrainingSchedule.DescendingLinspace(steps);
        return new SigmaSchedule(
            [.. timesteps.Select(t => (float)t)],
            [.. timesteps.Select(t => (float)training.SigmaAt(t)), 0f]);
    }

    /// <summary>
    /// timesteps = round(linspace(0, 999, n + 1)) reversed without the final 0, rounding half to even as numpy; σ at them
    /// (DPM-Solver++).
    /// </summary>
    public static SigmaSchedule Rounded(TrainingSchedule training, int steps)
    {
        var timesteps = TrainingSchedule.DescendingLinspace(steps + 1)[..^1].Select(t => Math.Round(t)).ToArray();
        return new SigmaSchedule(
            [.. timesteps.Select(t => (float)t)],
            [.. timesteps.Select(t => training.Sigmas[(int)t]), 0f]);
    }

    /// <summary>Karras σ (ρ = 7); each timestep is the σ's fractional position in the training schedule, rounded if asked.</summary>
    public static SigmaSchedule Karras(TrainingSchedule training, int steps, bool roundTimesteps)
    {
        var sigmas = training.KarrasSigmas(steps);
        return new SigmaSchedule(
            [.. sigmas.Select(sigma => training.TimestepOf(sigma)).Select(t => (float)(roundTimesteps ? Math.Round(t) : t))],
            [.. sigmas.Select(sigma => (float)sigma), 0f]);
    }
}
