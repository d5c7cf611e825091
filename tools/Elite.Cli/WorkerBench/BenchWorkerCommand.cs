using System.CommandLine;
using System.Net.Http.Json;
using System.Text.Json;
using Elite.Cli.LocalStack;
using Elite.Contracts.Generation;
using Elite.Core;
using Elite.Core.Configuration;
using Elite.Core.Jobs;
using Elite.Core.Rows;
using Elite.Core.Webhooks;
using Spectre.Console;

namespace Elite.Cli.WorkerBench;

/// <summary>
/// <c>elite bench worker</c>: how much of the time the accelerator spends generating, on real processes (an Azurite of its
/// own, the local functions host, one CPU worker, tiny pack). Two arms in one run, each a job of the same size on a new
/// worker: one batch at a time (<c>Worker__Pipelined=false</c>, as before) and pipelined (today's default). What each
/// worker measured of its generation calls comes from its <c>/healthz</c>.
/// </summary>
internal static class BenchWorkerCommand
{
    public static Command Create()
    {
        var tasks = new Option<int>("--tasks") { Description = "Images of the job each arm runs.", DefaultValueFactory = _ => 48 };
        var batch = new Option<int>("--batch") { Description = "The worker's batch size (Worker__MaxBatch).", DefaultValueFactory = _ => 4 };
        var steps = new Option<int>("--steps") { Description = "Denoising steps per image.", DefaultValueFactory = _ => 4 };
        var command = new Command("worker", "Measure the accelerator's duty cycle and the gap between generation calls, one batch at a time (before) and pipelined (now).")
        {
            tasks, batch, steps,
        };
        command.SetAction(async (parse, cancellationToken) =>
        {
            var settings = new WorkerBenchSettings(parse.GetValue(tasks), parse.GetValue(batch), parse.GetValue(steps));
            if (settings.Batch is < 1 or > 64 || settings.Tasks < 2 * settings.Batch || settings.Steps < 1)
            {
                await parse.InvocationConfiguration.Error.WriteLineAsync("elite bench worker: --batch takes 1 to 64, --tasks at least two batches, --steps at least 1.");
                return CommandHelpers.UserError;
            }

            return await new WorkerBenchRun(settings, parse.InvocationConfiguration.Output).RunAsync(cancellationToken) ? 0 : 1;
        });
        return command;
    }
}

internal sealed record WorkerBenchSettings(int Tasks, int Batch, int Steps);

/// <summary>What one arm's worker measured, and how its job ended.</summary>
internal sealed record WorkerBenchArm(string Name, GenerationDuty Duty, JobRow Job);

/// <summary>One worker bench run: starts everything, runs both arms, prints one table, and tears down.</summary>
internal sealed class WorkerBenchRun(WorkerBenchSettings settings, TextWriter output)
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    public async Task<bool> RunAsync(CancellationToken cancellationToken)
    {
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(TimeSpan.FromMinutes(30)); // a worker that died must not leave the run waiting forever
        cancellationToken = deadline.Token;
        await using var workspace = await BenchWorkspace.StartAsync("worker", cancellationToken);
        var storage = workspace.StorageSettings();
        output.WriteLine($"worker run: a {settings.Tasks}-image job per arm, one CPU worker at batch {settings.Batch}, {settings.Steps} steps; logs in {workspace.Logs}");
        var url = $"http://127.0.0.1:{LoopbackPort.Free()}";
        using var functions = new LocalProcess("functions", [LocalPrograms.Assembly(workspace.Root, LocalPrograms.Functions), "--urls", url],
            new Dictionary<string, string>(storage) { [AppSettings.WebhookSigningSecret] = WebhookSecret.Generate() }, workspace.Logs);
        using var api = new PipelineApi(new Uri(url), functionKey: null);
        await BenchWorkspace.WaitForApiAsync(api, cancellationToken);

        string? conceptId = null;
        var arms = new List<WorkerBenchArm>();
        foreach (var (name, pipelined) in new[] { ("one batch at a time (before)", false), ("pipelined (now)", true) })
        {
            var workerUrl = $"http://127.0.0.1:{LoopbackPort.Free()}";
            using var worker = new LocalProcess($"worker-{(pipelined ? "pipelined" : "serial")}", [LocalPrograms.Assembly(workspace.Root, LocalPrograms.Worker), "--urls", workerUrl],
                new Dictionary<string, string>(storage.Concat(LocalPrograms.WorkerSettings(workspace.Pack, settings.Batch)))
                {
                    [LocalPrograms.WorkerSetting(nameof(WorkerOptions.Pipelined))] = pipelined ? "true" : "false",
                },
                workspace.Logs);
            using var http = new HttpClient { BaseAddress = new Uri(workerUrl) };
            conceptId ??= await workspace.AddConceptAsync(api, "worker-bench-chelsea", cancellationToken);
            output.WriteLine($"  {name}: running");
            var job = (await api.SubmitAsync(Job(conceptId), null, cancellationToken)).JobId;
            var row = await workspace.WaitForJobAsync(job, j => j.IsFinal, cancellationToken);
            var health = await http.GetFromJsonAsync<WorkerHealth>("healthz", Json, cancellationToken) ?? throw new InvalidOperationException("the worker's /healthz was empty");
            arms.Add(new WorkerBenchArm(name, health.Generation, row));
        }

        Report(arms);
        var ok = arms.All(a => a.Job.Status == JobStatus.Succeeded && a.Duty.Images == settings.Tasks);
        output.WriteLine(ok ? "worker run passed: both arms generated every image" : $"worker run FAILED: an arm did not generate every image; logs in {workspace.Logs}");
        if (ok) workspace.Delete();
        return ok;
    }

    private JobSubmission Job(string conceptId) => new()
    {
        ConceptId = conceptId,
        Prompts = [new PromptRequest { Prompt = "a photo of S on the beach", Count = settings.Tasks }],
        Steps = settings.Steps,
    };

    private void Report(List<WorkerBenchArm> arms)
    {
        var (before, now) = (arms[0].Duty, arms[1].Duty);
        var table = new Table().AddColumns("measure", arms[0].Name, arms[1].Name, "now ÷ before");
        void Row(string measure, Func<GenerationDuty, double> value, string format) =>
            table.AddRow(measure, value(before).ToString(format), value(now).ToString(format), value(before) > 0 ? (value(now) / value(before)).ToString("F2") : "-");
        Row("generation calls", d => d.Calls, "F0");
        Row("images", d => d.Images, "F0");
        Row("wall, first call's start to last call's end (s)", d => d.WallSeconds, "F1");
        Row("inside generation (s)", d => d.GenerationSeconds, "F1");
        Row("accelerator duty cycle (%)", d => 100 * d.DutyCycle, "F1");
        Row("mean gap between calls (ms)", d => d.MeanGapMilliseconds, "F1");
        Row("serialized overhead per image (ms)", d => 1000 * d.SerializedSecondsPerImage, "F1");
        Row("generation per image (s)", d => d.GenerationSeconds / d.Images, "F3");
        Row("images per second (wall)", d => d.Images / d.WallSeconds, "F3");
        var console = AnsiConsole.Create(new AnsiConsoleSettings { Out = new AnsiConsoleOutput(output) });
        console.Profile.Width = 160; // one line per measure, also when the output is not a terminal
        console.Write(table);
    }
}
