using Elite.Core.Storage;
using Microsoft.Extensions.Configuration;

namespace Elite.Core.Tests;

/// <summary>
/// Storage clients for the Azurite that <c>./run.sh test</c> starts and names in <c>EliteStorage</c>.
/// From an IDE, start Azurite yourself and set <c>EliteStorage</c> to its connection string.
/// </summary>
public sealed class Azurite
{
    public Azurite()
    {
        var configuration = new ConfigurationBuilder().AddEnvironmentVariables().Build();
        var connection = StorageConnection.FromConfiguration(configuration);
        ConnectionString = connection.ConnectionString
            ?? throw new InvalidOperationException($"Tests run against Azurite: set {StorageConnection.SettingName} to its connection string.");
        Clients = new StorageClients(connection);
    }

    public string ConnectionString { get; }
    public StorageClients Clients { get; }
}
