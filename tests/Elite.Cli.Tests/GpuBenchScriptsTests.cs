using System.Diagnostics;

namespace Elite.Cli.Tests;

/// <summary>
/// bench/gpu/prepare.sh and run-on-device.sh, dry-run on this CPU with the tiny pack, so the scripts
/// for the GPU machine cannot rot between the rare sessions that have one: the benchmark table and the
/// before/after rows (explicit vs fused attention, host vs device binding).
/// </summary>
public sealed class GpuBenchScriptsTests
{
    [Fact]
    public void Prepare_then_dry_run_prints_the_benchmark_table_from_chunks_within_the_limits()
    {
        var root = Repository.Root;
        var work = Directory.CreateTempSubdirectory("elite-gpu-bench-");
        try
        {
            var chunks = Path.Combine(work.FullName, "chunks");
            var prepare = Bash(root, $"bench/gpu/prepare.sh '{chunks}'", ("ORT_FLAVOR", "Cpu"));
            Assert.True(prepare.ExitCode == 0, prepare.Output);
            var parts = Directory.GetFiles(chunks, "elite-bench.tar.xz.part*");
            Assert.NotEmpty(parts);
            Assert.All(parts, part => Assert.True(new FileInfo(part).Length <= 60L << 20, $"{part} is over 60 MiB"));
            Assert.True(File.Exists(Path.Combine(chunks, "SHA256SUMS")));

            var logs = Path.Combine(work.FullName, "logs");
            var run = Bash(root, $"bench/gpu/run-on-device.sh --dry-run '{chunks}' '{logs}'", ("ELITE_BENCH_WORK", Path.Combine(work.FullName, "device")));
            Assert.True(run.ExitCode == 0, run.Output);
            var summary = File.ReadAllText(Path.Combine(logs, "summary.txt"));
            Assert.Contains("per concept", summary);
            Assert.Contains("outside ORT", summary);
            Assert.Matches(@"│ 2\s+│", summary);
            Assert.Contains("explicit: pack tiny-", summary);
            Assert.Contains("fused attention", summary);
            Assert.Contains("time ÷ explicit", summary);
            Assert.Contains("time ÷ host", summary);
            Assert.Matches(@"│ device\s+│", summary);

            File.AppendAllText(parts[0], "x");
            var damaged = Bash(root, $"bench/gpu/run-on-device.sh --dry-run '{chunks}' '{logs}'", ("ELITE_BENCH_WORK", Path.Combine(work.FullName, "device")));
            Assert.NotEqual(0, damaged.ExitCode);
            Assert.Contains("damaged", damaged.Output);
        }
        finally
        {
            work.Delete(recursive: true);
        }
    }

    private static (int ExitCode, string Output) Bash(string directory, string command, params (string Name, string Value)[] environment)
    {
        var start = new ProcessStartInfo("bash", ["-c", command + " 2>&1"]) { WorkingDirectory = directory, RedirectStandardOutput = true };
        foreach (var (name, value) in environment) start.Environment[name] = value;
        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEnd();
        process.WaitForExit();
        return (process.ExitCode, output);
    }
}
