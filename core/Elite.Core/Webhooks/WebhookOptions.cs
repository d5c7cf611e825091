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

    /// <summary>
    /// The waits before each retry: Standard Webhooks' schedule, after the first attempt: 5 s, 5 min, 30 min, 2 h, 5 h,
    /// 10 h, 14 h, 20 h and 24 h, about three days in all. Environment: comma-separated <c>hh:mm:ss</c> values.
    /// </summary>
    public IReadOnlyList<TimeSpan> RetrySchedule { get; init; } = StandardRetrySchedule;

    public static IReadOnlyList<TimeSpan> StandardRetrySchedule { get; } =
    [
        TimeSpan.FromSeconds(5), TimeSpan.FromMinutes(5), TimeSpan.FromMinutes(30), TimeSpan.FromHours(2), TimeSpan.FromHours(5),
        TimeSpan.FromHours(10), TimeSpan.FromHours(14), TimeSpan.FromHours(20), TimeSpan.FromHours(24),
    ];

    /// <summary>
    /// Delivery attempts before giving up: by default the first and one per wait of the standard schedule. Attempts
    /// past the end of <see cref="RetrySchedule"/> wait its last entry.
    /// </summary>
    public int MaxAttempts { get; init; } = StandardRetrySchedule.Count + 1;

    /// <summary>How long one attempt may take (Standard Webhooks recommends 15-30 s).</summary>
    public TimeSpan Timeout { get; init; } = TimeSpan.FromSeconds(15);

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
            RetrySchedule = section[nameof(RetrySchedule)] is { Length: > 0 } schedule
                ? [.. schedule.Split(',', StringSplitOptions.TrimEntries).Select(wait => TimeSpan.Parse(wait, CultureInfo.InvariantCulture))]
                : defaults.RetrySchedule,
            MaxResultsInBody = section[nameof(MaxResultsInBody)] is { } results ? int.Parse(results, CultureInfo.InvariantCulture) : defaults.MaxResultsInBody,
        };
    }

    private static TimeSpan TimeSpanOr(string? value, TimeSpan fallback) =>
        value is { Length: > 0 } ? TimeSpan.Parse(value, CultureInfo.InvariantCulture) : fallback;
}
