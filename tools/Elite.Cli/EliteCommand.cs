using System.CommandLine;

namespace Elite.Cli;

/// <summary>The <c>elite</c> command tree.</summary>
internal static class EliteCommand
{
    public static RootCommand Create() =>
        new("elite: ELITE concept encoding and image generation, locally and on the Azure pipeline.")
        {
            StorageCommand.Create(),
            ModelsCommand.Create(),
            EncodeCommand.Create(),
            GenerateCommand.Create(),
            BenchCommand.Create(),
            JobsCommand.Create(),
            ConceptsCommand.Create(),
            DemoCommand.Create(),
        };
}
