using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using System.Text;
using Azure.Storage.Blobs.Models;
using Elite.Cli.LocalStack;
using Elite.Core;
using Elite.Core.Api;
using Elite.Core.Configuration;
using Elite.Core.Jobs;
using Elite.Core.Rows;
using Elite.Core.Storage;
using Elite.Core.Webhooks;
using Spectre.Console;

namespace Elite.Cli;

/// <summary>
/// <c>elite bench faults</c>: the pipeline's promise (every accepted image produced once or failed with a reason, every
/// job ended with exactly one delivered webhook) checked on real processes while they are broken: an Azurite of its
/// own, the local functions host and two worker processes, all with a share of their storage calls failed on purpose
/// (<see cref="StorageFaultPolicy"/>); workers killed with SIGKILL at random moments and restarted; a webhook receiver
/// that fails and hangs; Azurite restarted once. Then one table of what was injected and what came out.
/// </summary>
internal static class BenchFaultsCommand
{
    public static Command Create()
    {
        var jobs = new Option<int>("--jobs") { Description = "Jobs, half over HTTP, half as CSV uploads.", DefaultValueFactory = _ => 20 };
        var tasks = new Option<int>("--tasks") { Description = "Valid images per job.", DefaultValueFactory = _ => 8 };
        var seconds = new Option<int>("--seconds") { Description = "How long the jobs may take to drain before the run fails.", DefaultValueFactory = _ => 900 };
        var kills = new Option<int>("--kills") { Description = "Worker processes killed with SIGKILL (and restarted) while jobs run.", DefaultValueFactory = _ => 5 };
        var faultRate = new Option<double>("--fault-rate") { Description = "Share of every process's storage calls failed (503 or timeout).", DefaultValueFactory = _ => 0.02 };
        var restartStorage = new Option<bool>("--restart-storage") { Description = "Restart Azurite once while jobs run (a graceful stop: 20-100 s without storage).", DefaultValueFactory = _ => true };
        var command = new Command("faults", "Break the running pipeline (SIGKILL, storage errors, failing webhooks, an Azurite restart) and check that nothing is lost, stuck or duplicated.")
        {
            jobs, tasks, seconds, kills, faultRate, restartStorage,
        };
        command.SetAction(async (parse, cancellationToken) =>
        {
            var settings = new FaultRunSettings(parse.GetValue(jobs), parse.GetValue(tasks), TimeSpan.FromSeconds(parse.GetValue(seconds)), parse.GetValue(kills), parse.GetValue(faultRate), parse.GetValue(restartStorage));
            if (settings.Jobs < 1 || settings.Tasks < 1 || settings.FaultRate is < 0 or >= 0.5)
            {
                await parse.InvocationConfiguration.Error.WriteLineAsync("elite bench faults: --jobs and --tasks take at least 1, --fault-rate 0 to 0.5.");
                return CommandHelpers.UserError;
            }

            var run = new FaultRun(settings, parse.InvocationConfiguration.Output);
            return await run.RunAsync(cancellationToken) ? 0 : 1;
        });
        return command;
    }
}

internal sealed record FaultRunSettings(int Jobs, int Tasks, TimeSpan Deadline, int Kills, double FaultRate, bool RestartStorage);

/// <summary>One fault run: starts everything, submits, breaks, waits, checks, and tears down.</summary>
internal sealed class FaultRun(FaultRunSettings settings, TextWriter output)
{
    private const int Steps = 2;
    private readonly Random _random = new();
    private readonly TaskCompletionSource _drained = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private int _webhookFailures, _webhookHangs;

