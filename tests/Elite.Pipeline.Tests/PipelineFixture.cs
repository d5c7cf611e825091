using Elite.Core;
using Elite.Cli;
using Elite.Core.Storage;
using Elite.Core.Webhooks;
using Elite.Functions.LocalHost;
using Elite.ModelBuilder.Packs;
using Elite.ModelBuilder.Weights;
using Elite.Worker;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.Configuration;

namespace Elite.Pipeline.Tests;

/// <summary>
/// The whole pipeline in this process, as <c>./run.sh demo</c> runs it in three: the functions on the local
/// WebJobs host, the worker on CPU with a tiny pack, and a webhook receiver that verifies signatures, on the
/// Azurite of <c>./run.sh test</c> (EliteStorage). The upload containers and the queues start empty: they are the
/// real, shared names.
/// </summary>
public sealed class PipelineFixture : IAsyncLifetime
{
    private readonly DirectoryInfo pack = Directory.CreateTempSubdirectory("elite-pipeline-pack-");
    private WebApplication? functions;
    private WebApplication? worker;

    public PipelineFixture()
    {
        Clients = new StorageClients(StorageConnection.FromConfiguration(new ConfigurationBuilder().AddEnvironmentVariables().Build()));
        FunctionsUrl = new Uri($"http://127.0.0.1:{LoopbackPort.Free()}");
        Api = new PipelineApi(FunctionsUrl, functionKey: null);
        Webhooks = new WebhookReceiver(new WebhookVerifier(Secret));
    }

    public StorageClients Clients { get; }
    public string Secret { get; } = WebhookSecret.Generate();
    public Uri FunctionsUrl { get; }
    internal PipelineApi Api { get; }
    internal WebhookReceiver Webhooks { get; }

    public async Task InitializeAsync()
    {
        await new StorageInitializer(Clients).InitializeAsync();
        // A fresh functions host triggers on every blob it has no receipt for: uploads that earlier test assemblies
        // left would be registered and encoded again, ahead of these tests' own.
        foreach (var container in new[] { StorageNames.Containers.Concepts, StorageNames.Containers.Jobs })
        {
            await foreach (var blob in Clients.Container(container).GetBlobsAsync()) await Clients.Container(container).DeleteBlobAsync(blob.Name);
        }

        foreach (var queue in StorageNames.Queues.All) await Clients.Queue(queue).ClearMessagesAsync();
        PackBuilder.Build(ElitePreset.Tiny, new RandomWeights(5), "random (seed 5)", pack.FullName);

        functions = LocalFunctionsHost.Build(
            ["--urls", FunctionsUrl.ToString(), $"--Webhooks:SigningSecret={Secret}", "--Webhooks:AllowPrivateAddresses=true", "--Logging:LogLevel:Default=Warning"]);
        worker = WorkerHost.Build(
        [
            "--urls", $"http://127.0.0.1:{LoopbackPort.Free()}",
            $"--Worker:PackDirectory={pack.FullName}",
            $"--Worker:VocabularyPath={CommandHelpers.AssetPath("bpe_simple_vocab_16e6.txt")}",
            $"--Worker:MaskModelPath={CommandHelpers.AssetPath("u2netp.onnx")}",
            "--Worker:UseCuda=false",
            "--Worker:MaxBatch=4",
            "--Worker:MaxWaitMs=300",
            "--Worker:ConceptNotReadyRetrySeconds=2",
            "--Logging:LogLevel:Default=Warning",
        ]);
        await functions.StartAsync();
        await worker.StartAsync();
    }

    public async Task DisposeAsync()
    {
        if (worker is not null) await worker.DisposeAsync();
        if (functions is not null) await functions.DisposeAsync();
        Api.Dispose();
        await Webhooks.DisposeAsync();
        pack.Delete(recursive: true);
    }
}

[CollectionDefinition(Name)]
public sealed class PipelineCollection : ICollectionFixture<PipelineFixture>
{
    public const string Name = "pipeline";
}
