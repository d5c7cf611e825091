using System.Security.Cryptography;
using System.Text;
using Elite.Core.Rows;

namespace Elite.Core.Callers;

/// <summary>
/// Who calls the API. Jobs, API-created concepts and idempotency keys belong to their caller, and another caller is
/// told they do not exist. In Azure the caller is the principal that App Service Authentication signed in (its object
/// id, in <see cref="PrincipalIdHeader"/>, which the platform sets and strips from incoming requests); a request
/// without one (the function key) is the deployment's <see cref="CallerOptions.DefaultCaller"/>.
/// </summary>
public sealed record Caller(string Id)
{
    /// <summary>The header App Service Authentication sets to the signed-in principal's object id.</summary>
    public const string PrincipalIdHeader = "X-MS-CLIENT-PRINCIPAL-ID";

    /// <summary>The most characters of a caller id (an object id is 36).</summary>
    public const int MaxIdLength = 128;

    /// <summary>The caller of a request: its principal, else the default caller; null when neither is known (401).</summary>
    public static Caller? Of(string? principalId, CallerOptions options) =>
        IsValidId(principalId) ? new Caller(principalId!)
        : options.DefaultCaller is { Length: > 0 } fallback ? new Caller(fallback)
        : null;

    /// <summary>Whether <paramref name="id"/> can name a caller: 1 to <see cref="MaxIdLength"/> characters, none a control character.</summary>
    public static bool IsValidId(string? id) => id is { Length: > 0 and <= MaxIdLength } && !id.Any(char.IsControl);

    /// <summary>A short, table-key-safe name of this caller (SHA-256, hex): partition keys hold it, not the id itself.</summary>
    public string Key => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(Id)))[..32];

    public bool Owns(JobRow job) => job.Owner == Id;

    /// <summary>A concept this caller created, or one an operator uploaded for everyone (no owner).</summary>
    public bool MayUse(ConceptRow concept) => concept.Owner is null || concept.Owner == Id;
}