    public async Task<bool> RunAsync(CancellationToken cancellationToken)
    {
        await using var workspace = await BenchWorkspace.StartAsync("faults", cancellationToken);
        var (azurite, clients, logs, pack) = (workspace.Azurite, workspace.Clients, workspace.Logs, workspace.Pack);
        output.WriteLine($"fault run: {settings.Jobs} jobs × {settings.Tasks} images, {settings.Kills} worker kills, {settings.FaultRate:P0} storage faults; logs in {logs}");

        var secret = WebhookSecret.Generate();
        await using var receiver = new WebhookReceiver(new WebhookVerifier(secret))
        {
            Faults = () => _random.NextDouble() switch
            {
                < 0.15 => Count(ref _webhookFailures, WebhookFault.Fail),
                < 0.25 => Count(ref _webhookHangs, WebhookFault.Hang),
                _ => WebhookFault.None,
            },
        };

        var storage = workspace.StorageSettings();
        storage[StorageConnection.SettingName + AppSettings.SectionSeparator + StorageConnection.InjectedFaultRateKey] = settings.FaultRate.ToString(CultureInfo.InvariantCulture);
        var functionsUrl = $"http://127.0.0.1:{LoopbackPort.Free()}";
        using var functions = new LocalProcess("functions", [LocalPrograms.Assembly(workspace.Root, LocalPrograms.Functions), "--urls", functionsUrl], new Dictionary<string, string>(storage)
        {
            [AppSettings.WebhookSigningSecret] = secret,
            [AppSettings.WebhookAllowPrivateAddresses] = "true",
            [Webhooks(nameof(WebhookOptions.Timeout))] = "00:00:03",
            [Webhooks(nameof(WebhookOptions.RetrySchedule))] = "00:00:01,00:00:04",
            [Webhooks(nameof(WebhookOptions.MaxAttempts))] = "40",
        }, logs);
        var workers = Enumerable.Range(1, 2).Select(i => new LocalProcess($"worker-{i}", [LocalPrograms.Assembly(workspace.Root, LocalPrograms.Worker), "--urls", $"http://127.0.0.1:{LoopbackPort.Free()}"], new Dictionary<string, string>(storage.Concat(LocalPrograms.WorkerSettings(pack, maxBatch: 4)))
        {
            [LocalPrograms.WorkerSetting(nameof(WorkerOptions.VisibilitySeconds))] = "10", // a killed worker's messages come back soon
            [LocalPrograms.WorkerSetting(nameof(WorkerOptions.ConceptNotReadyRetrySeconds))] = "2",
            [LocalPrograms.WorkerSetting(nameof(WorkerOptions.MaxDequeueCount))] = "50", // kills are not the tasks' fault: they must not use up their deliveries
            [LocalPrograms.WorkerSetting(nameof(WorkerOptions.IntraOpThreads))] = "1",
        }, logs)).ToList();
        try
        {
            using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            deadline.CancelAfter(settings.Deadline);
            using var api = new PipelineApi(new Uri(functionsUrl), functionKey: null);
            var clock = Stopwatch.StartNew();
            var submitted = await SubmitAsync(clients, api, receiver.Url, deadline.Token);
            output.WriteLine($"submitted {submitted.Count} jobs in {clock.Elapsed.TotalSeconds:F0} s; breaking things while they run");

            var chaos = BreakAsync(workers, azurite, deadline.Token);
            var drained = await DrainAsync(clients, submitted, deadline.Token);
            var drainTime = clock.Elapsed;
            var faults = await chaos;
            return await ReportAsync(workspace, submitted, receiver, faults, functions, workers, drained, drainTime);
        }
        finally
        {
            foreach (var worker in workers) worker.Dispose();
        }
    }

    private static string Webhooks(string setting) => WebhookOptions.SectionName + AppSettings.SectionSeparator + setting;

    private static WebhookFault Count(ref int counter, WebhookFault fault)
    {
        Interlocked.Increment(ref counter);
        return fault;
    }

    /// <summary>A job the run submitted: its id, the images it must produce, and whether a webhook is owed.</summary>
    private sealed record SubmittedJob(string JobId, string Source, int ValidTasks, int InvalidRows);

