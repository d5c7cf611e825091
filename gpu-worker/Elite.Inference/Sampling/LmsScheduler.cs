namespace Elite.Inference.Sampling;

/// <summary>
/// Linear multistep (order 4) as diffusers 0.11.1's LMSDiscreteScheduler, the sampler ELITE's code uses (spec §4.1).
/// </summary>
/// <remarks>
/// x ← x + Σ_j c_j·d_{i−j} with d = ε (the ODE derivative (x − x₀)/σ) and c_j the integral over [σ_i, σ_{i+1}] of the
/// Lagrange basis polynomial of σ_{i−j} on the last min(i+1, 4) σ's. diffusers integrates with scipy's quad; the
/// integrand has degree ≤ 3, so 2-point Gauss–Legendre is exact.
/// </remarks>
public sealed class LmsScheduler : SigmaScheduler
{
    private const int Order = 4;

    private readonly List<float[]> _derivatives = [];

    internal LmsScheduler(SigmaSchedule schedule)
        : base(schedule)
    {
    }

    public override void Step(int step, ReadOnlySpan<float> modelOutput, Span<float> sample, GaussianNoise? noise)
    {
        _counter.Advance(step, modelOutput, sample);

        if (_derivatives.Count == Order) _derivatives.RemoveAt(0);
        _derivatives.Add(modelOutput.ToArray());

        var coefficients = Coefficients(step);
        for (var i = 0; i < sample.Length; i++)
        {
            var delta = 0.0;
            for (var j = 0; j < coefficients.Length; j++) delta += coefficients[j] * _derivatives[^(j + 1)][i];
            sample[i] = (float)(sample[i] + delta);
        }
    }

    /// <summary>c_j for j = 0..order−1 (j = 0 multiplies the newest derivative).</summary>
    internal double[] Coefficients(int step)
    {
        var order = Math.Min(step + 1, Order);
        double from = _sigmas[step], to = _sigmas[step + 1];
        double middle = (from + to) / 2, half = (to - from) / 2, offset = half / Math.Sqrt(3);

        var coefficients = new double[order];
        for (var j = 0; j < order; j++)
            coefficients[j] = half * (LagrangeBasis(order, step, j, middle - offset) + LagrangeBasis(order, step, j, middle + offset));
        return coefficients;
    }

    private double LagrangeBasis(int order, int step, int j, double tau)
    {
        var product = 1.0;
        for (var k = 0; k < order; k++)
            if (k != j)
                product *= (tau - _sigmas[step - k]) / ((double)_sigmas[step - j] - _sigmas[step - k]);
        return product;
    }
}
