using Microsoft.Extensions.Configuration;

namespace Elite.Core.Callers;

/// <summary>Settings of the API's callers, section <c>Callers</c> (environment: <c>Callers__DefaultCaller</c>).</summary>
public sealed record CallerOptions
{
    public const string SectionName = "Callers";

    /// <summary>The local host's default caller, unless configured otherwise.</summary>
    public const string DevelopmentCaller = "developer";

    /// <summary>
    /// The caller of requests that carry no signed-in principal: those made with the function key in a single-tenant
    /// deployment, and every request on the local host (the development caller). Empty: such requests get 401.
    /// </summary>
    public string? DefaultCaller { get; init; }

    /// <summary>The caller of CSV jobs whose blob names no <c>owner</c> in its metadata.</summary>
    public Caller? CsvCaller => DefaultCaller is { Length: > 0 } id ? new Caller(id) : null;

    public static CallerOptions FromConfiguration(IConfiguration configuration) =>
        new() { DefaultCaller = configuration.GetSection(SectionName)[nameof(DefaultCaller)] is { Length: > 0 } caller ? caller : null };
}
