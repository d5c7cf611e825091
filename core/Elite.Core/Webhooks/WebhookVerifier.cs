using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace Elite.Core.Webhooks;

/// <summary>The outcome of verifying a webhook: valid, or why not.</summary>
public sealed record WebhookVerification(bool IsValid, string? Error)
{
    public static WebhookVerification Valid { get; } = new(true, null);

    public static WebhookVerification Invalid(string error) => new(false, error);
}

/// <summary>
/// The receiving side of <see cref="WebhookSigner"/> (tests, the demo's receiver): checks that the timestamp is
/// within a tolerance of now (replays) and that one of the <c>v1</c> signatures matches, in constant time.
/// </summary>
public sealed class WebhookVerifier(string secret, TimeSpan? tolerance = null, TimeProvider? time = null)
{
    public static readonly TimeSpan DefaultTolerance = TimeSpan.FromMinutes(5);

    private readonly byte[] _key = WebhookSecret.ToKey(secret);
    private readonly TimeSpan _tolerance = tolerance ?? DefaultTolerance;
    private readonly TimeProvider _time = time ?? TimeProvider.System;

    /// <summary>Verifies the raw body bytes exactly as received: parsing and re-serialising JSON changes them.</summary>
    public WebhookVerification Verify(string? id, string? timestamp, string? signatures, ReadOnlySpan<byte> body)
    {
        if (string.IsNullOrEmpty(id) || string.IsNullOrEmpty(timestamp) || string.IsNullOrEmpty(signatures))
        {
            return WebhookVerification.Invalid("missing webhook-id, webhook-timestamp or webhook-signature");
        }

        if (!long.TryParse(timestamp, NumberStyles.None, CultureInfo.InvariantCulture, out var seconds))
        {
            return WebhookVerification.Invalid("webhook-timestamp is not unix seconds");
        }

        var age = _time.GetUtcNow() - DateTimeOffset.FromUnixTimeSeconds(Math.Clamp(seconds, 0, 253402300799));
        if (age > _tolerance || -age > _tolerance)
        {
            return WebhookVerification.Invalid($"webhook-timestamp is {Math.Abs(age.TotalSeconds):0} s away from now; the tolerance is {_tolerance.TotalSeconds:0} s");
        }

        var expected = WebhookSigner.Compute(_key, id, timestamp, body);
        Span<byte> candidate = stackalloc byte[64];
        foreach (var entry in signatures.Split(' ', StringSplitOptions.RemoveEmptyEntries))
        {
            var comma = entry.IndexOf(',');
            if (comma < 0 || entry[..comma] != WebhookSigner.Version)
            {
                continue; // another scheme (v1a) or garbage: not ours to check
            }

            if (Convert.TryFromBase64String(entry[(comma + 1)..], candidate, out var written)
                && CryptographicOperations.FixedTimeEquals(candidate[..written], expected))
            {
                return WebhookVerification.Valid;
            }
        }

        return WebhookVerification.Invalid("no v1 signature matches");
    }

    public WebhookVerification Verify(string? id, string? timestamp, string? signatures, string body) =>
        Verify(id, timestamp, signatures, Encoding.UTF8.GetBytes(body));
}