    private async Task<List<SubmittedJob>> SubmitAsync(StorageClients clients, PipelineApi api, string webhookUrl, CancellationToken cancellationToken)
    {
        const string ConceptId = "fault-run-chelsea";
        await clients.Container(StorageNames.Containers.Concepts).GetBlobClient(BlobPaths.ConceptFile(ConceptId, "photo.png"))
            .UploadAsync(CommandHelpers.AssetPath("chelsea.png"), cancellationToken);
        var concept = await RetryAsync(() => api.WaitForConceptAsync(ConceptId, TimeSpan.FromMilliseconds(500), cancellationToken), cancellationToken);
        if (concept.Status != ConceptStatus.Ready) throw new InvalidOperationException($"the run's concept is {concept.Status}: {concept.Reason}");
        var jobs = new List<SubmittedJob>();
        for (var j = 0; j < settings.Jobs; j++)
        {
            // One task per job has a prompt the worker refuses (its placeholder past CLIP's 75 tokens): a failure with a reason.
            var prompts = Enumerable.Range(0, settings.Tasks).Select(i => i == 1 && j % 3 == 0 ? string.Concat(Enumerable.Repeat("very ", 80)) + "S" : $"a photo of S, job {j} image {i}").ToList();
            if (j % 2 == 0)
            {
                var submission = new JobSubmission
                {
                    ConceptId = ConceptId,
                    Prompts = [.. prompts.Select(p => new PromptRequest { Prompt = p })],
                    Steps = Steps,
                    WebhookUrl = webhookUrl,
                };
                var accepted = await RetryAsync(() => api.SubmitAsync(submission, $"fault-run-{j}", cancellationToken), cancellationToken);
                jobs.Add(new(accepted.JobId, JobRow.HttpSource, settings.Tasks, 0));
            }
            else
            {
                var csv = new StringBuilder($"{CsvColumns.ConceptId},{CsvColumns.Prompt},{CsvColumns.Seed}\n");
                foreach (var (prompt, i) in prompts.Select((p, i) => (p, i))) csv.Append(CultureInfo.InvariantCulture, $"{ConceptId},\"{prompt}\",{i}\n");
                var invalid = j % 4 == 1 ? 2 : 0;
                if (invalid > 0) csv.Append("no-such-concept,a photo of S,1\n").Append(CultureInfo.InvariantCulture, $"{ConceptId},a photo of S,abc\n");
                var name = $"fault-run-{j}";
                var blob = await RetryAsync(() => clients.Container(StorageNames.Containers.Jobs).GetBlobClient(name + ".csv").UploadAsync(
                    new BinaryData(csv.ToString()),
                    new BlobUploadOptions { Metadata = new Dictionary<string, string> { [CsvJobMetadata.WebhookUrl] = webhookUrl, [CsvJobMetadata.Steps] = $"{Steps}" } },
                    cancellationToken), cancellationToken);
                jobs.Add(new(CsvJobIntake.JobIdFor(name, blob.Value.ETag.ToString()), JobRow.CsvSource, settings.Tasks, invalid));
                await Task.Delay(TimeSpan.FromSeconds(1.1), cancellationToken); // the local polling trigger sees one upload per second per container
            }
        }

        return jobs;
    }

