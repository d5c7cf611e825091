using System.CommandLine;
using Elite.Contracts.Generation;
using Elite.Contracts.Imaging;
using Elite.Core.Storage;
using Elite.Inference.Concepts;
using Elite.Inference.Imaging;
using Elite.Inference.Text;
using Microsoft.Extensions.Configuration;

namespace Elite.Cli;

/// <summary>What the commands share: user errors as one line and exit code 2, storage from the environment, atomic file writes, the assets folder.</summary>
internal static class CommandHelpers
{
    public const int UserError = 2;
    public const int Cancelled = 130;

    /// <summary>Runs a command body; a mistake in the input is one line on stderr and exit code 2, a cancellation exit code 130.</summary>
    /// <summary><c>--scheduler</c>: one of the scheduler names, matched without case; absent means <paramref name="defaultDescription"/>.</summary>
    public static Option<SchedulerKind?> SchedulerOption(string defaultDescription) => new("--scheduler")
    {
        Description = $"{SchedulerNames.Listed} (default: {defaultDescription}).",
        CustomParser = result =>
        {
            if (SchedulerNames.TryParse(result.Tokens.Single().Value, out var kind)) return kind;
            result.AddError($"--scheduler takes {SchedulerNames.Listed}, not '{result.Tokens.Single().Value}'.");
            return null;
        },
    };

    public static int Guard(ParseResult parse, Func<int> body)
    {
        try
        {
            return body();
        }
        catch (OperationCanceledException)
        {
            parse.InvocationConfiguration.Error.WriteLine($"elite {parse.CommandResult.Command.Name}: cancelled.");
            return Cancelled;
        }
        catch (Exception e) when (e is ImageRejectedException or PromptException or ConceptFormatException or FormatException
            or FileNotFoundException or DirectoryNotFoundException or InvalidDataException or ArgumentException)
        {
            parse.InvocationConfiguration.Error.WriteLine($"elite {parse.CommandResult.Command.Name}: {e.Message}");
            return UserError;
        }
    }

    /// <summary>Clients of the storage that <c>EliteStorage</c> in the environment names; InvalidOperationException when it names none.</summary>
    public static StorageClients StorageFromEnvironment() =>
        new(StorageConnection.FromConfiguration(new ConfigurationBuilder().AddEnvironmentVariables().Build()));

    /// <summary>Writes through a temporary file and a rename, so an interrupted run never leaves a partial file.</summary>
    public static void WriteAtomically(string path, byte[] bytes)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
        var temporary = path + ".partial";
        File.WriteAllBytes(temporary, bytes);
        File.Move(temporary, path, overwrite: true);
    }

    /// <summary>A file of the project's assets/ folder (./run.sh setup), looked for above the working directory, then above the program.</summary>
    public static string AssetPath(string file)
    {
        foreach (var start in new[] { Environment.CurrentDirectory, AppContext.BaseDirectory })
        {
            for (var directory = new DirectoryInfo(start); directory is not null; directory = directory.Parent)
            {
                var candidate = Path.Combine(directory.FullName, "assets", file);
                if (File.Exists(candidate)) return candidate;
            }
        }

        throw new FileNotFoundException($"assets/{file} not found: run ./run.sh setup.");
    }
}
