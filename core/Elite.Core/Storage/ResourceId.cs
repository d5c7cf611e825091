using System.Text.RegularExpressions;

namespace Elite.Core.Storage;

/// <summary>
/// Identifiers of concepts, jobs, tasks and model packs. They become blob path segments and table
/// keys, so they are restricted to characters that are safe in both (tables refuse / \ # ? and
/// control characters; blob paths treat / as a folder).
/// </summary>
public static partial class ResourceId
{
    public const int MaxLength = 64;

    /// <summary>The regular expression an identifier matches (1 to <see cref="MaxLength"/> characters).</summary>
    public const string PatternText = @"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$";

    public static bool IsValid(string? id) => id is not null && Pattern().IsMatch(id);

    /// <summary>Returns <paramref name="id"/>, or throws if it is not a valid identifier.</summary>
    public static string Require(string? id, string what) =>
        IsValid(id)
            ? id!
            : throw new ArgumentException(
                $"'{id}' is not a valid {what}: use 1-{MaxLength} letters, digits, '-', '_' or '.', starting with a letter or digit.",
                what);

    [GeneratedRegex(PatternText)]
    private static partial Regex Pattern();
}
