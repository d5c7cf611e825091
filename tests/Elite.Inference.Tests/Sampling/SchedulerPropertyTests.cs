using Elite.Contracts.Generation;
using Elite.Inference.Sampling;

namespace Elite.Inference.Tests.Sampling;

/// <summary>Behaviour every scheduler shares, checked through <see cref="IScheduler"/> only where possible.</summary>
public sealed class SchedulerPropertyTests
{
    public static TheoryData<SchedulerKind, int, bool> AllConfigurations => new()
    {
        { SchedulerKind.Lms, 100, false }, { SchedulerKind.Lms, 30, true },
        { SchedulerKind.EulerAncestral, 30, false }, { SchedulerKind.EulerAncestral, 30, true },
        { SchedulerKind.DpmPlusPlus2M, 20, false }, { SchedulerKind.DpmPlusPlus2M, 25, true },
        { SchedulerKind.DpmPlusPlus2M, 7, false },
    };

    /// <summary>
    /// With a perfect model (it returns the noise that separates the current sample from a known x0), every σ sampler
    /// ends exactly at x0: the final σ is 0 and each x0 estimate is exact.
    /// </summary>
    [Theory]
    [MemberData(nameof(AllConfigurations))]
    public void A_perfect_model_leads_to_x0(SchedulerKind name, int steps, bool karras)
    {
        var scheduler = Schedulers.Create(name, steps, karras);
        var sigmas = SigmasOf(scheduler);
        float[] x0 = [0.8f, -0.6f, 0.1f, 1.9f, -1.3f, 0f];
        var noise = new GaussianNoise(11);
        var sample = new float[x0.Length];
        noise.Fill(sample);
        // Scale the noise to σ_max around x0 in the sampler's own space: VE (x0 + σε) or, for DPM-Solver++, VP (αx0 + σαε).
        var vp = name == SchedulerKind.DpmPlusPlus2M;
        for (var i = 0; i < x0.Length; i++) sample[i] = Space(vp, sigmas[0], x0[i], sample[i]);

        for (var step = 0; step < steps; step++)
        {
            double sigma = sigmas[step], alpha = vp ? 1 / Math.Sqrt(sigma * sigma + 1) : 1;
            var eps = sample.Select((x, i) => (float)((x - alpha * x0[i]) / (alpha * sigma))).ToArray();
            scheduler.Step(step, eps, sample, noise);
        }

        for (var i = 0; i < x0.Length; i++) Assert.Equal(x0[i], sample[i], 2e-5);
    }

    [Theory]
    [InlineData(SchedulerKind.Lms)]
    [InlineData(SchedulerKind.DpmPlusPlus2M)]
    public void Deterministic_samplers_with_true_noise_stay_on_the_noising_trajectory(SchedulerKind name)
    {
        // Constant true ε: LMS keeps x = x0 + σ_i·ε (its coefficients sum to the σ step); DPM-Solver++ keeps
        // x = α_i·x0 + σ_i·α_i·ε (every data prediction equals x0, so the multistep correction vanishes).
        var scheduler = Schedulers.Create(name, 12);
        var sigmas = SigmasOf(scheduler);
        var vp = name == SchedulerKind.DpmPlusPlus2M;
        float[] x0 = [0.5f, -1.5f], eps = [1.1f, 0.3f];
        var sample = x0.Select((x, i) => Space(vp, sigmas[0], x, eps[i])).ToArray();

        for (var step = 0; step < 12; step++)
        {
            scheduler.Step(step, eps, sample, null);
            for (var i = 0; i < 2; i++) Reference.AssertClose(Space(vp, sigmas[step + 1], x0[i], eps[i]), sample[i], 2e-5);
        }
    }

    [Fact]
    public void Factory_knows_the_four_names()
    {
        Assert.Equal(["lms", "ddim", "euler_a", "dpmpp_2m"], SchedulerNames.All);
        Assert.IsType<LmsScheduler>(Schedulers.Create(SchedulerNames.Parse("lms"), 10));
        Assert.IsType<DdimScheduler>(Schedulers.Create(SchedulerNames.Parse("ddim"), 10));
        Assert.IsType<EulerAncestralScheduler>(Schedulers.Create(SchedulerNames.Parse("euler_a"), 10));
        Assert.IsType<DpmSolverMultistepScheduler>(Schedulers.Create(SchedulerNames.Parse("dpmpp_2m"), 10));
    }

    [Fact]
    public void Factory_rejects_bad_arguments()
    {
        Assert.Throws<ArgumentException>(() => SchedulerNames.Parse("pndm"));
        Assert.Equal(SchedulerKind.Lms, SchedulerNames.Parse(" LMS ")); // names are matched without case, as requests always were
        Assert.Throws<ArgumentException>(() => Schedulers.Create(SchedulerKind.Ddim, 10, karras: true));
        Assert.Throws<ArgumentOutOfRangeException>(() => Schedulers.Create(SchedulerKind.Lms, 0));
        Assert.Throws<ArgumentOutOfRangeException>(() => Schedulers.Create(SchedulerKind.Lms, 1001));
    }

    [Theory]
    [InlineData("lms")]
    [InlineData("ddim")]
    [InlineData("euler_a")]
    [InlineData("dpmpp_2m")]
    public void Steps_must_come_once_each_in_order(string name)
    {
        var scheduler = Schedulers.Create(SchedulerNames.Parse(name), 2);
        var noise = new GaussianNoise(1);
        float[] sample = [1f], eps = [0.5f];

        Assert.Throws<InvalidOperationException>(() => scheduler.Step(1, eps, sample, noise));
        scheduler.Step(0, eps, sample, noise);
        Assert.Throws<InvalidOperationException>(() => scheduler.Step(0, eps, sample, noise));
        Assert.Throws<ArgumentException>(() => scheduler.Step(1, [0.5f, 0.5f], sample, noise));
        scheduler.Step(1, eps, sample, noise);
        var done = Assert.Throws<InvalidOperationException>(() => scheduler.Step(2, eps, sample, noise));
        Assert.Contains("new scheduler", done.Message);
        Assert.True(float.IsFinite(sample[0]));
    }

    private static IReadOnlyList<float> SigmasOf(IScheduler scheduler) => scheduler switch
    {
        LmsScheduler lms => lms.Sigmas,
        EulerAncestralScheduler euler => euler.Sigmas,
        DpmSolverMultistepScheduler dpm => dpm.Sigmas,
        _ => throw new ArgumentException("not a σ sampler", nameof(scheduler)),
    };

    private static float Space(bool vp, double sigma, double x0, double eps)
    {
        var alpha = vp ? 1 / Math.Sqrt(sigma * sigma + 1) : 1;
        return (float)(alpha * (x0 + sigma * eps));
    }
}
