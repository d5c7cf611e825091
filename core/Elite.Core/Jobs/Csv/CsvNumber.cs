using System.Globalization;
using System.Numerics;

namespace Elite.Core.Jobs;

/// <summary>Optional numbers in a CSV field or a metadata value.</summary>
internal static class CsvNumber
{
    /// <summary><paramref name="fallback"/> when empty, else parsed (invariant culture) and checked.</summary>
    public static T ParseOr<T>(string? text, T fallback, Func<T, string?> check, out string? problem)
        where T : INumberBase<T>
    {
        problem = null;
        if (string.IsNullOrEmpty(text))
        {
            return fallback;
        }

        var whole = typeof(T) != typeof(float);
        if (!T.TryParse(text, whole ? NumberStyles.AllowLeadingSign : NumberStyles.Float, CultureInfo.InvariantCulture, out var value))
        {
            problem = $"'{JobValidator.Shorten(text)}' is not {(whole ? "a whole number" : "a number")}";
            return fallback;
        }

        problem = check(value);
        return value;
    }
}
