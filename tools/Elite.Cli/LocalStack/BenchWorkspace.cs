using System.Diagnostics;
using Elite.Contracts.Packs;
using Elite.Core.Rows;
using Elite.Core.Storage;
using Elite.ModelBuilder.Packs;
using Elite.ModelBuilder.Weights;

namespace Elite.Cli.LocalStack;

/// <summary>
/// The scratch space of a bench run on real processes, under one temporary folder: an Azurite of its own with the
/// pipeline's containers, queues and tables, a tiny model pack (random weights) and the processes' logs.
/// </summary>
internal sealed class BenchWorkspace : IAsyncDisposable
{
    private BenchWorkspace(string folder, LocalAzurite azurite)
    {
        (Folder, Azurite) = (folder, azurite);
        Clients = new StorageClients(new StorageConnection { ConnectionString = azurite.ConnectionString });
    }

    public string Root { get; } = LocalPrograms.RepositoryRoot();
    public string Folder { get; }
    public string Logs => Path.Combine(Folder, "logs");
    public string Pack => Path.Combine(Folder, "pack");
    public LocalAzurite Azurite { get; }
    public StorageClients Clients { get; }

    public static async Task<BenchWorkspace> StartAsync(string name, CancellationToken cancellationToken)
    {
        var folder = Directory.CreateTempSubdirectory($"elite-{name}-").FullName;
        var workspace = new BenchWorkspace(folder, await LocalAzurite.StartAsync(LocalPrograms.RepositoryRoot(), Path.Combine(folder, "azurite"), cancellationToken));
        Directory.CreateDirectory(workspace.Logs);
        await new StorageInitializer(workspace.Clients).InitializeAsync(cancellationToken);
        PackBuilder.Build(ElitePreset.Tiny, new RandomWeights(1), "random (seed 1)", workspace.Pack);
        return workspace;
    }

    /// <summary>The settings every process of the run shares: its storage, and logs of warnings and worse.</summary>
    public Dictionary<string, string> StorageSettings() => new()
    {
        [StorageConnection.SettingName] = Azurite.ConnectionString,
        ["Logging__LogLevel__Default"] = "Warning",
    };

    /// <summary>Uploads chelsea.png as <paramref name="conceptId"/>'s photo and waits until a worker has encoded it.</summary>
    public async Task<string> AddConceptAsync(PipelineApi api, string conceptId, CancellationToken cancellationToken)
    {
        await Clients.Container(StorageNames.Containers.Concepts).GetBlobClient(BlobPaths.ConceptFile(conceptId, "photo.png"))
            .UploadAsync(CommandHelpers.AssetPath("chelsea.png"), cancellationToken);
        var concept = await api.WaitForConceptAsync(conceptId, TimeSpan.FromMilliseconds(500), cancellationToken);
        return concept.Status == ConceptStatus.Ready ? conceptId : throw new InvalidOperationException($"the run's concept is {concept.Status}: {concept.Reason}");
    }

    /// <summary>The job's row once <paramref name="done"/> holds for it, read from the table every 100 ms.</summary>
    public async Task<JobRow> WaitForJobAsync(string jobId, Func<JobRow, bool> done, CancellationToken cancellationToken)
    {
        while (true)
        {
            if (await Clients.Table(StorageNames.Tables.Jobs).GetOrDefaultAsync<JobRow>(jobId, JobRow.RowKeyValue, cancellationToken) is { } job && done(job)) return job;
            await Task.Delay(TimeSpan.FromMilliseconds(100), cancellationToken);
        }
    }

    /// <summary>Waits until the functions host answers (its start takes a few seconds).</summary>
    public static async Task WaitForApiAsync(PipelineApi api, CancellationToken cancellationToken)
    {
        var patience = Stopwatch.StartNew();
        while (true)
        {
            try
            {
                await api.GetStatusAsync(cancellationToken);
                return;
            }
            catch (HttpRequestException) when (patience.Elapsed < TimeSpan.FromMinutes(2))
            {
                await Task.Delay(TimeSpan.FromMilliseconds(500), cancellationToken);
            }
        }
    }

    /// <summary>A run that passed leaves nothing behind; a failed one keeps its logs.</summary>
    public void Delete() => Directory.Delete(Folder, recursive: true);

    public ValueTask DisposeAsync() => Azurite.DisposeAsync();
}
