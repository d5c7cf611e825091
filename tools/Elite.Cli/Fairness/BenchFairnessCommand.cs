using System.CommandLine;
using System.Diagnostics;
using Elite.Cli.LocalStack;
using Elite.Core;
using Elite.Core.Api;
using Elite.Core.Configuration;
using Elite.Core.Jobs;
using Elite.Core.Rows;
using Elite.Core.Storage;
using Elite.Core.Webhooks;
using Spectre.Console;

namespace Elite.Cli.Fairness;

/// <summary>
/// <c>elite bench fairness</c>: how long a small job waits behind a large one, on real processes (an Azurite of its own,
/// the local functions host, one CPU worker, tiny pack). Two arms in one run: one lane (the interactive lane off, every
/// job in one queue in order, as before lanes) and two lanes (today's default).
/// </summary>
internal static class BenchFairnessCommand
{
    public static Command Create()
    {
        var large = new Option<int>("--large") { Description = "Images of the large job submitted first.", DefaultValueFactory = _ => 2000 };
        var small = new Option<int>("--small") { Description = "Images of the small job submitted behind it.", DefaultValueFactory = _ => 4 };
        var batch = new Option<int>("--batch") { Description = "The worker's batch size (Worker__MaxBatch).", DefaultValueFactory = _ => 4 };
        var steps = new Option<int>("--steps") { Description = "Denoising steps per image.", DefaultValueFactory = _ => 1 };
        var oneLaneWait = new Option<int>("--one-lane-wait") { Description = "Seconds the one-lane arm waits for the small job to start before it estimates the wait from the measured rate.", DefaultValueFactory = _ => 60 };
        var command = new Command("fairness", "Time a small job submitted behind a large one, with one queue (before) and with the interactive and bulk lanes (now).")
        {
            large, small, batch, steps, oneLaneWait,
        };
        command.SetAction(async (parse, cancellationToken) =>
        {
            var settings = new FairnessSettings(parse.GetValue(large), parse.GetValue(small), parse.GetValue(batch), parse.GetValue(steps), TimeSpan.FromSeconds(parse.GetValue(oneLaneWait)));
            if (settings.Small < 1 || settings.Small > JobLanes.Default.InteractiveMaxImages || settings.Large <= JobLanes.Default.InteractiveMaxImages
                || settings.Large < 4 * settings.Batch || settings.Batch < 1 || settings.Steps < 1)
            {
                await parse.InvocationConfiguration.Error.WriteLineAsync(
                    $"elite bench fairness: --small takes 1 to {JobLanes.Default.InteractiveMaxImages} (the interactive lane), --large more than that and at least 4 batches, --batch and --steps at least 1.");
                return CommandHelpers.UserError;
            }

            return await new FairnessRun(settings, parse.InvocationConfiguration.Output).RunAsync(cancellationToken) ? 0 : 1;
        });
        return command;
    }
}

internal sealed record FairnessSettings(int Large, int Small, int Batch, int Steps, TimeSpan OneLaneWait);

/// <summary>What one arm measured.</summary>
internal sealed record FairnessArm(
    string Name,
    TimeSpan BatchTime,
    int SmallQueuedAhead,
    TimeSpan? SmallWaited,
    TimeSpan? SmallFinished,
    int LargeImagesBeforeSmallStarted,
    int LargeDoneWhenSmallFinished,
    TimeSpan LargeLeft)
{
    /// <summary>The small job started with the next batch: no more of the large job's images than the batch in hand came first.</summary>
    public bool StartedWithNextBatch(int batch) => SmallWaited is not null && LargeImagesBeforeSmallStarted <= batch;
}

