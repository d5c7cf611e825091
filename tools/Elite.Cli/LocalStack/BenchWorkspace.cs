using Elite.Contracts.Packs;
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

    /// <summary>A run that passed leaves nothing behind; a failed one keeps its logs.</summary>
    public void Delete() => Directory.Delete(Folder, recursive: true);

    public ValueTask DisposeAsync() => Azurite.DisposeAsync();
}
