using Elite.Contracts.Generation;
using Elite.Inference.Sampling;

namespace Elite.Inference.Tests.Sampling;

public sealed class LmsSchedulerTests
{
    private static LmsScheduler Create(int steps = 100) => (LmsScheduler)Schedulers.Create(SchedulerKind.Lms, steps);

    [Fact]
    public void Sigmas_match_the_spec_fixtures()
    {
        var sigmas = Create().Sigmas;

        Assert.Equal(101, sigmas.Count);
        // The spec prints these float32 values in full (shortest round-trip form), so they must match bit for bit.
        Assert.Equal(14.6146555f, sigmas[0]);
        Assert.Equal(13.75252f, sigmas[1]);
        Assert.Equal(12.952478f, sigmas[2]);
        Assert.Equal(0.0987, sigmas[98], 1e-4);
        Assert.Equal(0.0292, sigmas[99], 1e-4);
        Assert.Equal(0f, sigmas[100]);
    }

    [Fact]
    public void Sigmas_agree_with_the_double_precision_schedule()
    {
        var scheduler = Create();

        Reference.AssertClose([.. scheduler.Timesteps.Select(t => Reference.SigmaAt(t)), 0], scheduler.Sigmas);
    }

    [Fact]
    public void Timesteps_are_fractional_linspace_from_999_to_0()
    {
        var timesteps = Create().Timesteps;

        Assert.Equal(100, timesteps.Count);
        Assert.Equal(999f, timesteps[0]);
        Assert.Equal((float)(999 - 999.0 / 99), timesteps[1]);
        Assert.Equal(988.90909f, timesteps[1], 1e-4);
        Assert.Equal((float)(999.0 / 99), timesteps[98]);
        Assert.Equal(0f, timesteps[99]);
    }

    [Fact]
    public void Initial_noise_and_input_scale_follow_sigma()
    {
        var scheduler = Create();

        Assert.Equal(14.6146555f, scheduler.InitNoiseSigma, 1e-6f);
        Assert.Equal(1 / Math.Sqrt(14.6146555 * 14.6146555 + 1), scheduler.ScaleModelInput(0), 1e-7);
        Assert.Equal(1.0, scheduler.ScaleModelInput(99), 1e-3);
    }

    [Theory]
    [InlineData(0, new[] { -0.8621359 })]
    [InlineData(1, new[] { -1.1712506, 0.3712094 })]
    [InlineData(3, new[] { -1.4727526, 1.3921514, -0.7787064, 0.1686681 })]
    [InlineData(99, new[] { -0.0447907, 0.0441077, -0.0431115, 0.014627 })]
    public void Coefficients_match_the_spec_fixtures(int step, double[] expected)
    {
        var coefficients = Create().Coefficients(step);

        Assert.Equal(expected.Length, coefficients.Length);
        for (var j = 0; j < expected.Length; j++) Assert.Equal(expected[j], coefficients[j], 1.5e-7);
    }

    [Fact]
    public void Coefficients_equal_exact_integrals_of_the_lagrange_basis()
    {
        var scheduler = Create();
        for (var step = 0; step < 100; step++)
        {
            var coefficients = scheduler.Coefficients(step);
            var expected = ExactCoefficients(scheduler.Sigmas, step);
            for (var j = 0; j < expected.Length; j++) Assert.Equal(expected[j], coefficients[j], 1e-9);
            // The basis sums to 1, so the coefficients sum to the σ step.
            Assert.Equal(scheduler.Sigmas[step + 1] - (double)scheduler.Sigmas[step], coefficients.Sum(), 1e-9);
        }
    }

    [Fact]
    public void First_steps_follow_the_multistep_formula()
    {
        const int Steps = 10;
        var scheduler = Create(Steps);
        var sample = Reference.Sample(0.5f, -1.25f, 2f);
        var expected = sample.Select(v => (double)v).ToArray();
        var history = new List<double[]>();

        for (var step = 0; step < 6; step++)
        {
            double[] eps = [Math.Sin(step + 1), 0.3 * step - 1, 1.5];
            history.Insert(0, eps);
            var coefficients = ExactCoefficients(scheduler.Sigmas, step);
            for (var i = 0; i < expected.Length; i++)
                for (var j = 0; j < coefficients.Length; j++)
                    expected[i] += coefficients[j] * history[j][i];

            scheduler.Step(step, eps.Select(e => (float)e).ToArray(), sample, null);

            for (var i = 0; i < expected.Length; i++) Assert.Equal(expected[i], sample[i], 1e-5);
        }

        // Step 0 by hand: x + (σ1 − σ0)·ε.
        Assert.Equal(Reference.SigmaAt(999 * 8.0 / 9) - Reference.SigmaAt(999), ExactCoefficients(scheduler.Sigmas, 0)[0], 1e-3);
    }

    [Fact]
    public void Karras_variant_uses_karras_sigmas_with_fractional_timesteps()
    {
        var scheduler = (LmsScheduler)Schedulers.Create(SchedulerKind.Lms, 20, karras: true);

        KarrasAssertions.AssertKarras(scheduler.Sigmas, scheduler.Timesteps, roundedTimesteps: false);
        Assert.Equal(scheduler.Sigmas[0], scheduler.InitNoiseSigma);
    }

    /// <summary>∫ over [σ_step, σ_step+1] of each Lagrange basis polynomial, by expanding it and integrating exactly.</summary>
    internal static double[] ExactCoefficients(IReadOnlyList<float> sigmas, int step)
    {
        var order = Math.Min(step + 1, 4);
        var result = new double[order];
        for (var j = 0; j < order; j++)
        {
            double[] polynomial = [1];
            for (var k = 0; k < order; k++)
            {
                if (k == j) continue;
                double root = sigmas[step - k], scale = 1 / ((double)sigmas[step - j] - sigmas[step - k]);
                var next = new double[polynomial.Length + 1];
                for (var p = 0; p < polynomial.Length; p++)
                {
                    next[p + 1] += polynomial[p] * scale;
                    next[p] -= polynomial[p] * root * scale;
                }

                polynomial = next;
            }

            double from = sigmas[step], to = sigmas[step + 1];
            result[j] = polynomial.Select((c, p) => c * (Math.Pow(to, p + 1) - Math.Pow(from, p + 1)) / (p + 1)).Sum();
        }

        return result;
    }
}
