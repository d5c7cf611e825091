using Elite.Core.Configuration;

namespace Elite.Cli.LocalStack;

/// <summary>The repository and the solution's built programs, for the bench runs that start them as processes.</summary>
internal static class LocalPrograms
{
    public const string Functions = "functions/Elite.Functions.LocalHost";
    public const string Worker = "gpu-worker/Elite.Worker";

    /// <summary>The repository this CLI runs from (the folder holding Elite.Pipeline.sln).</summary>
    public static string RepositoryRoot()
    {
        foreach (var start in new[] { Environment.CurrentDirectory, AppContext.BaseDirectory })
        {
            for (var directory = new DirectoryInfo(start); directory is not null; directory = directory.Parent)
            {
                if (File.Exists(Path.Combine(directory.FullName, "Elite.Pipeline.sln"))) return directory.FullName;
            }
        }

        throw new InvalidOperationException("the repository (Elite.Pipeline.sln) was not found above the working directory.");
    }

    /// <summary>The built assembly of <paramref name="project"/>, in the configuration this CLI runs in.</summary>
    public static string Assembly(string root, string project)
    {
        var configuration = AppContext.BaseDirectory.Contains($"{Path.DirectorySeparatorChar}Debug{Path.DirectorySeparatorChar}", StringComparison.Ordinal) ? "Debug" : "Release";
        var bin = Path.Combine(root, project, "bin", configuration, "net10.0");
        var assembly = Path.GetFileName(project) + ".dll";
        var path = new[] { Path.Combine(bin, assembly), Path.Combine(bin, "linux-x64", assembly) }.FirstOrDefault(File.Exists);
        return path ?? throw new InvalidOperationException($"{assembly} is not built in {bin}: run ./run.sh setup first.");
    }

    /// <summary>The settings of a CPU worker process on a model pack, taking batches of up to <paramref name="maxBatch"/> tasks.</summary>
    public static Dictionary<string, string> WorkerSettings(string pack, int maxBatch) => new()
    {
        [AppSettings.WorkerPackDirectory] = pack,
        [AppSettings.WorkerVocabularyPath] = CommandHelpers.AssetPath("bpe_simple_vocab_16e6.txt"),
        [AppSettings.WorkerMaskModelPath] = CommandHelpers.AssetPath("u2netp.onnx"),
        [AppSettings.WorkerUseCuda] = "false",
        [AppSettings.WorkerMaxBatch] = $"{maxBatch}",
        [WorkerSetting(nameof(WorkerOptions.MaxWaitMs))] = "200",
    };

    public static string WorkerSetting(string name) => WorkerOptions.SectionName + AppSettings.SectionSeparator + name;
}
