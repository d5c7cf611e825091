using System.Security.Cryptography;
using System.Text;

namespace Elite.Core.Webhooks;

/// <summary>The header names of the Standard Webhooks specification.</summary>
public static class WebhookHeaders
{
    public const string Id = "webhook-id";
    public const string Timestamp = "webhook-timestamp";
    public const string Signature = "webhook-signature";
}

/// <summary>Signing secrets in the Standard Webhooks format (<c>whsec_</c> + base64) or raw.</summary>
public static class WebhookSecret
{
    public const string Prefix = "whsec_";
    public const int MinKeyBytes = 24;

    /// <summary>The HMAC key of a secret: the base64 payload of a <c>whsec_</c> secret, else the UTF-8 bytes of the string.</summary>
    public static byte[] ToKey(string secret)
    {
        byte[] key;
        if (secret.StartsWith(Prefix, StringComparison.Ordinal))
        {
            try
            {
                key = Convert.FromBase64String(secret[Prefix.Length..]);
            }
            catch (FormatException)
            {
                throw new ArgumentException($"A signing secret that starts with {Prefix} must continue in base64.", nameof(secret));
            }
        }
        else
        {
            key = Encoding.UTF8.GetBytes(secret);
        }

        return key.Length >= MinKeyBytes
            ? key
            : throw new ArgumentException($"The signing secret is {key.Length} bytes; use at least {MinKeyBytes} (for example {Prefix} + base64 of 32 random bytes).", nameof(secret));
    }

    /// <summary>A new random secret (32 bytes) in the <c>whsec_</c> format.</summary>
    public static string Generate() => Prefix + Convert.ToBase64String(RandomNumberGenerator.GetBytes(32));
}

/// <summary>
/// Signs webhook bodies as the Standard Webhooks specification says: HMAC-SHA256 over <c>{id}.{timestamp}.{body}</c>,
/// sent as <c>webhook-signature: v1,{base64}</c> beside <c>webhook-id</c> and <c>webhook-timestamp</c> (unix seconds).
/// </summary>
public sealed class WebhookSigner
{
    public const string Version = "v1";

    private readonly byte[] _key;

    public WebhookSigner(string secret) => _key = WebhookSecret.ToKey(secret);

    /// <summary>
    /// A <c>webhook-id</c> for the event that <paramref name="key"/> names: the same for every attempt, so receivers can
    /// dedupe. A hash, because the scheme forbids '.' in ids, which job and concept ids may hold.
    /// </summary>
    public static string MessageIdFor(string key) => "msg_" + Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(key)))[..32];

    /// <summary>The signer of <see cref="WebhookOptions.SigningSecret"/>; throws when it is not set.</summary>
    public static WebhookSigner FromOptions(WebhookOptions options) =>
        new(options.SigningSecret is { Length: > 0 } secret
            ? secret
            : throw new InvalidOperationException($"Set {WebhookOptions.SectionName}:{nameof(WebhookOptions.SigningSecret)} (for example {WebhookSecret.Prefix} + base64 of 32 random bytes) to send webhooks."));

    /// <summary>The <c>webhook-signature</c> value for one message.</summary>
    public string Sign(string messageId, long timestamp, ReadOnlySpan<byte> body)
    {
        // The spec: ids and timestamps must not hold '.', or one signed text could be read two ways.
        if (messageId.Length == 0 || messageId.Contains('.'))
        {
            throw new ArgumentException("A webhook id must be non-empty and hold no '.'.", nameof(messageId));
        }

        return $"{Version},{Convert.ToBase64String(Compute(_key, messageId, timestamp.ToString(System.Globalization.CultureInfo.InvariantCulture), body))}";
    }

    public string Sign(string messageId, long timestamp, string body) => Sign(messageId, timestamp, Encoding.UTF8.GetBytes(body));

    /// <summary>The three headers of one attempt.</summary>
    public IReadOnlyDictionary<string, string> CreateHeaders(string messageId, DateTimeOffset sentAt, string body)
    {
        var timestamp = sentAt.ToUnixTimeSeconds();
        return new Dictionary<string, string>
        {
            [WebhookHeaders.Id] = messageId,
            [WebhookHeaders.Timestamp] = timestamp.ToString(System.Globalization.CultureInfo.InvariantCulture),
            [WebhookHeaders.Signature] = Sign(messageId, timestamp, body),
        };
    }

    internal static byte[] Compute(byte[] key, string messageId, string timestamp, ReadOnlySpan<byte> body)
    {
        var prefix = Encoding.UTF8.GetBytes($"{messageId}.{timestamp}.");
        using var hmac = IncrementalHash.CreateHMAC(HashAlgorithmName.SHA256, key);
        hmac.AppendData(prefix);
        hmac.AppendData(body);
        return hmac.GetHashAndReset();
    }
}
