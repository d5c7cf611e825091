using System.Diagnostics;
using Elite.Core.Storage;

namespace Elite.Cli.LocalStack;

/// <summary>
/// A child process of a bench run (the functions host, a worker), its output appended to a log file; killed with SIGKILL, restarted as it was
/// started. One that exits by itself is started again, as the Functions platform and Container Apps do.
/// </summary>
internal sealed class LocalProcess : IDisposable
{
    private readonly object _gate = new();
    private bool _stopped;
    private int _crashes;

    private readonly string _name;
    private readonly IReadOnlyList<string> _arguments;
    private readonly IReadOnlyDictionary<string, string> _environment;
    private readonly StreamWriter _log;
    private Process? _process;
    private long _storageFaults;

    public LocalProcess(string name, IReadOnlyList<string> arguments, IReadOnlyDictionary<string, string> environment, string logDirectory)
    {
        (_name, _arguments, _environment) = (name, arguments, environment);
        LogPath = Path.Combine(logDirectory, name + ".log");
        _log = new StreamWriter(LogPath, append: true) { AutoFlush = true };
        Start();
    }

    public string LogPath { get; }

    /// <summary>Storage faults this process (in all its lives) reported injecting (<see cref="StorageFaultPolicy.LogMarker"/> lines).</summary>
    public long StorageFaults => Interlocked.Read(ref _storageFaults);

    /// <summary>Times the process exited by itself (a crash) and was started again.</summary>
    public int Crashes => Volatile.Read(ref _crashes);

    public void Start()
    {
        lock (_gate)
        {
            _stopped = false;
            StartProcess();
        }
    }

    private void StartProcess()
    {
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var argument in _arguments) start.ArgumentList.Add(argument);
        foreach (var (key, value) in _environment) start.Environment[key] = value;
        var process = Process.Start(start) ?? throw new InvalidOperationException($"could not start {_name}");
        _process = process;
        process.EnableRaisingEvents = true;
        process.Exited += (_, _) => OnExited(process);
        _process.OutputDataReceived += (_, line) => Write(line.Data);
        _process.ErrorDataReceived += (_, line) => Write(line.Data);
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();
        Write($"--- {_name} started (pid {_process.Id})");
    }

    /// <summary>SIGKILL: no shutdown, no finishing of the batch in hand. It stays down until <see cref="Start"/>.</summary>
    public void Kill()
    {
        Process? process;
        lock (_gate)
        {
            _stopped = true;
            process = _process;
        }

        // Outside the lock: waiting raises Exited, whose handler (OnExited) takes the lock while Process holds its own.
        if (process is { HasExited: false })
        {
            process.Kill(entireProcessTree: true);
            // With a timeout: the overload without one also waits for the end of the output, which a process
            // started meanwhile may hold open.
            process.WaitForExit(TimeSpan.FromSeconds(10));
            Write($"--- {_name} killed");
        }
    }

    private void OnExited(Process process)
    {
        lock (_gate)
        {
            if (_stopped || !ReferenceEquals(process, _process)) return;
            Interlocked.Increment(ref _crashes);
            Write($"--- {_name} exited by itself ({process.ExitCode}); starting it again");
            StartProcess();
        }
    }

    public void Dispose()
    {
        Kill();
        _process?.Dispose();
        lock (_log) _log.Dispose();
    }

    private void Write(string? line)
    {
        if (line is null) return;
        if (line.StartsWith(StorageFaultPolicy.LogMarker, StringComparison.Ordinal)) Interlocked.Increment(ref _storageFaults);
        lock (_log)
        {
            if (_log.BaseStream.CanWrite) _log.WriteLine(line);
        }
    }
}
