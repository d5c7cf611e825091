using System.CommandLine;
using Azure;
using Elite.Core.Storage;

namespace Elite.Cli;

/// <summary><c>elite storage init</c>: creates the pipeline's containers, queues and tables.</summary>
internal static class StorageCommand
{
    public static Command Create()
    {
        var init = new Command("init", $"Create every container, queue and table the pipeline uses (idempotent). Reads the {StorageConnection.SettingName} setting from the environment.");
        init.SetAction((parse, cancellationToken) => InitAsync(parse.InvocationConfiguration.Output, parse.InvocationConfiguration.Error, cancellationToken));
        return new Command("storage", "Azure Storage (or Azurite) used by the pipeline.") { init };
    }

    private static async Task<int> InitAsync(TextWriter output, TextWriter error, CancellationToken cancellationToken)
    {
        try
        {
            var clients = CommandHelpers.StorageFromEnvironment();
            var resources = await new StorageInitializer(clients).InitializeAsync(cancellationToken);
            foreach (var resource in resources)
            {
                await output.WriteLineAsync($"{resource.Kind,-9} {resource.Name,-16} {(resource.Created ? "created" : "exists")}");
            }

            return 0;
        }
        catch (Exception e) when (e is InvalidOperationException or RequestFailedException or AggregateException)
        {
            await error.WriteLineAsync($"elite storage init: {e.Message}");
            return 1;
        }
    }
}
