namespace Elite.Cli.Tests;

/// <summary><c>elite storage init</c> against the Azurite that <c>./run.sh test</c> names in <c>EliteStorage</c>.</summary>
public sealed class StorageCommandTests
{
    [Fact]
    public async Task Storage_init_lists_every_resource_and_can_run_again()
    {
        var first = await Cli.RunAsync("storage", "init");
        var second = await Cli.RunAsync("storage", "init");

        Assert.Equal((0, ""), (first.ExitCode, first.Error));
        Assert.Equal((0, ""), (second.ExitCode, second.Error));
        var lines = second.Output.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(18, lines.Length); // 5 containers (with event-dead-letters), 9 queues (two generate lanes, concept events), 4 tables (with Workers)
        Assert.All(lines, line => Assert.EndsWith("exists", line));
        Assert.Contains(lines, line => line.StartsWith("queue") && line.Contains("generate-poison"));
    }

    [Fact]
    public async Task Version_is_printed()
    {
        var result = await Cli.RunAsync("--version");
        Assert.Equal(0, result.ExitCode);
        Assert.Matches(@"^\d+\.\d+\.\d+", result.Output);
    }
}
