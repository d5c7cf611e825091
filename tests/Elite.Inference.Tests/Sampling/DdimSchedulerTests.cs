using Elite.Contracts.Generation;
using Elite.Inference.Sampling;

namespace Elite.Inference.Tests.Sampling;

public sealed class DdimSchedulerTests
{
    [Fact]
    public void Timesteps_are_leading_with_offset_1()
    {
        Assert.Equal(Enumerable.Range(0, 50).Select(i => 981f - 20 * i), Schedulers.Create(SchedulerKind.Ddim, 50).Timesteps);
        Assert.Equal(Enumerable.Range(0, 100).Select(i => 991f - 10 * i), Schedulers.Create(SchedulerKind.Ddim, 100).Timesteps);
        // 1000 // 30 = 33: 29·33 + 1 = 958 down to 1.
        var thirty = Schedulers.Create(SchedulerKind.Ddim, 30).Timesteps;
        Assert.Equal(958f, thirty[0]);
        Assert.Equal(1f, thirty[^1]);
    }

    [Fact]
    public void Latents_are_unscaled()
    {
        var scheduler = Schedulers.Create(SchedulerKind.Ddim, 50);

        Assert.Equal(1f, scheduler.InitNoiseSigma);
        Assert.Equal(1f, scheduler.ScaleModelInput(0));
        Assert.Equal(1f, scheduler.ScaleModelInput(49));
    }

    [Fact]
    public void First_steps_follow_the_ddim_formula()
    {
        var scheduler = Schedulers.Create(SchedulerKind.Ddim, 50);
        var sample = Reference.Sample(0.7f, -1.1f, 0.05f);
        float[] eps = [0.9f, -0.4f, 1.3f];
        var expected = sample.Select(v => (double)v).ToArray();

        foreach (var (step, t, previous) in new[] { (0, 981, 961), (1, 961, 941) })
        {
            double a = Reference.AlphasCumprod[t], ap = Reference.AlphasCumprod[previous];
            for (var i = 0; i < expected.Length; i++)
            {
                var x0 = (expected[i] - Math.Sqrt(1 - a) * eps[i]) / Math.Sqrt(a);
                expected[i] = Math.Sqrt(ap) * x0 + Math.Sqrt(1 - ap) * eps[i];
            }

            scheduler.Step(step, eps, sample, null);
            for (var i = 0; i < expected.Length; i++) Reference.AssertClose(expected[i], sample[i]);
        }
    }

    [Fact]
    public void Eta_zero_is_deterministic_and_ignores_the_noise_generator()
    {
        float[] RunAll(GaussianNoise? noise)
        {
            var scheduler = Schedulers.Create(SchedulerKind.Ddim, 20);
            var sample = Reference.Sample(1f, -2f, 0.5f, 0.25f);
            for (var step = 0; step < 20; step++) scheduler.Step(step, [0.1f * step, -0.3f, 0.2f, 1f], sample, noise);
            return sample;
        }

        Assert.Equal(RunAll(null), RunAll(null));
        Assert.Equal(RunAll(null), RunAll(new GaussianNoise(3)));
    }

    [Fact]
    public void True_noise_keeps_the_sample_on_the_exact_trajectory_to_x0()
    {
        // x_t = sqrt(ᾱ_t)·x0 + sqrt(1 − ᾱ_t)·ε with the model predicting that ε: every x0 estimate is exact, and each step
        // lands on the same formula at the next timestep; the last step ends at ᾱ_0 (set_alpha_to_one is false).
        float[] x0 = [0.8f, -0.6f, 0.1f, 1.9f], noise = [1.2f, -0.7f, 0.4f, -2.1f];
        var scheduler = Schedulers.Create(SchedulerKind.Ddim, 25);
        var timesteps = scheduler.Timesteps.Select(t => (int)t).Append(0).ToArray();
        double[] Trajectory(int t)
        {
            var alpha = Reference.AlphasCumprod[t];
            return [.. x0.Select((x, i) => Math.Sqrt(alpha) * x + Math.Sqrt(1 - alpha) * noise[i])];
        }

        var sample = Trajectory(timesteps[0]).Select(v => (float)v).ToArray();

        for (var step = 0; step < 25; step++)
        {
            scheduler.Step(step, noise, sample, null);
            Reference.AssertClose(Trajectory(timesteps[step + 1]), sample);
        }

        for (var i = 0; i < x0.Length; i++) Assert.Equal(x0[i], sample[i], 0.03 * Math.Abs(noise[i]) + 1e-3);
    }

    [Fact]
    public void A_thousand_steps_would_index_past_the_schedule_and_are_refused()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => Schedulers.Create(SchedulerKind.Ddim, 1000));
        Assert.Equal(999f, Schedulers.Create(SchedulerKind.Ddim, 999).Timesteps[0]);
    }
}
