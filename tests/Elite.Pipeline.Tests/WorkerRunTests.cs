using System.Text.RegularExpressions;
using CliRunner = Elite.Cli.Tests.Cli;

namespace Elite.Pipeline.Tests;

/// <summary>
/// The bounded worker run: real processes (an Azurite of its own, the functions host, a worker per arm), the same job one
/// batch at a time and pipelined. Counts are asserted, never times: the duty cycle is for a person to read.
/// </summary>
[Collection(PipelineCollection.Name)]
public sealed class WorkerRunTests
{
    [Fact]
    public async Task Both_arms_generate_every_image_in_the_same_calls_and_report_their_duty_cycle()
    {
        var (exitCode, output, error) = await CliRunner.RunAsync("bench", "worker", "--tasks", "4", "--batch", "2", "--steps", "1");

        Assert.True(exitCode == 0, output + error);
        Assert.Matches(new Regex(@"generation calls\s+│ 2\s+│ 2\s"), output);
        Assert.Matches(new Regex(@"images\s+│ 4\s+│ 4\s"), output);
        Assert.Matches(new Regex(@"accelerator duty cycle \(%\)\s+│ \d+\.\d\s+│ \d+\.\d\s"), output);
        Assert.Contains("both arms generated every image", output);
    }
}
