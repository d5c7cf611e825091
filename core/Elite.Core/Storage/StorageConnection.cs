using Microsoft.Extensions.Configuration;

namespace Elite.Core.Storage;

/// <summary>
/// The one storage connection setting, read the way Azure Functions reads its own connections, so the
/// same setting serves the trigger attributes and our clients:
/// <list type="bullet">
/// <item><c>EliteStorage</c> = a connection string (Azurite, local development), or</item>
/// <item><c>EliteStorage__accountName</c> (or <c>__blobServiceUri</c>, <c>__queueServiceUri</c>,
/// <c>__tableServiceUri</c>) with a managed identity; <c>__clientId</c> picks a user-assigned one.</item>
/// </list>
/// </summary>
public sealed record StorageConnection
{
    public const string SettingName = "EliteStorage";

    public string? ConnectionString { get; init; }
    public Uri? BlobServiceUri { get; init; }
    public Uri? QueueServiceUri { get; init; }
    public Uri? TableServiceUri { get; init; }

    /// <summary>Client id of a user-assigned managed identity; null means the system-assigned identity.</summary>
    public string? ManagedIdentityClientId { get; init; }

    /// <summary>
    /// The share of storage calls failed on purpose (<see cref="StorageFaultPolicy"/>), from <c>EliteStorage__injectedFaultRate</c>:
    /// for the fault run (<c>elite bench faults</c>), never set in a deployment.
    /// </summary>
    public double InjectedFaultRate { get; init; }

    /// <summary>The key of <see cref="InjectedFaultRate"/> in the setting's section.</summary>
    public const string InjectedFaultRateKey = "injectedFaultRate";

    public static StorageConnection FromConfiguration(IConfiguration configuration, string settingName = SettingName)
    {
        var section = configuration.GetSection(settingName);
        var faultRate = double.TryParse(section[InjectedFaultRateKey], System.Globalization.CultureInfo.InvariantCulture, out var rate) ? rate : 0;
        if (configuration[settingName] is { Length: > 0 } connectionString)
        {
            return new StorageConnection { ConnectionString = connectionString, InjectedFaultRate = faultRate };
        }

        var account = section["accountName"];
        Uri? Endpoint(string key, string service) =>
            section[key] is { Length: > 0 } uri ? new Uri(uri)
            : account is { Length: > 0 } ? new Uri($"https://{account}.{service}.core.windows.net")
            : null;

        var connection = new StorageConnection
        {
            BlobServiceUri = Endpoint("blobServiceUri", "blob"),
            QueueServiceUri = Endpoint("queueServiceUri", "queue"),
            TableServiceUri = Endpoint("tableServiceUri", "table"),
            ManagedIdentityClientId = section["clientId"] is { Length: > 0 } clientId ? clientId : null,
            InjectedFaultRate = faultRate,
        };
        if (connection.BlobServiceUri is null || connection.QueueServiceUri is null || connection.TableServiceUri is null)
        {
            throw new InvalidOperationException(
                $"Storage is not configured. Set {settingName} to a connection string (Azurite: see ./run.sh), " +
                $"or {settingName}__accountName (or {settingName}__blobServiceUri, __queueServiceUri and __tableServiceUri) " +
                "to use a managed identity.");
        }

        return connection;
    }
}
