using System.Diagnostics;
using System.Net;
using System.Text.RegularExpressions;
using Azure.Storage.Blobs;
using Elite.Core.Storage;

namespace Elite.Cli.Tests;

/// <summary><c>./run.sh up</c> as a developer runs it: it comes up, is usable from outside, refuses a second copy, and stopping it leaves nothing behind.</summary>
public sealed class LocalStackTests
{
    [Fact]
    public async Task Up_serves_the_api_and_storage_refuses_a_second_copy_and_ctrl_c_stops_everything_it_started()
    {
        var state = Directory.CreateTempSubdirectory("elite-up-");
        using var up = Start("up", state.FullName);
        var errors = new System.Text.StringBuilder();
        up.ErrorDataReceived += (_, line) => { lock (errors) errors.AppendLine(line.Data); };
        up.BeginErrorReadLine();
        try
        {
            var lines = new List<string>();
            using var ready = new CancellationTokenSource(TimeSpan.FromMinutes(3));
            string? api = null, storage = null, console = null;
            while (api is null || storage is null || console is null)
            {
                var line = await up.StandardOutput.ReadLineAsync(ready.Token) ?? throw new InvalidOperationException($"up exited: {string.Join("\n", lines)}\n{errors}");
                lines.Add(line);
                api ??= Regex.Match(line, @"^\s+API\s+(\S+)").Groups[1].Value is { Length: > 0 } url ? url : null;
                storage ??= Regex.Match(line, @"^\s+EliteStorage\s+(\S+)").Groups[1].Value is { Length: > 0 } connection ? connection : null;
                console ??= Regex.Match(line, @"^\s+console\s+(\S+)").Groups[1].Value is { Length: > 0 } page ? page : null;
            }

            // The API answers as in Azure, and the storage takes an upload from outside (as Storage Explorer or az would).
            using var http = new HttpClient();
            Assert.Equal(HttpStatusCode.NotFound, (await http.GetAsync(api + "jobs/0123456789abcdef")).StatusCode);
            using var consolePage = await http.GetAsync(console);
            Assert.Equal((HttpStatusCode.OK, "text/html"), (consolePage.StatusCode, consolePage.Content.Headers.ContentType?.MediaType));
            var blob = new BlobContainerClient(storage, StorageNames.Containers.Concepts).GetBlobClient("up-test/photo.png");
            await blob.UploadAsync(new BinaryData(File.ReadAllBytes(Asset("chelsea.png"))), overwrite: true);
            var concept = HttpStatusCode.NotFound;
            for (var attempt = 0; attempt < 60 && concept == HttpStatusCode.NotFound; attempt++)
            {
                await Task.Delay(500);
                concept = (await http.GetAsync(api + "concepts/up-test")).StatusCode;
            }

            Assert.Equal(HttpStatusCode.OK, concept); // registered through the polling blob trigger

            using var second = Start("up", state.FullName);
            await second.WaitForExitAsync(ready.Token);
            Assert.NotEqual(0, second.ExitCode);
            Assert.Contains("already running", await second.StandardError.ReadToEndAsync());

            var children = File.ReadAllText(Path.Combine(state.FullName, "up.children")).Split(' ', StringSplitOptions.RemoveEmptyEntries).Select(int.Parse).ToList();
            Assert.Equal(3, children.Count); // the functions, the worker, Azurite
            // Ctrl+C: SIGINT and SIGTERM go to the same trap; SIGTERM here, since a shell started in the background ignores SIGINT.
            Process.Start("kill", ["-TERM", up.Id.ToString()])!.WaitForExit();
            using var stopping = new CancellationTokenSource(TimeSpan.FromMinutes(1));
            await up.WaitForExitAsync(stopping.Token);
            Assert.All(children, pid => Assert.False(Directory.Exists($"/proc/{pid}"), $"process {pid} was left running"));
            Assert.False(File.Exists(Path.Combine(state.FullName, "up.pid")));
        }
        finally
        {
            if (!up.HasExited) up.Kill(entireProcessTree: true);
            state.Delete(recursive: true);
        }
    }

    private static Process Start(string command, string state)
    {
        var start = new ProcessStartInfo("bash", [Path.Combine(Repository.Root, "run.sh"), command])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        start.Environment["ELITE_UP_DIR"] = state;
        return Process.Start(start)!;
    }

    private static string Asset(string file) => Path.Combine(Repository.Root, "assets", file);
}
