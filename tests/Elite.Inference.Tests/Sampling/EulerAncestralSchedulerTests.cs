using Elite.Contracts.Generation;
using Elite.Inference.Sampling;

namespace Elite.Inference.Tests.Sampling;

public sealed class EulerAncestralSchedulerTests
{
    private static EulerAncestralScheduler Create(int steps, bool karras = false) =>
        (EulerAncestralScheduler)Schedulers.Create(SchedulerKind.EulerAncestral, steps, karras);

    [Fact]
    public void Schedule_is_the_linspace_sigma_schedule()
    {
        var scheduler = Create(30);

        Assert.Equal(999f, scheduler.Timesteps[0]);
        Assert.Equal(0f, scheduler.Timesteps[^1]);
        Reference.AssertClose([.. scheduler.Timesteps.Select(t => Reference.SigmaAt(t)), 0], scheduler.Sigmas);
        Assert.Equal(scheduler.Sigmas[0], scheduler.InitNoiseSigma);
        Assert.Equal(1 / Math.Sqrt(scheduler.Sigmas[3] * (double)scheduler.Sigmas[3] + 1), scheduler.ScaleModelInput(3), 1e-7);
    }

    [Fact]
    public void First_steps_follow_the_ancestral_formula()
    {
        var scheduler = Create(20);
        var sample = Reference.Sample(3f, -8f, 12f, 0.5f);
        float[] eps = [0.2f, -0.9f, 1.1f, 0.05f];
        var expected = sample.Select(v => (double)v).ToArray();
        GaussianNoise noise = new(77), sameSeed = new(77);
        var fresh = new float[4];

        for (var step = 0; step < 3; step++)
        {
            double sigma = Reference.SigmaAt(999.0 * (19 - step) / 19), next = Reference.SigmaAt(999.0 * (18 - step) / 19);
            var up = Math.Sqrt(next * next * (sigma * sigma - next * next) / (sigma * sigma));
            var down = Math.Sqrt(next * next - up * up);
            sameSeed.Fill(fresh);
            for (var i = 0; i < 4; i++) expected[i] += eps[i] * (down - sigma) + fresh[i] * up;

            scheduler.Step(step, eps, sample, noise);

            for (var i = 0; i < 4; i++) Reference.AssertClose(expected[i], sample[i]);
        }
    }

    [Fact]
    public void Steps_draw_from_the_given_generator()
    {
        var scheduler = Create(20);
        var noise = new GaussianNoise(77);
        var sample = Reference.Sample(3f, -8f);
        scheduler.Step(0, [0.2f, -0.9f], sample, noise);
        scheduler.Step(1, [0.2f, -0.9f], sample, noise);

        // Two steps consumed four values: the generator continues with the fifth.
        var reference = new GaussianNoise(77);
        for (var i = 0; i < 4; i++) reference.Next();
        Assert.Equal(reference.Next(), noise.Next());
    }

    [Fact]
    public void Same_seed_same_result_different_seed_different_result()
    {
        static float[] Run(long seed)
        {
            var scheduler = Create(15);
            var noise = new GaussianNoise(seed);
            var sample = new float[64];
            noise.Fill(sample);
            for (var i = 0; i < sample.Length; i++) sample[i] *= scheduler.InitNoiseSigma;
            for (var step = 0; step < 15; step++)
            {
                var eps = sample.Select(x => x * scheduler.ScaleModelInput(step) * 0.9f).ToArray();
                scheduler.Step(step, eps, sample, noise);
            }

            return sample;
        }

        Assert.Equal(Run(1), Run(1));
        Assert.NotEqual(Run(1), Run(2));
    }

    [Fact]
    public void Noise_is_required()
    {
        var scheduler = Create(10);

        Assert.Throws<ArgumentNullException>(() => scheduler.Step(0, [1f], [1f], null));
        // The refused call did not use up the step.
        scheduler.Step(0, [1f], new float[1], new GaussianNoise(1));
    }

    [Fact]
    public void Karras_variant_uses_karras_sigmas_with_fractional_timesteps()
    {
        var scheduler = Create(25, karras: true);

        KarrasAssertions.AssertKarras(scheduler.Sigmas, scheduler.Timesteps, roundedTimesteps: false);
        Assert.Equal(scheduler.Sigmas[0], scheduler.InitNoiseSigma);
    }
}
