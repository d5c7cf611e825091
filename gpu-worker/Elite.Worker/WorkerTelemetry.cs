using Azure.Identity;
using Azure.Monitor.OpenTelemetry.Exporter;
using OpenTelemetry.Metrics;

namespace Elite.Worker;

/// <summary>
/// The worker's OpenTelemetry metrics (meter <see cref="WorkerMetrics.MeterName"/>), exported to Application Insights
/// when <c>APPLICATIONINSIGHTS_CONNECTION_STRING</c> is set, as the deployment does. With
/// <c>APPLICATIONINSIGHTS_AUTHENTICATION_STRING=Authorization=AAD;ClientId=...</c> the exporter signs in with that
/// user-assigned managed identity (without <c>ClientId</c>, the system-assigned one); the deployment turns local
/// authentication off.
/// </summary>
public static class WorkerTelemetry
{
    public const string ConnectionStringSetting = "APPLICATIONINSIGHTS_CONNECTION_STRING";
    public const string AuthenticationSetting = "APPLICATIONINSIGHTS_AUTHENTICATION_STRING";

    public static void Add(IServiceCollection services, IConfiguration configuration)
    {
        var connectionString = configuration[ConnectionStringSetting];
        var authentication = Authentication(configuration[AuthenticationSetting]);
        services.AddOpenTelemetry().WithMetrics(metrics =>
        {
            metrics.AddMeter(WorkerMetrics.MeterName);
            if (string.IsNullOrEmpty(connectionString)) return;
            metrics.AddAzureMonitorMetricExporter(exporter =>
            {
                exporter.ConnectionString = connectionString;
                if (authentication.UsesEntraId)
                {
                    exporter.Credential = new ManagedIdentityCredential(authentication.ClientId is { } clientId
                        ? ManagedIdentityId.FromUserAssignedClientId(clientId)
                        : ManagedIdentityId.SystemAssigned);
                }
            });
        });
    }

    /// <summary>What <c>Authorization=AAD;ClientId=...</c> asks for: Entra ID sign-in, with that user-assigned identity or the system-assigned one.</summary>
    public static (bool UsesEntraId, string? ClientId) Authentication(string? setting)
    {
        var parts = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        foreach (var pair in (setting ?? "").Split(';', StringSplitOptions.RemoveEmptyEntries).Select(part => part.Split('=', 2)).Where(pair => pair.Length == 2))
        {
            parts[pair[0].Trim()] = pair[1].Trim();
        }

        var usesEntraId = parts.GetValueOrDefault("Authorization") is { } scheme && scheme.Equals("AAD", StringComparison.OrdinalIgnoreCase);
        return (usesEntraId, usesEntraId && parts.GetValueOrDefault("ClientId") is { Length: > 0 } id ? id : null);
    }
}
