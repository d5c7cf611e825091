using CliRunner = Elite.Cli.Tests.Cli;

namespace Elite.Pipeline.Tests;

/// <summary>
/// The bounded fault run: real processes (an Azurite of its own, the functions host, two workers) broken while they
/// work, with SIGKILLs, failed storage calls and a failing webhook receiver. What a caller is promised must hold.
/// </summary>
[Collection(PipelineCollection.Name)]
public sealed class FaultRunTests
{
    [Fact]
    public async Task Under_worker_kills_storage_errors_and_a_failing_receiver_nothing_is_stuck_lost_or_duplicated_and_each_job_has_one_webhook()
    {
        var (exitCode, output, error) = await CliRunner.RunAsync(
            "bench", "faults", "--jobs", "4", "--tasks", "4", "--kills", "2", "--fault-rate", "0.02", "--restart-storage", "false", "--seconds", "170");

        Assert.True(exitCode == 0, output + error);
        Assert.Matches(@"faults: worker SIGKILLs\s+│ 2\s", output);
        Assert.Matches(@"stuck jobs\s+│ 0\s", output);
        Assert.Matches(@"lost tasks\s+│ 0\s", output);
        Assert.Matches(@"duplicated results\s+│ 0\s", output);
        Assert.Matches(@"webhooks per job \(min / max\)\s+│ 1 / 1\s", output);
        Assert.Matches(@"tasks counted once\s+│ 16\s", output);
    }
}
