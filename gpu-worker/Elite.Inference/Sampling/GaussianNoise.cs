namespace Elite.Inference.Sampling;

/// <summary>
/// Seeded standard normal float32 noise, identical for a seed on every machine and runtime.
/// </summary>
/// <remarks>
/// Algorithm (the contract behind every seeded image; changing any step changes all of them):
/// <list type="number">
/// <item>SplitMix64 (Steele, Lea, Flood 2014) with its state set to the seed: state += 0x9E3779B97F4A7C15, then the
/// output mix (xor-shift 30, × 0xBF58476D1CE4E5B9, xor-shift 27, × 0x94D049BB133111EB, xor-shift 31).</item>
/// <item>Two outputs per pair: u1 = ((a >> 11) + 1) · 2⁻⁵³ in (0, 1], u2 = (b >> 11) · 2⁻⁵³ in [0, 1).</item>
/// <item>Box–Muller in double: r = sqrt(−2 ln u1), θ = 2π u2; the pair is r cos θ then r sin θ, each rounded to float32.</item>
/// </list>
/// ln, cos and sin are evaluated here with fixed series in basic IEEE arithmetic (correctly rounded everywhere),
/// because Math.Log/Cos/Sin come from the platform's C library and may differ in the last bit between machines.
/// One instance per image: its sequence then does not depend on what else is in the batch. Not thread-safe.
/// </remarks>
public sealed class GaussianNoise(long seed)
{
    private const double TwoToMinus53 = 1.0 / (1UL << 53);
    private const int SeriesTerms = 13;
    private static readonly double[] SinCoefficients = Series(1);
    private static readonly double[] CosCoefficients = Series(0);

    private ulong _state = unchecked((ulong)seed);
    private float? _spare;

    public void Fill(Span<float> destination)
    {
        for (var i = 0; i < destination.Length; i++) destination[i] = Next();
    }

    public float Next()
    {
        if (_spare is { } spare)
        {
            _spare = null;
            return spare;
        }

        var u1 = ((NextUInt64() >> 11) + 1) * TwoToMinus53;
        var u2 = (NextUInt64() >> 11) * TwoToMinus53;
        var r = Math.Sqrt(-2 * Ln(u1));
        var (sin, cos) = SinCosOfTurn(u2);
        _spare = (float)(r * sin);
        return (float)(r * cos);
    }

    internal ulong NextUInt64()
    {
        var z = _state += 0x9E3779B97F4A7C15UL;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }

    /// <summary>Natural log of a positive normal double: x = m·2ᵉ with m in (√½, √2], ln m = 2 atanh((m−1)/(m+1)).</summary>
    internal static double Ln(double x)
    {
        const double Ln2 = 0.6931471805599453;
        const double Sqrt2 = 1.4142135623730951;

        var bits = BitConverter.DoubleToInt64Bits(x);
        var exponent = (int)((bits >> 52) & 0x7FF) - 1023;
        var m = BitConverter.Int64BitsToDouble((bits & 0xFFFFFFFFFFFFFL) | 0x3FF0000000000000L);
        if (m > Sqrt2)
        {
            m *= 0.5;
            exponent++;
        }

        // |s| ≤ 0.172, so the atanh series to s²⁴ leaves an error below 1e-19.
        var s = (m - 1) / (m + 1);
        var s2 = s * s;
        var series = 0.0;
        for (var k = 12; k >= 0; k--) series = series * s2 + 1.0 / (2 * k + 1);
        return exponent * Ln2 + 2 * s * series;
    }

    /// <summary>sin and cos of 2π·turn for turn in [0, 1): quadrant from the turn, Taylor series on [0, π/2).</summary>
    internal static (double Sin, double Cos) SinCosOfTurn(double turn)
    {
        const double HalfPi = 1.5707963267948966;

        var quarters = turn * 4;
        var quadrant = (int)quarters;
        var a = (quarters - quadrant) * HalfPi;
        var a2 = a * a;

        // Terms up to a²⁵/25! and a²⁴/24!: below 1e-20 on [0, π/2).
        double sin = 0, cos = 0;
        for (var k = SeriesTerms - 1; k >= 0; k--)
        {
            sin = sin * a2 + SinCoefficients[k];
            cos = cos * a2 + CosCoefficients[k];
        }

        sin *= a;
        return quadrant switch
        {
            0 => (sin, cos),
            1 => (cos, -sin),
            2 => (-sin, -cos),
            _ => (-cos, sin),
        };
    }

    /// <summary>Taylor coefficients (−1)ᵏ / (2k + firstPower)! of sin (firstPower 1) or cos (firstPower 0).</summary>
    private static double[] Series(int firstPower)
    {
        var coefficients = new double[SeriesTerms];
        for (var k = 0; k < SeriesTerms; k++)
        {
            var factorial = 1.0;
            for (var i = 2; i <= 2 * k + firstPower; i++) factorial *= i;
            coefficients[k] = (k % 2 == 0 ? 1 : -1) / factorial;
        }

        return coefficients;
    }
}
