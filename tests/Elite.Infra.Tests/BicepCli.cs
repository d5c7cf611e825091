using System.Diagnostics;
using System.Text.RegularExpressions;

namespace Elite.Infra.Tests;

/// <summary>Runs the Bicep CLI from the NuGet package (no other download).</summary>
public static partial class BicepCli
{
    public sealed record Result(int ExitCode, string Output, IReadOnlyList<string> Diagnostics)
    {
        public override string ToString() => $"exit code {ExitCode}\n{Output}";
    }

    /// <summary>Runs <c>bicep ARGS</c> in the repository root and collects its diagnostics (errors, warnings, infos).</summary>
    public static Result Run(params string[] arguments)
    {
        var executable = Repository.BicepExecutable;
        if (!File.Exists(executable))
        {
            throw new FileNotFoundException($"The Bicep CLI is not at {executable}: restore the test project (dotnet restore).", executable);
        }

        EnsureExecutable(executable);
        var start = new ProcessStartInfo(executable)
        {
            WorkingDirectory = Repository.Root,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var argument in arguments) start.ArgumentList.Add(argument);
        // Keep the CLI offline and quiet: no telemetry, no first-run messages.
        start.Environment["BICEP_TELEMETRY_DISABLED"] = "true";
        start.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";

        using var process = Process.Start(start) ?? throw new InvalidOperationException("bicep did not start");
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(TimeSpan.FromMinutes(3)))
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"bicep {string.Join(' ', arguments)} ran over 3 minutes");
        }

        var output = stdout.Result + stderr.Result;
        var diagnostics = output.Split('\n').Select(l => l.TrimEnd()).Where(l => DiagnosticLine().IsMatch(l)).ToList();
        return new Result(process.ExitCode, output, diagnostics);
    }

    private static void EnsureExecutable(string path)
    {
        // The package is linux-x64 only; so are these tests.
        if (!OperatingSystem.IsLinux()) throw new PlatformNotSupportedException("The infra tests run the linux-x64 Bicep CLI.");
        var mode = File.GetUnixFileMode(path);
        if ((mode & UnixFileMode.UserExecute) == 0) File.SetUnixFileMode(path, mode | UnixFileMode.UserExecute);
    }

    // "path(line,col) : Warning rule-name: message"
    [GeneratedRegex(@"\(\d+,\d+\)\s*:\s*(Error|Warning|Info)\s", RegexOptions.IgnoreCase)]
    private static partial Regex DiagnosticLine();
}
