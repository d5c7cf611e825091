using System.Diagnostics;
using System.Net.Sockets;
using Elite.Core;

namespace Elite.Cli.LocalStack;

/// <summary>
/// An Azurite of a bench run's own, from the project's node_modules, on free loopback ports with its data in a
/// folder; it can be restarted on the same ports and data (a graceful stop, so that it saves what it holds).
/// </summary>
internal sealed class LocalAzurite : IAsyncDisposable
{
    private const string Account = "devstoreaccount1";
    // Azurite's well-known development account key (public, documented by Microsoft; not a secret).
    private const string Key = "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==";

    private readonly string _executable;
    private readonly string _location;
    private readonly int[] _ports = [LoopbackPort.Free(), LoopbackPort.Free(), LoopbackPort.Free()];
    private Process? _process;

    private LocalAzurite(string executable, string location) => (_executable, _location) = (executable, location);

    public string ConnectionString =>
        $"DefaultEndpointsProtocol=http;AccountName={Account};AccountKey={Key};BlobEndpoint=http://127.0.0.1:{_ports[0]}/{Account};" +
        $"QueueEndpoint=http://127.0.0.1:{_ports[1]}/{Account};TableEndpoint=http://127.0.0.1:{_ports[2]}/{Account};";

    public static async Task<LocalAzurite> StartAsync(string repositoryRoot, string location, CancellationToken cancellationToken)
    {
        var executable = Path.Combine(repositoryRoot, "node_modules", ".bin", "azurite");
        if (!File.Exists(executable)) throw new InvalidOperationException($"{executable} is missing: run ./run.sh setup first.");
        var azurite = new LocalAzurite(executable, location);
        await azurite.StartAsync(cancellationToken);
        return azurite;
    }

    /// <summary>Stops Azurite as an operator would (SIGTERM, waiting for it to save; SIGKILL after two minutes) and starts it again.</summary>
    public async Task<TimeSpan> RestartAsync(CancellationToken cancellationToken)
    {
        var clock = Stopwatch.StartNew();
        await StopAsync();
        await StartAsync(cancellationToken);
        return clock.Elapsed;
    }

    public ValueTask DisposeAsync()
    {
        if (_process is { HasExited: false } process) process.Kill(entireProcessTree: true); // nothing to keep
        _process?.WaitForExit(TimeSpan.FromSeconds(10));
        _process?.Dispose();
        return ValueTask.CompletedTask;
    }

    private async Task StartAsync(CancellationToken cancellationToken)
    {
        Directory.CreateDirectory(_location);
        var start = new ProcessStartInfo(_executable) { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var argument in new[]
                 {
                     "--silent", "--skipApiVersionCheck", "--location", _location,
                     "--blobHost", "127.0.0.1", "--blobPort", $"{_ports[0]}", "--queueHost", "127.0.0.1", "--queuePort", $"{_ports[1]}",
                     "--tableHost", "127.0.0.1", "--tablePort", $"{_ports[2]}",
                 })
        {
            start.ArgumentList.Add(argument);
        }

        _process = Process.Start(start) ?? throw new InvalidOperationException("could not start Azurite");
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();
        foreach (var port in _ports)
        {
            while (!await ListensAsync(port, cancellationToken))
            {
                if (_process.HasExited) throw new InvalidOperationException($"Azurite exited with {_process.ExitCode}");
                await Task.Delay(100, cancellationToken);
            }
        }
    }

    private async Task StopAsync()
    {
        if (_process is not { HasExited: false } process) return;
        Process.Start("kill", ["-TERM", process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)])!.WaitForExit();
        var patience = Stopwatch.StartNew();
        while (!process.HasExited && patience.Elapsed < TimeSpan.FromMinutes(2)) await Task.Delay(200);
        if (!process.HasExited)
        {
            process.Kill(entireProcessTree: true);
            process.WaitForExit(TimeSpan.FromSeconds(10));
        }

        process.Dispose();
        _process = null;
    }

    private static async Task<bool> ListensAsync(int port, CancellationToken cancellationToken)
    {
        using var client = new TcpClient();
        try
        {
            await client.ConnectAsync("127.0.0.1", port, cancellationToken);
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
    }
}
