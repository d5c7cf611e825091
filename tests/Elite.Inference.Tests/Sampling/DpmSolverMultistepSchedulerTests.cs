using Elite.Contracts.Generation;
using Elite.Inference.Sampling;

namespace Elite.Inference.Tests.Sampling;

public sealed class DpmSolverMultistepSchedulerTests
{
    private static DpmSolverMultistepScheduler Create(int steps, bool karras = false) =>
        (DpmSolverMultistepScheduler)Schedulers.Create(SchedulerKind.DpmPlusPlus2M, steps, karras);

    [Fact]
    public void Timesteps_are_rounded_linspace_without_zero()
    {
        // round(k · 999/20) for k = 20..1: 999, 949.05, 899.1, …, 549.45, 499.5 (half to even: 500), …, 49.95.
        float[] expected = [999, 949, 899, 849, 799, 749, 699, 649, 599, 549, 500, 450, 400, 350, 300, 250, 200, 150, 100, 50];
        var scheduler = Create(20);

        Assert.Equal(expected, scheduler.Timesteps);
        Reference.AssertClose([.. expected.Select(t => Reference.Sigmas[(int)t]), 0], scheduler.Sigmas);
        Assert.Equal(1f, scheduler.InitNoiseSigma);
        Assert.Equal(1f, scheduler.ScaleModelInput(5));
    }

    [Fact]
    public void Steps_follow_k_diffusion_dpmpp_2m_in_sigma_space()
    {
        // k-diffusion's sample_dpmpp_2m works on x_ve = x/α (x = x0 + σε) with t = −ln σ:
        // x_ve ← (σ_next/σ)·x_ve − (e^(−h) − 1)·D', D' = D for the first step and the last (σ_next = 0),
        // otherwise D' = (1 + 1/(2r))·D − 1/(2r)·D_prev with r = h_prev/h.
        const int Steps = 6;
        var scheduler = Create(Steps);
        var sigmas = scheduler.Timesteps.Select(t => Reference.Sigmas[(int)t]).Append(0).ToArray();
        var sample = Reference.Sample(0.9f, -1.4f, 2.2f);
        var xve = sample.Select(v => v * Math.Sqrt(sigmas[0] * sigmas[0] + 1)).ToArray();
        double[]? previous = null;

        for (var step = 0; step < Steps; step++)
        {
            double[] eps = [Math.Cos(step), 0.5 - 0.2 * step, -1.0];
            double sigma = sigmas[step], next = sigmas[step + 1];
            var denoised = xve.Select((x, i) => x - sigma * eps[i]).ToArray();
            var h = -Math.Log(next) + Math.Log(sigma);
            var used = denoised;
            if (previous is not null && next > 0)
            {
                var r = (-Math.Log(sigma) + Math.Log(sigmas[step - 1])) / h;
                used = [.. denoised.Select((d, i) => (1 + 1 / (2 * r)) * d - 1 / (2 * r) * previous[i])];
            }

            xve = next > 0 ? [.. xve.Select((x, i) => next / sigma * x - (Math.Exp(-h) - 1) * used[i])] : used;
            previous = denoised;

            scheduler.Step(step, eps.Select(e => (float)e).ToArray(), sample, null);

            var alphaNext = 1 / Math.Sqrt(next * next + 1);
            for (var i = 0; i < sample.Length; i++) Reference.AssertClose(xve[i] * alphaNext, sample[i]);
        }
    }

    [Fact]
    public void Single_step_returns_the_data_prediction()
    {
        var scheduler = Create(1);
        var sample = Reference.Sample(0.3f, -0.2f);
        float[] eps = [1f, -1f];
        double sigma = Reference.Sigmas[999], alpha = 1 / Math.Sqrt(sigma * sigma + 1);

        scheduler.Step(0, eps, sample, null);

        Reference.AssertClose((0.3 - sigma * alpha * 1) / alpha, sample[0]);
        Reference.AssertClose((-0.2 + sigma * alpha * 1) / alpha, sample[1]);
    }

    [Fact]
    public void Karras_variant_uses_karras_sigmas_with_rounded_timesteps()
    {
        var scheduler = Create(25, karras: true);

        KarrasAssertions.AssertKarras(scheduler.Sigmas, scheduler.Timesteps, roundedTimesteps: true);
        Assert.Equal(1f, scheduler.InitNoiseSigma);
    }
}
