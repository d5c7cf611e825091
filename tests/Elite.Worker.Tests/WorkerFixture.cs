using Elite.Core.Configuration;
using Elite.Core.Storage;
using Elite.ModelBuilder.Packs;
using Elite.ModelBuilder.Weights;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using System.Diagnostics.Metrics;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace Elite.Worker.Tests;

/// <summary>
/// The worker's parts against the Azurite of <c>./run.sh test</c> (EliteStorage) and a tiny pack.
/// Every test empties the worker's queues first: they are the real, shared queue names.
/// </summary>
public sealed class WorkerFixture : IDisposable
{
    private readonly DirectoryInfo pack = Directory.CreateTempSubdirectory("elite-worker-pack-");
    private readonly ServiceProvider services = new ServiceCollection().AddMetrics().BuildServiceProvider();

    public WorkerFixture()
    {
        Clients = new StorageClients(StorageConnection.FromConfiguration(new ConfigurationBuilder().AddEnvironmentVariables().Build()));
        new StorageInitializer(Clients).InitializeAsync().GetAwaiter().GetResult();
        PackBuilder.Build(ElitePreset.Tiny, new RandomWeights(11), "random (seed 11)", pack.FullName);
        Options = Microsoft.Extensions.Options.Options.Create(NewOptions());
        Runtime = new WorkerRuntime(Options, NullLogger<WorkerRuntime>.Instance);
        Metrics = new WorkerMetrics(services.GetRequiredService<IMeterFactory>());
    }

    public StorageClients Clients { get; }
    public IOptions<WorkerOptions> Options { get; }
    public WorkerRuntime Runtime { get; }
    public WorkerMetrics Metrics { get; }

    public EncodeWorker EncodeWorker() => new(Clients, Runtime, Metrics, Options, NullLogger<EncodeWorker>.Instance);

    public GenerateWorker GenerateWorker() => new(Clients, Runtime, new ConceptCache(8), Metrics, Options, NullLogger<GenerateWorker>.Instance);

    /// <summary>A generate consumer with its own metrics and these changes to the options.</summary>
    public (GenerateWorker Worker, WorkerMetrics Metrics) GenerateWorker(Action<WorkerOptions> change)
    {
        var options = NewOptions();
        change(options);
        var metrics = new WorkerMetrics(services.GetRequiredService<IMeterFactory>());
        return (new(Clients, Runtime, new ConceptCache(8), metrics, Microsoft.Extensions.Options.Options.Create(options), NullLogger<GenerateWorker>.Instance), metrics);
    }

    /// <summary>The tests' worker settings on this fixture's pack.</summary>
    private WorkerOptions NewOptions() => new()
    {
        PackDirectory = pack.FullName,
        VocabularyPath = Asset("bpe_simple_vocab_16e6.txt"),
        MaskModelPath = Asset("u2netp.onnx"),
        MaxBatch = 4,
        MaxWaitMs = 200,
        VisibilitySeconds = 20,
        ConceptNotReadyRetrySeconds = 2,
        MaxDequeueCount = 3,
        UseCuda = false,
    };

    public static string Asset(string file)
    {
        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            var candidate = Path.Combine(directory.FullName, "assets", file);
            if (File.Exists(candidate)) return candidate;
        }

        throw new FileNotFoundException($"assets/{file}: run ./run.sh setup first.");
    }

    public void Dispose()
    {
        Runtime.Dispose();
        services.Dispose();
        pack.Delete(recursive: true);
    }
}

[CollectionDefinition(Name)]
public sealed class WorkerCollection : ICollectionFixture<WorkerFixture>
{
    public const string Name = "worker queues";
}
