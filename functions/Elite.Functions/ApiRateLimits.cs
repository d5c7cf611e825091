using System.Globalization;
using System.Threading.RateLimiting;
using Elite.Core.Api;
using Elite.Core.Callers;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Extensions.Configuration;

namespace Elite.Functions;

/// <summary>Per-caller request limits, section <c>RateLimits</c> (environment: <c>RateLimits__SubmissionsPerMinute</c>, ...).</summary>
public sealed record RateLimitOptions
{
    public const string SectionName = "RateLimits";

    /// <summary>Requests that write (submit, cancel, redeliver, create or delete a concept) a caller may make per minute, in bursts of as many.</summary>
    public int SubmissionsPerMinute { get; init; } = 60;

    /// <summary>Requests that read (status, pages, lists) a caller may make per minute.</summary>
    public int ReadsPerMinute { get; init; } = 1200;

    public static RateLimitOptions FromConfiguration(IConfiguration configuration)
    {
        var section = configuration.GetSection(SectionName);
        var defaults = new RateLimitOptions();
        return new()
        {
            SubmissionsPerMinute = section[nameof(SubmissionsPerMinute)] is { } writes ? int.Parse(writes, CultureInfo.InvariantCulture) : defaults.SubmissionsPerMinute,
            ReadsPerMinute = section[nameof(ReadsPerMinute)] is { } reads ? int.Parse(reads, CultureInfo.InvariantCulture) : defaults.ReadsPerMinute,
        };
    }
}

/// <summary>Which of a caller's budgets a request spends.</summary>
public enum RequestKind
{
    Submission,
    Read,
}

/// <summary>
/// Token buckets per caller, one for writes and one for reads; a request past its budget gets <c>429</c> with
/// <c>Retry-After</c>. The buckets live in each Function App instance: with N instances a caller gets up to N times the
/// budget at worst. That bounds a runaway client (a polling loop, a retry storm) without a shared store on every request.
/// </summary>
public sealed class ApiRateLimits(RateLimitOptions options)
{
    private readonly PartitionedRateLimiter<string> _submissions = PerCaller(options.SubmissionsPerMinute);
    private readonly PartitionedRateLimiter<string> _reads = PerCaller(options.ReadsPerMinute);

    /// <summary>Null when the caller may go on; otherwise the 429 answer, with <c>Retry-After</c> set on the response.</summary>
    public IActionResult? Refusal(HttpRequest request, Caller caller, RequestKind kind)
    {
        using var lease = (kind == RequestKind.Submission ? _submissions : _reads).AttemptAcquire(caller.Id);
        if (lease.IsAcquired) return null;
        var retryAfter = lease.TryGetMetadata(MetadataName.RetryAfter, out var wait) ? wait : TimeSpan.FromSeconds(1);
        var seconds = Math.Max(1, (int)Math.Ceiling(retryAfter.TotalSeconds));
        request.HttpContext.Response.Headers.RetryAfter = seconds.ToString(CultureInfo.InvariantCulture);
        return new ObjectResult(ApiErrors.One("caller", $"too many {(kind == RequestKind.Submission ? "submissions" : "requests")}: at most {(kind == RequestKind.Submission ? options.SubmissionsPerMinute : options.ReadsPerMinute)} a minute; retry in {seconds} s"))
        {
            StatusCode = StatusCodes.Status429TooManyRequests,
        };
    }

    private static PartitionedRateLimiter<string> PerCaller(int perMinute) =>
        PartitionedRateLimiter.Create<string, string>(caller => RateLimitPartition.GetTokenBucketLimiter(caller, _ => new TokenBucketRateLimiterOptions
        {
            TokenLimit = perMinute,
            TokensPerPeriod = Math.Max(1, perMinute / 60),
            ReplenishmentPeriod = TimeSpan.FromSeconds(perMinute >= 60 ? 1 : 60.0 / perMinute),
            QueueLimit = 0,
            AutoReplenishment = true,
        }));
}
