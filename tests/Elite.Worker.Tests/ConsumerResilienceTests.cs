using Elite.Core.Storage;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging.Abstractions;

namespace Elite.Worker.Tests;

/// <summary>A consumer outlives a storage account that fails: found by the fault run, where one failed receive stopped a worker.</summary>
[Collection(WorkerCollection.Name)]
public sealed class ConsumerResilienceTests(WorkerFixture fixture)
{
    [Fact]
    public async Task Both_consumers_keep_running_while_every_storage_call_fails()
    {
        var failing = new StorageClients(StorageConnection.FromConfiguration(new ConfigurationBuilder().AddEnvironmentVariables().Build()) with { InjectedFaultRate = 1 });
        BackgroundService[] consumers =
        [
            new GenerateWorker(failing, fixture.Runtime, new ConceptCache(8), fixture.Metrics, fixture.Options, NullLogger<GenerateWorker>.Instance),
            new EncodeWorker(failing, fixture.Runtime, fixture.Metrics, fixture.Options, NullLogger<EncodeWorker>.Instance),
        ];
        foreach (var consumer in consumers) await consumer.StartAsync(default);

        await Task.Delay(TimeSpan.FromSeconds(3));

        Assert.All(consumers, consumer => Assert.False(consumer.ExecuteTask!.IsCompleted, consumer.ExecuteTask.Exception?.ToString()));
        foreach (var consumer in consumers) await consumer.StopAsync(default);
    }
}
