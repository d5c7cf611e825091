using Azure.Identity;
using Azure.Monitor.OpenTelemetry.Exporter;
using OpenTelemetry.Metrics;

namespace Elite.Worker;

/// <summary>
/// The worker's OpenTelemetry metrics (meter <see cref="WorkerMetrics.MeterName"/>), exported to Application Insights
/// when <c>APPLICATIONINSIGHTS_CONNECTION_STRING</c> is set, as the deployment does. With
/// <c>APPLICATIONINSIGHTS_AUTHENTICATION_STRING=Authorization=AAD;ClientId=...</c> the exporter signs in with that
/// user-assigned managed identity (the deployment turns local authentication off).
/// </summary>
public static class WorkerTelemetry
{
    public const string ConnectionStringSetting = "APPLICATIONINSIGHTS_CONNECTION_STRING";
    public const string AuthenticationSetting = "APPLICATIONINSIGHTS_AUTHENTICATION_STRING";

    public static void Add(IServiceCollection services, IConfiguration configuration)
    {
        var connectionString = configuration[ConnectionStringSetting];
        var clientId = ManagedIdentityClientId(configuration[AuthenticationSetting]);
        services.AddOpenTelemetry().WithMetrics(metrics =>
        {
            metrics.AddMeter(WorkerMetrics.MeterName);
            if (string.IsNullOrEmpty(connectionString)) return;
            metrics.AddAzureMonitorMetricExporter(exporter =>
            {
                exporter.ConnectionString = connectionString;
                if (clientId is not null) exporter.Credential = new ManagedIdentityCredential(ManagedIdentityId.FromUserAssignedClientId(clientId));
            });
        });
    }

    /// <summary>The client id of <c>Authorization=AAD;ClientId=...</c>, or null when the setting names none.</summary>
    public static string? ManagedIdentityClientId(string? authenticationString)
    {
        var parts = (authenticationString ?? "").Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Select(part => part.Split('=', 2))
            .Where(pair => pair.Length == 2)
            .ToDictionary(pair => pair[0].Trim(), pair => pair[1].Trim(), StringComparer.OrdinalIgnoreCase);
        return parts.GetValueOrDefault("Authorization") is { } scheme && scheme.Equals("AAD", StringComparison.OrdinalIgnoreCase)
            && parts.GetValueOrDefault("ClientId") is { Length: > 0 } id ? id : null;
    }
}
