using Elite.Core.Storage;
using Microsoft.Extensions.Configuration;

namespace Elite.Core.Tests;

/// <summary>EliteStorage__injectedFaultRate, for the fault run: the clients then fail that share of their calls, transiently.</summary>
public sealed class StorageFaultPolicyTests
{
    [Fact]
    public async Task Clients_configured_with_a_fault_rate_fail_calls_as_a_struggling_account_does_and_only_then()
    {
        var configuration = new ConfigurationBuilder().AddEnvironmentVariables().Build();
        var faulty = new StorageClients(StorageConnection.FromConfiguration(configuration) with { InjectedFaultRate = 1 });
        var before = StorageFaultPolicy.Injected;

        for (var call = 0; call < 6; call++)
        {
            var error = await Assert.ThrowsAnyAsync<Exception>(() => faulty.Queue(StorageNames.Queues.Generate).GetPropertiesAsync());
            Assert.True(StorageErrors.IsTransient(error), error.ToString());
        }

        Assert.Equal(6, StorageFaultPolicy.Injected - before);
        Assert.Equal(0, StorageConnection.FromConfiguration(configuration).InjectedFaultRate);
        await new StorageInitializer(new StorageClients(StorageConnection.FromConfiguration(configuration))).InitializeAsync(); // without the setting, calls go through
    }
}
