using Elite.Core.Messages;
using Elite.Core.Storage;
using Microsoft.Extensions.Configuration;

namespace Elite.Cli.Tests;

/// <summary><c>elite bench ingest</c> (its own tool, elite-bench-ingest) on the Azurite of <c>./run.sh test</c>.</summary>
public sealed class BenchIngestCommandTests
{
    [Fact]
    public async Task Ingestion_is_timed_through_the_functions_host_and_leaves_no_task_behind()
    {
        var (exitCode, output, error) = await RunAsync("--rows", "300");

        Assert.True(exitCode == 0, output + error);
        Assert.Matches(@"│ 300\s+│ 300\s+│", output);
        Assert.Contains("tasks/s", output);
        Assert.Contains("removed 300 generate messages", output);
        var jobId = System.Text.RegularExpressions.Regex.Match(output, @"CSV job (\S+) on").Groups[1].Value;
        var clients = new StorageClients(StorageConnection.FromConfiguration(new ConfigurationBuilder().AddEnvironmentVariables().Build()));
        var left = (await clients.Queue(StorageNames.Queues.GenerateBulk).PeekMessagesAsync(32)).Value;
        Assert.DoesNotContain(left, m => QueueMessages.Deserialize<GenerateTask>(m.Body.ToString()).JobId == jobId);
    }

    [Fact]
    public async Task A_row_count_outside_the_csv_limit_is_refused()
    {
        var (exitCode, _, error) = await RunAsync("--rows", "0");
        Assert.Equal((2, true), (exitCode, error.Contains("--rows")));
    }

    private static async Task<(int ExitCode, string Output, string Error)> RunAsync(params string[] args)
    {
        StringWriter output = new(), error = new();
        var exitCode = await Elite.Bench.Ingest.BenchIngestCommand.Create().Parse(args).InvokeAsync(new System.CommandLine.InvocationConfiguration { Output = output, Error = error });
        return (exitCode, output.ToString(), error.ToString());
    }
}
