using System.CommandLine;
using System.Net;

namespace Elite.Cli;

/// <summary>What every command that calls the functions' HTTP API shares: where the API is, its key, and how its answers become exit codes.</summary>
internal static class ApiCommand
{
    public const string ApiVariable = "ELITE_API";
    public const string KeyVariable = "ELITE_API_KEY";

    public static (Option<string?> Api, Option<string?> Key) Options() =>
    (
        new Option<string?>("--api") { Description = $"The functions' base URL, e.g. http://127.0.0.1:7071 (default: ${ApiVariable}).", DefaultValueFactory = _ => Environment.GetEnvironmentVariable(ApiVariable) },
        new Option<string?>("--key") { Description = $"The function key in Azure (default: ${KeyVariable}).", DefaultValueFactory = _ => Environment.GetEnvironmentVariable(KeyVariable) }
    );

    /// <summary>Runs a command with an API client; the API's refusals are user errors (exit 2) with every problem it named.</summary>
    public static async Task<int> GuardAsync(ParseResult parse, Option<string?> api, Option<string?> key, CancellationToken cancellationToken, Func<PipelineApi, Task<int>> body)
    {
        var error = parse.InvocationConfiguration.Error;
        var name = $"elite {parse.CommandResult.Command.Parents.OfType<Command>().First().Name} {parse.CommandResult.Command.Name}";
        if (!Uri.TryCreate(parse.GetValue(api), UriKind.Absolute, out var url) || url.Scheme is not ("http" or "https"))
        {
            await error.WriteLineAsync($"{name}: give --api (or set {ApiVariable}) as the functions' http(s) base URL.");
            return CommandHelpers.UserError;
        }

        using var client = new PipelineApi(url, parse.GetValue(key));
        try
        {
            return await body(client);
        }
        catch (PipelineApiException e)
        {
            await error.WriteLineAsync($"{name}: the API answered {(int)e.Status} {e.Status}:");
            foreach (var problem in e.Errors.Errors) await error.WriteLineAsync($"  {problem}");
            return (int)e.Status < 500 && e.Status != HttpStatusCode.TooManyRequests ? CommandHelpers.UserError : 1; // the service's trouble is not the user's mistake
        }
        catch (HttpRequestException e)
        {
            await error.WriteLineAsync($"{name}: could not reach {client.BaseAddress}: {e.Message}");
            return 1;
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            await error.WriteLineAsync($"{name}: cancelled.");
            return CommandHelpers.Cancelled;
        }
        catch (TaskCanceledException)
        {
            await error.WriteLineAsync($"{name}: {client.BaseAddress} did not answer within {PipelineApi.Timeout.TotalSeconds:F0} s.");
            return 1;
        }
        catch (Exception e) when (e is ArgumentException or FormatException or FileNotFoundException or InvalidDataException)
        {
            await error.WriteLineAsync($"{name}: {e.Message}");
            return CommandHelpers.UserError;
        }
    }
}
