using System.Reflection;
using Elite.Core;
using Elite.Core.Messages;
using Elite.Core.Rows;
using Elite.Core.Storage;
using Elite.Core.Webhooks;
using Elite.Functions.LocalHost;
using Microsoft.Extensions.Configuration;
using Isolated = Microsoft.Azure.Functions.Worker;
using WebJobs = Microsoft.Azure.WebJobs;

namespace Elite.Functions.Tests;

/// <summary>The local host runs the same functions with the same triggers as the Azure Functions app.</summary>
[Collection(ConceptUploadsCollection.Name)]
public sealed class LocalHostTests
{
    [Fact]
    public void The_local_host_declares_exactly_the_triggers_of_the_functions_app()
    {
        var isolated = typeof(JobFunctions).Assembly.GetTypes().SelectMany(t => t.GetMethods())
            .Select(m => (Function: m.GetCustomAttribute<Isolated.FunctionAttribute>()?.Name, Method: m))
            .Where(f => f.Function is not null)
            .Select(f => Describe(f.Function!, f.Method.GetParameters().SelectMany(p => p.GetCustomAttributes()).Single(a => a.GetType().Name.EndsWith("TriggerAttribute", StringComparison.Ordinal))))
            .Order(StringComparer.Ordinal);

        var local = typeof(LocalTriggers).GetMethods()
            .Select(m => (Function: m.GetCustomAttribute<WebJobs.FunctionNameAttribute>()?.Name, Method: m))
            .Where(f => f.Function is not null)
            .Select(f => Describe(f.Function!, f.Method.GetParameters().SelectMany(p => p.GetCustomAttributes()).Single(a => a.GetType().Name.EndsWith("TriggerAttribute", StringComparison.Ordinal))))
            .Concat(LocalHttpRoutes.All.Select(r => $"{r.Function} http {r.Method} {r.Template}"))
            .Concat(LocalTimers.All.Select(t => $"{t.Function} timer {t.Schedule}"))
            .Order(StringComparer.Ordinal);

        Assert.Equal(isolated, local);
        Assert.Equal(17, local.Count());
    }

    [Fact]
    public async Task An_uploaded_photo_is_registered_and_queued_for_encoding_through_the_polling_blob_trigger()
    {
        var clients = new StorageClients(StorageConnection.FromConfiguration(new ConfigurationBuilder().AddEnvironmentVariables().Build()));
        await new StorageInitializer(clients).InitializeAsync();
        // A fresh host registers every upload it has no receipt for: photos other test assemblies left would flood the
        // encode queue ahead of this one (the peek below sees 32 messages).
        var uploads = clients.Container(StorageNames.Containers.Concepts);
        await foreach (var left in uploads.GetBlobsAsync()) await uploads.DeleteBlobAsync(left.Name);
        await clients.Queue(StorageNames.Queues.Encode).ClearMessagesAsync();
        await using var host = LocalFunctionsHost.Build(["--urls", $"http://127.0.0.1:{LoopbackPort.Free()}", "--Webhooks:AllowPrivateAddresses=true", $"--Webhooks:SigningSecret={WebhookSecret.Generate()}"]);
        await host.StartAsync();

        var conceptId = "local-" + Guid.NewGuid().ToString("N")[..10];
        await clients.Container(StorageNames.Containers.Concepts).GetBlobClient(BlobPaths.ConceptFile(conceptId, "photo.png"))
            .UploadAsync(new BinaryData(await File.ReadAllBytesAsync(TestAssets.Path("chelsea.png"))));

        // The row is written before the encode request is sent, and marked EncodeRequested after: wait for the mark.
        ConceptRow? row = null;
        for (var attempt = 0; attempt < 120 && row is not { EncodeRequested: true }; attempt++)
        {
            await Task.Delay(500);
            var found = await clients.Table(StorageNames.Tables.Concepts).GetEntityIfExistsAsync<ConceptRow>(conceptId, ConceptRow.RowKeyValue);
            row = found.HasValue ? found.Value : null;
        }

        Assert.NotNull(row);
        Assert.Equal(ConceptStatus.Pending, row.Status);
        var queued = (await clients.Queue(StorageNames.Queues.Encode).PeekMessagesAsync(32)).Value
            .Select(m => QueueMessages.Deserialize<EncodeRequest>(m.Body.ToString()));
        Assert.Contains(queued, r => r.ConceptId == conceptId);
    }

    private static string Describe(string function, Attribute trigger) => trigger switch
    {
        Isolated.BlobTriggerAttribute blob => $"{function} blob {blob.BlobPath}",
        Isolated.QueueTriggerAttribute queue => $"{function} queue {queue.QueueName}",
        Isolated.HttpTriggerAttribute http => $"{function} http {string.Join(",", http.Methods ?? [])} {http.Route}",
        WebJobs.BlobTriggerAttribute blob => $"{function} blob {blob.BlobPath}",
        WebJobs.QueueTriggerAttribute queue => $"{function} queue {queue.QueueName}",
        Isolated.TimerTriggerAttribute timer => $"{function} timer {timer.Schedule}",
        _ => throw new InvalidOperationException($"unexpected trigger {trigger.GetType()}"),
    };
}

/// <summary>
/// Tests that write into the shared <c>concepts</c> container, run one after another: the local host's polling blob
/// trigger would otherwise register another test's uploads (and bring back a concept that test just deleted).
/// </summary>
[CollectionDefinition(Name)]
public sealed class ConceptUploadsCollection
{
    public const string Name = "concept uploads";
}
