using System.Globalization;
using Microsoft.Extensions.Configuration;

namespace Elite.Core.Webhooks;

/// <summary>
/// Settings of the completion webhooks, section <c>Webhooks</c> (environment: <c>Webhooks__SigningSecret</c>, ...).
/// </summary>
public sealed record WebhookOptions
{
    public const string SectionName = "Webhooks";

    /// <summary>
    /// The HMAC key: Standard Webhooks' <c>whsec_</c> + base64 form (what receivers' libraries take), or any other
    /// string, whose UTF-8 bytes are then the key. At least 24 bytes either way.
    /// </summary>
    public string? SigningSecret { get; init; }

    /// <summary>Allow webhooks to loopback and private networks: for local development only.</summary>
    public bool AllowPrivateAddresses { get; init; }

    /// <summary>Delivery attempts before giving up; the queue host's maxDequeueCount must not be lower.</summary>
    public int MaxAttempts { get; init; } = 8;

    /// <summary>How long one attempt may take (Standard Webhooks recommends 15-30 s).</summary>
    public TimeSpan Timeout { get; init; } = TimeSpan.FromSeconds(15);

    /// <summary>The wait after the first failed attempt; each later wait is four times longer, up to <see cref="MaxRetryDelay"/>.</summary>
    public TimeSpan FirstRetryDelay { get; init; } = TimeSpan.FromSeconds(5);

    public TimeSpan MaxRetryDelay { get; init; } = TimeSpan.FromHours(2);

    /// <summary>Result blob names listed in the webhook body; a larger job's body says the list is cut short.</summary>
    public int MaxResultsInBody { get; init; } = 1000;

    /// <summary>Reads the section; absent keys keep their defaults.</summary>
    public static WebhookOptions FromConfiguration(IConfiguration configuration)
    {
        var section = configuration.GetSection(SectionName);
        var defaults = new WebhookOptions();
        return new WebhookOptions
        {
            SigningSecret = section[nameof(SigningSecret)] is { Length: > 0 } secret ? secret : null,
            AllowPrivateAddresses = section[nameof(AllowPrivateAddresses)] is { } allow && bool.Parse(allow),
            MaxAttempts = section[nameof(MaxAttempts)] is { } attempts ? int.Parse(attempts, CultureInfo.InvariantCulture) : defaults.MaxAttempts,
            Timeout = TimeSpanOr(section[nameof(Timeout)], defaults.Timeout),
            FirstRetryDelay = TimeSpanOr(section[nameof(FirstRetryDelay)], defaults.FirstRetryDelay),
            MaxRetryDelay = TimeSpanOr(section[nameof(MaxRetryDelay)], defaults.MaxRetryDelay),
            MaxResultsInBody = section[nameof(MaxResultsInBody)] is { } results ? int.Parse(results, CultureInfo.InvariantCulture) : defaults.MaxResultsInBody,
        };
    }

    private static TimeSpan TimeSpanOr(string? value, TimeSpan fallback) =>
        value is { Length: > 0 } ? TimeSpan.Parse(value, CultureInfo.InvariantCulture) : fallback;
}
