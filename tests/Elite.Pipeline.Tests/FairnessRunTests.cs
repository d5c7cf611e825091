using CliRunner = Elite.Cli.Tests.Cli;

namespace Elite.Pipeline.Tests;

/// <summary>
/// The bounded fairness run: real processes (an Azurite of its own, the functions host, one worker); a small job submitted
/// behind a large one must start with the next batch, not after the large job. Counts are asserted, never times.
/// </summary>
[Collection(PipelineCollection.Name)]
public sealed class FairnessRunTests
{
    [Fact]
    public async Task A_small_job_behind_a_large_one_starts_with_the_next_batch_with_two_lanes_and_waits_behind_it_with_one()
    {
        var (exitCode, output, error) = await CliRunner.RunAsync(
            "bench", "fairness", "--large", "80", "--small", "2", "--batch", "2", "--steps", "1", "--one-lane-wait", "5");

        Assert.True(exitCode == 0, output + error);
        var ahead = System.Text.RegularExpressions.Regex.Match(output, @"small job: tasks ahead in its lane when queued\s+│ (\d+)\s+│ (\d+)\s");
        Assert.True(ahead.Success, output);
        Assert.InRange(int.Parse(ahead.Groups[1].Value), 60, 80); // one lane: behind what is left of the large job
        Assert.Equal("0", ahead.Groups[2].Value);                 // two lanes: nothing ahead of it
        Assert.Contains("with two lanes the small job started with the next batch", output);
    }
}
