namespace Elite.Inference.Tests.Sampling;

/// <summary>
/// SD v1.4's training schedule recomputed here in plain double precision from its definition (scaled_linear betas
/// 0.00085..0.012 over 1000 steps), independent of the production code's float32 arithmetic. The two agree to ~1e-5.
/// </summary>
internal static class Reference
{
    public const double Tolerance = 1e-4;

    public static double[] AlphasCumprod { get; } = ComputeAlphasCumprod();

    public static double[] Sigmas { get; } = [.. AlphasCumprod.Select(a => Math.Sqrt((1 - a) / a))];

    public static double SigmaAt(double t)
    {
        var low = Math.Min((int)Math.Floor(t), 998);
        return Sigmas[low] + (t - low) * (Sigmas[low + 1] - Sigmas[low]);
    }

    public static float[] Sample(params float[] values) => values;

    public static void AssertClose(double expected, double actual, double relative = Tolerance)
    {
        var allowed = relative * Math.Max(1, Math.Abs(expected));
        Assert.True(Math.Abs(expected - actual) <= allowed, $"expected {expected:R}, actual {actual:R} (allowed ±{allowed:G3})");
    }

    public static void AssertClose(IReadOnlyList<double> expected, IReadOnlyList<float> actual, double relative = Tolerance)
    {
        Assert.Equal(expected.Count, actual.Count);
        for (var i = 0; i < expected.Count; i++) AssertClose(expected[i], actual[i], relative);
    }

    private static double[] ComputeAlphasCumprod()
    {
        double first = Math.Sqrt(0.00085), last = Math.Sqrt(0.012);
        var result = new double[1000];
        var product = 1.0;
        for (var t = 0; t < 1000; t++)
        {
            var root = first + (last - first) * t / 999;
            product *= 1 - root * root;
            result[t] = product;
        }

        return result;
    }
}