/// <summary>One fairness run: starts everything, runs both arms, prints one table, and tears down.</summary>
internal sealed class FairnessRun(FairnessSettings settings, TextWriter output)
{
    private static readonly TimeSpan Poll = TimeSpan.FromMilliseconds(100);
    public async Task<bool> RunAsync(CancellationToken cancellationToken)
    {
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(TimeSpan.FromMinutes(30)); // a worker that died must not leave the run waiting forever
        cancellationToken = deadline.Token;
        await using var workspace = await BenchWorkspace.StartAsync("fairness", cancellationToken);
        var (clients, logs, storage) = (workspace.Clients, workspace.Logs, workspace.StorageSettings());
        output.WriteLine($"fairness run: a {settings.Small}-image job behind a {settings.Large}-image job, one CPU worker at batch {settings.Batch}, {settings.Steps} steps; logs in {logs}");
        using var worker = new LocalProcess("worker", [LocalPrograms.Assembly(workspace.Root, LocalPrograms.Worker), "--urls", $"http://127.0.0.1:{LoopbackPort.Free()}"],
            new Dictionary<string, string>(storage.Concat(LocalPrograms.WorkerSettings(workspace.Pack, settings.Batch))), logs);

        var arms = new List<FairnessArm>();
        foreach (var (name, interactiveMax) in new[] { ("one lane (before)", 0), ("two lanes (now)", JobLanes.Default.InteractiveMaxImages) })
        {
            var url = $"http://127.0.0.1:{LoopbackPort.Free()}";
            using var functions = new LocalProcess($"functions-{interactiveMax}", [LocalPrograms.Assembly(workspace.Root, LocalPrograms.Functions), "--urls", url], new Dictionary<string, string>(storage)
            {
                [AppSettings.WebhookSigningSecret] = WebhookSecret.Generate(),
                [$"{JobLanes.SectionName}{AppSettings.SectionSeparator}{nameof(JobLanes.InteractiveMaxImages)}"] = $"{interactiveMax}",
            }, logs);
            using var api = new PipelineApi(new Uri(url), functionKey: null);
            await BenchWorkspace.WaitForApiAsync(api, cancellationToken);
            var conceptId = arms.Count == 0 ? await workspace.AddConceptAsync(api, "fairness-chelsea", cancellationToken) : "fairness-chelsea";
            output.WriteLine($"  {name}: submitting");
            arms.Add(await RunArmAsync(name, workspace, api, conceptId, cancellationToken));
        }

        Report(arms);
        var ok = arms[^1].StartedWithNextBatch(settings.Batch);
        output.WriteLine(ok
            ? "fairness run passed: with two lanes the small job started with the next batch"
            : $"fairness run FAILED: with two lanes the small job did not start with the next batch; logs in {logs}");
        if (ok) workspace.Delete();
        return ok;
    }

    private async Task<FairnessArm> RunArmAsync(string name, BenchWorkspace workspace, PipelineApi api, string conceptId, CancellationToken cancellationToken)
    {
        var clients = workspace.Clients;
        var large = (await api.SubmitAsync(Job(conceptId, settings.Large, "large"), null, cancellationToken)).JobId;

        // The large job runs at its steady pace (the first batch also warms the worker up) before the small one comes.
        var warm = await workspace.WaitForJobAsync(large, j => j.SucceededCount >= settings.Batch || j.IsFinal, cancellationToken);
        var clock = Stopwatch.StartNew();
        var paced = await workspace.WaitForJobAsync(large, j => j.SucceededCount >= warm.SucceededCount + 2 * settings.Batch || j.IsFinal, cancellationToken);
        if (paced.IsFinal || paced.SucceededCount == warm.SucceededCount)
        {
            throw new InvalidOperationException($"the large job ended ({paced.Status}: {paced.Reason}) before it could be timed; give it more images (--large)");
        }

        var perImage = clock.Elapsed / (paced.SucceededCount - warm.SucceededCount);

        var small = (await api.SubmitAsync(Job(conceptId, settings.Small, "small"), null, cancellationToken)).JobId;
        var patience = Stopwatch.StartNew();
        var smallRow = await workspace.WaitForJobAsync(
            small, j => j.IsFinal || (j.StartedAt is null && patience.Elapsed > settings.OneLaneWait), cancellationToken);

        var largeTasks = await TasksAsync(clients, large, cancellationToken);
        var largeBefore = largeTasks.Count(t => t.CompletedAt > smallRow.CreatedAt && t.CompletedAt <= (smallRow.StartedAt ?? DateTimeOffset.UtcNow));
        var largeDone = largeTasks.Count(t => t.Status == ImageTaskStatus.Succeeded && t.CompletedAt <= (smallRow.CompletedAt ?? DateTimeOffset.UtcNow));
        var arm = new FairnessArm(
            name,
            perImage * settings.Batch,
            smallRow.QueuedAhead ?? 0,
            smallRow.StartedAt - smallRow.CreatedAt,
            smallRow.CompletedAt - smallRow.CreatedAt,
            largeBefore,
            largeDone,
            perImage * (settings.Large - largeDone));

        output.WriteLine($"  {name}: measured; canceling both jobs");
        foreach (var job in new[] { large, small })
        {
            try
            {
                await api.CancelAsync(job, cancellationToken);
            }
            catch (PipelineApiException e) when (e.Status == System.Net.HttpStatusCode.Conflict)
            {
                // It ended already.
            }

            await workspace.WaitForJobAsync(job, j => j.IsFinal, cancellationToken);
        }

        await WaitForEmptyLanesAsync(clients, cancellationToken); // the canceled tasks' messages are acknowledged before the next arm
        return arm;
    }

