using System.Globalization;
using Microsoft.Extensions.Configuration;

namespace Elite.Core.Storage;

/// <summary>
/// How long result images are kept, section <c>Retention</c> (environment: <c>Retention__ResultDays</c>). In Azure a
/// blob lifecycle rule on <c>results/</c> deletes them that many days after they were written (the Bicep's
/// <c>resultRetentionDays</c> sets both); unset (locally), nothing deletes them and no expiry is told.
/// </summary>
public sealed record ResultRetention(int? ResultDays)
{
    public const string SectionName = "Retention";

    /// <summary>When a result written at <paramref name="writtenAt"/> is deleted, if results expire.</summary>
    public DateTimeOffset? ExpiresOn(DateTimeOffset? writtenAt) => ResultDays is { } days && writtenAt is { } at ? at.AddDays(days) : null;

    public static ResultRetention FromConfiguration(IConfiguration configuration) =>
        new(configuration.GetSection(SectionName)[nameof(ResultDays)] is { Length: > 0 } days ? int.Parse(days, CultureInfo.InvariantCulture) : null);
}
