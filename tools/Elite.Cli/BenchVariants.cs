using System.CommandLine.Parsing;
using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using Spectre.Console;

namespace Elite.Cli;

/// <summary>One side of a comparison: a label and the options (pack and runtime) its runs get, e.g. <c>fused=--models packs/tiny</c>.</summary>
internal sealed record BenchVariant(string Label, IReadOnlyList<string> Options)
{
    /// <exception cref="ArgumentException">Not LABEL=OPTIONS.</exception>
    public static BenchVariant Parse(string text)
    {
        var split = text.IndexOf('=', StringComparison.Ordinal);
        if (split <= 0 || split == text.Length - 1) throw new ArgumentException($"--variant takes LABEL=OPTIONS, e.g. \"fused=--models packs/tiny\", not '{text}'.");
        return new BenchVariant(text[..split].Trim(), [.. CommandLineParser.SplitCommandLine(text[(split + 1)..])]);
    }
}

/// <summary>What one child run measured: one batch on one variant, and the process's peak resident memory.</summary>
internal sealed record BenchMeasurement(
    string Pack,
    string Dtype,
    string Attention,
    string Provider,
    string Binding,
    int Batch,
    int Steps,
    double SecondsPerImage,
    double UNetSecondsPerStep,
    double OutsideShare,
    long PeakResidentBytes)
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    public void Save(string path) => File.WriteAllText(path, JsonSerializer.Serialize(this, Json));

    public static BenchMeasurement Load(string path) =>
        JsonSerializer.Deserialize<BenchMeasurement>(File.ReadAllText(path), Json) ?? throw new InvalidDataException($"{path} is empty.");

    /// <summary>The most memory this process has held resident since it started (on Linux, VmHWM of /proc/self/status).</summary>
    public static long PeakResidentBytesOfThisProcess()
    {
        using var self = Process.GetCurrentProcess();
        return self.PeakWorkingSet64;
    }
}

/// <summary>
/// Runs every (variant, batch size) of a comparison in its own child <c>elite bench generate</c>
/// process, so each peak resident memory is that run's alone (a process's peak never goes down), and
/// prints the variants side by side with their ratios to the first.
/// </summary>
internal static class BenchVariants
{
    public static int Run(IReadOnlyList<BenchVariant> variants, IReadOnlyList<int> sizes, IReadOnlyList<string> shared, TextWriter output, CancellationToken cancellationToken)
    {
        var results = new BenchMeasurement[variants.Count, sizes.Count];
        for (var v = 0; v < variants.Count; v++)
        {
            for (var s = 0; s < sizes.Count; s++)
            {
                results[v, s] = RunChild(variants[v], sizes[s], shared, cancellationToken);
            }
        }

        foreach (var (variant, v) in variants.Select((variant, v) => (variant, v)))
        {
            var r = results[v, 0];
            output.WriteLine($"{variant.Label}: pack {r.Pack} ({r.Dtype}, {r.Attention} attention) on {r.Provider}, UNet inputs bound on the {r.Binding}, {r.Steps} steps");
        }

        var first = variants[0].Label;
        var table = new Table().AddColumns("batch", "variant", "s/image", "UNet s/step", "peak RSS", $"time ÷ {first}", $"peak ÷ {first}");
        for (var s = 0; s < sizes.Count; s++)
        {
            var baseline = results[0, s];
            for (var v = 0; v < variants.Count; v++)
            {
                var r = results[v, s];
                table.AddRow(
                    v == 0 ? sizes[s].ToString(CultureInfo.InvariantCulture) : "",
                    variants[v].Label,
                    $"{r.SecondsPerImage:F3}",
                    $"{r.UNetSecondsPerStep:F3}",
                    $"{r.PeakResidentBytes / 1e9:F2} GB",
                    $"{r.SecondsPerImage / baseline.SecondsPerImage:F2}",
                    $"{(double)r.PeakResidentBytes / baseline.PeakResidentBytes:F2}");
            }
        }

        var console = AnsiConsole.Create(new AnsiConsoleSettings { Out = new AnsiConsoleOutput(output) });
        console.Profile.Width = Math.Max(console.Profile.Width, 120); // a log file is not a terminal: keep the headers on one line
        console.Write(table);
        output.WriteLine("each cell is one child process (pack load, a 1-step warm-up, one timed batch); peak RSS is its VmHWM, host memory only");
        return 0;
    }

    private static BenchMeasurement RunChild(BenchVariant variant, int batch, IReadOnlyList<string> shared, CancellationToken cancellationToken)
    {
        var resultFile = Path.Combine(Path.GetTempPath(), $"elite-bench-{Guid.NewGuid():N}.json");
        var start = SelfStartInfo();
        foreach (var argument in (string[])["bench", "generate", "--batch", batch.ToString(CultureInfo.InvariantCulture), .. shared, "--result-file", resultFile, .. variant.Options])
        {
            start.ArgumentList.Add(argument);
        }

        try
        {
            using var process = Process.Start(start) ?? throw new InvalidOperationException($"could not start {start.FileName}");
            using var kill = cancellationToken.Register(() => process.Kill(entireProcessTree: true));
            var stdout = process.StandardOutput.ReadToEndAsync(CancellationToken.None);
            var stderr = process.StandardError.ReadToEnd();
            process.WaitForExit();
            cancellationToken.ThrowIfCancellationRequested();
            if (process.ExitCode != 0 || !File.Exists(resultFile))
            {
                throw new InvalidOperationException($"variant {variant.Label} at batch {batch} failed (exit code {process.ExitCode}): {stderr.Trim()} {stdout.Result.Trim()}");
            }

            return BenchMeasurement.Load(resultFile);
        }
        finally
        {
            File.Delete(resultFile);
        }
    }

    /// <summary>This CLI as a new process: its own executable when it runs as one (the published bench), else <c>dotnet elite.dll</c>.</summary>
    private static ProcessStartInfo SelfStartInfo()
    {
        var cli = typeof(BenchVariants).Assembly;
        var host = Environment.ProcessPath;
        var runsAsItself = host is not null && System.Reflection.Assembly.GetEntryAssembly() == cli && Path.GetFileNameWithoutExtension(host) != "dotnet";
        var start = new ProcessStartInfo(runsAsItself ? host! : "dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        if (!runsAsItself) start.ArgumentList.Add(cli.Location);
        return start;
    }
}