    private JobSubmission Job(string conceptId, int images, string label) => new()
    {
        ConceptId = conceptId,
        Prompts = [new PromptRequest { Prompt = $"a photo of S, {label} job", Count = images }],
        Steps = settings.Steps,
    };

    private void Report(List<FairnessArm> arms)
    {
        var (before, now) = (arms[0], arms[1]);
        var estimatedBefore = before.SmallWaited ?? before.BatchTime / settings.Batch * before.SmallQueuedAhead;
        string Waited(FairnessArm arm) => arm.SmallWaited is { } waited
            ? $"{waited.TotalSeconds:F1} s ({waited / arm.BatchTime:F1} batch times)"
            : $"not within {settings.OneLaneWait.TotalSeconds:F0} s; ≈ {estimatedBefore.TotalSeconds:F0} s at the measured rate";
        string Finished(FairnessArm arm) => arm.SmallFinished is { } finished ? $"{finished.TotalSeconds:F1} s" : "-";
        var table = new Table().AddColumns("measure", before.Name, now.Name);
        table.AddRow($"one batch ({settings.Batch} images, {settings.Steps} steps)", $"{before.BatchTime.TotalSeconds:F1} s", $"{now.BatchTime.TotalSeconds:F1} s");
        table.AddRow("small job: tasks ahead in its lane when queued", $"{before.SmallQueuedAhead}", $"{now.SmallQueuedAhead}");
        table.AddRow("small job: waited to start", Waited(before), Waited(now));
        table.AddRow("small job: finished after", Finished(before), Finished(now));
        table.AddRow("large job's images generated before the small job started", $"{before.LargeImagesBeforeSmallStarted}", $"{now.LargeImagesBeforeSmallStarted}");
        table.AddRow("large job: done when the small one finished", "-", $"{now.LargeDoneWhenSmallFinished} of {settings.Large} (≈ {now.LargeLeft.TotalSeconds:F0} s more)");
        var console = AnsiConsole.Create(new AnsiConsoleSettings { Out = new AnsiConsoleOutput(output) });
        console.Profile.Width = 160; // one line per measure, also when the output is not a terminal
        console.Write(table);
        if (now.SmallWaited is { } wait && wait > TimeSpan.Zero)
        {
            output.WriteLine($"the small job's wait: {estimatedBefore.TotalSeconds:F0} s with one lane, {wait.TotalSeconds:F1} s with two ({estimatedBefore / wait:F0}× shorter)");
        }
    }

    private static async Task<List<TaskRow>> TasksAsync(StorageClients clients, string jobId, CancellationToken cancellationToken)
    {
        var rows = new List<TaskRow>();
        await foreach (var row in clients.Table(StorageNames.Tables.Tasks).QueryAsync<TaskRow>(t => t.PartitionKey == jobId, cancellationToken: cancellationToken)) rows.Add(row);
        return rows;
    }

    private static async Task WaitForEmptyLanesAsync(StorageClients clients, CancellationToken cancellationToken)
    {
        foreach (var lane in JobLanes.QueuesInOrder)
        {
            while ((await clients.Queue(lane).GetPropertiesAsync(cancellationToken)).Value.ApproximateMessagesCount > 0) await Task.Delay(Poll, cancellationToken);
        }
    }
}
