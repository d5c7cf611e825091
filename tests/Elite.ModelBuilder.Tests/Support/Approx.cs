namespace Elite.ModelBuilder.Tests.Support;

internal static class Approx
{
    /// <summary>Every value within <paramref name="tolerance"/>·(1 + |expected|) of the expected one.</summary>
    public static void Equal(float[] expected, float[] actual, float tolerance = 1e-4f)
    {
        Assert.Equal(expected.Length, actual.Length);
        var worst = 0f;
        var at = -1;
        for (var i = 0; i < expected.Length; i++)
        {
            var error = MathF.Abs(expected[i] - actual[i]) / (1f + MathF.Abs(expected[i]));
            if (float.IsNaN(actual[i]) || error > worst)
            {
                worst = float.IsNaN(actual[i]) ? float.PositiveInfinity : error;
                at = i;
            }
        }

        Assert.True(worst <= tolerance, $"value {at}: expected {(at >= 0 ? expected[at] : 0)}, got {(at >= 0 ? actual[at] : 0)} (relative error {worst:E2} > {tolerance:E0})");
    }
}