    /// <summary>Kills a worker at random moments (and restarts it), and restarts Azurite once, until the jobs drain.</summary>
    private async Task<FaultCounts> BreakAsync(List<LocalProcess> workers, LocalAzurite azurite, CancellationToken cancellationToken)
    {
        int kills = 0, restarts = 0;
        try
        {
            while (!_drained.Task.IsCompleted && kills < settings.Kills)
            {
                await Task.WhenAny(_drained.Task, Task.Delay(TimeSpan.FromSeconds(2 + _random.NextDouble() * 6), cancellationToken));
                if (_drained.Task.IsCompleted) break;
                var worker = workers[_random.Next(workers.Count)];
                worker.Kill();
                kills++;
                output.WriteLine($"  killed {Path.GetFileNameWithoutExtension(worker.LogPath)} (SIGKILL {kills}/{settings.Kills})");
                await Task.Delay(TimeSpan.FromSeconds(_random.NextDouble() * 2), cancellationToken);
                worker.Start();
                if (settings.RestartStorage && restarts == 0 && kills >= settings.Kills / 2)
                {
                    var downtime = await azurite.RestartAsync(cancellationToken);
                    restarts++;
                    output.WriteLine($"  restarted Azurite ({downtime.TotalSeconds:F0} s without storage)");
                }
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
        }

        return new(kills, restarts);
    }

    private sealed record FaultCounts(int WorkerKills, int StorageRestarts);

    /// <summary>Until every job is final and its webhook settled (delivered or given up); false at the deadline.</summary>
    private async Task<bool> DrainAsync(StorageClients clients, List<SubmittedJob> jobs, CancellationToken cancellationToken)
    {
        var progress = Stopwatch.StartNew();
        try
        {
            while (true)
            {
                try
                {
                    var settled = 0;
                    foreach (var job in jobs)
                    {
                        var row = await clients.Table(StorageNames.Tables.Jobs).GetOrDefaultAsync<JobRow>(job.JobId, JobRow.RowKeyValue, cancellationToken);
                        if (row is { IsFinal: true, WebhookStatus: WebhookState.Delivered or WebhookState.GaveUp }) settled++;
                    }

                    if (settled == jobs.Count) return true;
                    if (progress.Elapsed > TimeSpan.FromSeconds(30))
                    {
                        output.WriteLine($"  {settled}/{jobs.Count} jobs ended with their webhook settled");
                        progress.Restart();
                    }
                }
                catch (Exception e) when (StorageErrors.IsTransient(e))
                {
                    // Azurite is restarting.
                }

                await Task.Delay(TimeSpan.FromSeconds(1), cancellationToken);
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            return false;
        }
        finally
        {
            _drained.TrySetResult();
        }
    }

    private async Task<bool> ReportAsync(
        BenchWorkspace workspace, List<SubmittedJob> jobs, WebhookReceiver receiver, FaultCounts faults, LocalProcess functions, List<LocalProcess> workers, bool drained, TimeSpan drainTime)
    {
        var clients = workspace.Clients;
        int final = 0, tasks = 0, countedOnce = 0, lost = 0, duplicated = 0, blobsPerSucceeded = 0, succeeded = 0, failedWithReason = 0;
        var webhooksPerJob = new List<int>();
        var accepted = receiver.Received.Where(r => r.AnsweredWith is >= 200 and < 300).ToList();
        foreach (var job in jobs)
        {
            var row = await clients.Table(StorageNames.Tables.Jobs).GetOrDefaultAsync<JobRow>(job.JobId, JobRow.RowKeyValue);
            if (row?.IsFinal == true) final++;
            var taskRows = new List<TaskRow>();
            await foreach (var task in clients.Table(StorageNames.Tables.Tasks).QueryAsync<TaskRow>(t => t.PartitionKey == job.JobId)) taskRows.Add(task);
            var markers = 0;
            await foreach (var _ in clients.Table(StorageNames.Tables.Jobs).QueryAsync<TaskResultMarker>(m => m.PartitionKey == job.JobId && m.RowKey.CompareTo(TaskResultMarker.RowKeyPrefix) >= 0 && m.RowKey.CompareTo(TaskResultMarker.RowKeyPrefix + "~") < 0)) markers++;
            var blobs = new HashSet<string>(StringComparer.Ordinal);
            await foreach (var blob in clients.Container(StorageNames.Containers.Results).GetBlobsAsync(BlobTraits.None, BlobStates.None, job.JobId + "/", CancellationToken.None)) blobs.Add(blob.Name);

            tasks += taskRows.Count;
            lost += Math.Max(0, job.ValidTasks - taskRows.Count) + taskRows.Count(t => !t.IsFinal);
            var counted = (row?.SucceededCount ?? 0) + (row?.FailedCount ?? 0);
            if (markers == taskRows.Count && counted == taskRows.Count) countedOnce += taskRows.Count;
            else duplicated += Math.Max(0, counted - taskRows.Count);
            var succeededTasks = taskRows.Where(t => t.Status == ImageTaskStatus.Succeeded).ToList();
            succeeded += succeededTasks.Count;
            blobsPerSucceeded += succeededTasks.Count(t => t.ResultBlob is { } name && blobs.Contains(name));
            duplicated += blobs.Count(name => !succeededTasks.Any(t => t.ResultBlob == name));
            failedWithReason += taskRows.Count(t => t.Status == ImageTaskStatus.Failed && !string.IsNullOrWhiteSpace(t.Reason));
            webhooksPerJob.Add(accepted.Where(r => r.Text.Contains(job.JobId, StringComparison.Ordinal)).Select(r => r.Id).Distinct().Count());
        }

        var failed = tasks - succeeded;
        var stuck = jobs.Count - final;
        var storageFaults = functions.StorageFaults + workers.Sum(w => w.StorageFaults);
        var table = new Table().AddColumns("measure", "value");
        table.AddRow("jobs (HTTP / CSV)", $"{jobs.Count} ({jobs.Count(j => j.Source == JobRow.HttpSource)} / {jobs.Count(j => j.Source == JobRow.CsvSource)})");
        table.AddRow("tasks (succeeded / failed with a reason)", $"{tasks} ({succeeded} / {failedWithReason} of {failed})");
        table.AddRow("faults: worker SIGKILLs", $"{faults.WorkerKills}");
        table.AddRow("faults: storage calls failed (503 or timeout)", $"{storageFaults} (functions {functions.StorageFaults}, workers {workers.Sum(w => w.StorageFaults)})");
        table.AddRow("faults: webhook 500s / hangs", $"{_webhookFailures} / {_webhookHangs}");
        table.AddRow("faults: Azurite restarts", $"{faults.StorageRestarts}");
        table.AddRow("processes restarted after a crash (functions / workers)", $"{functions.Crashes} / {workers.Sum(w => w.Crashes)}");
        table.AddRow("jobs final", $"{final}");
        table.AddRow("tasks counted once", $"{countedOnce}");
        table.AddRow("result blobs per succeeded task", succeeded == 0 ? "-" : $"{(double)blobsPerSucceeded / succeeded:F2}");
        table.AddRow("webhooks per job (min / max)", $"{webhooksPerJob.Min()} / {webhooksPerJob.Max()}");
        table.AddRow("stuck jobs", $"{stuck}");
        table.AddRow("lost tasks", $"{lost}");
        table.AddRow("duplicated results", $"{duplicated}");
        table.AddRow("time to drain", drained ? $"{drainTime.TotalSeconds:F0} s" : $"not drained within {settings.Deadline.TotalSeconds:F0} s");
        AnsiConsole.Create(new AnsiConsoleSettings { Out = new AnsiConsoleOutput(output) }).Write(table);

        var ok = drained && stuck == 0 && lost == 0 && duplicated == 0 && countedOnce == tasks && failedWithReason == failed
                 && blobsPerSucceeded == succeeded && webhooksPerJob.All(count => count == 1);
        output.WriteLine(ok ? "fault run passed: nothing stuck, lost or duplicated; one webhook per job" : $"fault run FAILED; logs in {workspace.Logs}");
        if (ok) workspace.Delete();
        return ok;
    }

    /// <summary>A call into the faulty pipeline, tried again on a 5xx or a transient error (the API's idempotency key makes that safe).</summary>
    private static async Task<T> RetryAsync<T>(Func<Task<T>> call, CancellationToken cancellationToken)
    {
        while (true)
        {
            try
            {
                return await call();
            }
            catch (Exception e) when (e is PipelineApiException { Status: >= System.Net.HttpStatusCode.InternalServerError } or HttpRequestException || StorageErrors.IsTransient(e))
            {
                await Task.Delay(TimeSpan.FromMilliseconds(500), cancellationToken);
            }
        }
    }
}
