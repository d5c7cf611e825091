using System.CommandLine;
using System.Text.Json;
using Elite.Contracts.Generation;
using Elite.Core.Api;
using Elite.Core.Jobs;
using Elite.Core.Rows;

namespace Elite.Cli;

/// <summary><c>elite jobs submit|status|watch|list|tasks|cancel</c>: jobs through the functions' HTTP API, as any caller uses it.</summary>
internal static class JobsCommand
{
    public static Command Create()
    {
        var (api, key) = ApiCommand.Options();
        var jobs = new Command("jobs", "Submit jobs to the pipeline's HTTP API and follow them.")
        {
            Submit(api, key), Status(api, key), Watch(api, key), List(api, key), Tasks(api, key), Cancel(api, key), Redeliver(api, key),
        };
        return jobs;
    }

    private static Command Submit(Option<string?> api, Option<string?> key)
    {
        var file = new Option<FileInfo?>("--file") { Description = "The job as JSON (the body of POST /api/jobs; see README)." };
        var concept = new Option<string?>("--concept") { Description = "Concept id (instead of --file)." };
        var prompt = new Option<string[]>("--prompt") { Description = "A prompt with the placeholder S. Repeatable." };
        var negative = new Option<string?>("--negative") { Description = "Negative prompt for every --prompt." };
        var seeds = new Option<string>("--seeds") { Description = "Seeds for every --prompt: 42, 1-4, 1,5,9.", DefaultValueFactory = _ => "0" };
        var steps = new Option<int?>("--steps") { Description = $"Denoising steps (default {GenerationDefaults.Steps})." };
        var guidance = new Option<float?>("--guidance") { Description = $"Guidance scale (default {GenerationDefaults.Guidance})." };
        var lambda = new Option<float?>("--lambda") { Description = $"λ, the local branch's weight (default {GenerationDefaults.Lambda})." };
        var scheduler = new Option<string?>("--scheduler") { Description = $"{SchedulerNames.Listed} (default {SchedulerNames.Of(GenerationDefaults.Scheduler)})." };
        var webhook = new Option<string?>("--webhook") { Description = "URL for the signed completion webhook." };
        var idempotency = new Option<string?>("--idempotency-key") { Description = "Makes a retried submission return the same job instead of a second one." };
        var watch = new Option<bool>("--watch") { Description = "Follow the job until it ends (exit 0 when every image succeeded)." };
        var command = new Command("submit", "Submit a job: a JSON file, or a concept and prompts.")
        {
            api, key, file, concept, prompt, negative, seeds, steps, guidance, lambda, scheduler, webhook, idempotency, watch,
        };
        command.SetAction((parse, cancellationToken) => ApiCommand.GuardAsync(parse, api, key, cancellationToken, async client =>
        {
            JobSubmission submission;
            if (parse.GetValue(file) is { } json)
            {
                if (parse.GetValue(concept) is not null || parse.GetValue(prompt) is { Length: > 0 }) throw new ArgumentException("give either --file or --concept with --prompt, not both.");
                await using var stream = json.OpenRead();
                var read = await JobSubmissionJson.ReadAsync(stream, JobLimits.Default, cancellationToken);
                submission = read.Submission ?? throw new ArgumentException($"{json.Name}: {string.Join("; ", read.Problems)}");
            }
            else
            {
                var prompts = parse.GetValue(prompt) ?? [];
                if (parse.GetValue(concept) is null || prompts.Length == 0) throw new ArgumentException("give --file, or --concept and at least one --prompt.");
                var seedList = Seeds.Parse(parse.GetValue(seeds)!);
                submission = new JobSubmission
                {
                    ConceptId = parse.GetValue(concept),
                    Prompts = [.. prompts.Select(p => new PromptRequest { Prompt = p, NegativePrompt = parse.GetValue(negative), Seeds = seedList })],
                    Steps = parse.GetValue(steps),
                    Guidance = parse.GetValue(guidance),
                    Lambda = parse.GetValue(lambda),
                    Scheduler = parse.GetValue(scheduler),
                    WebhookUrl = parse.GetValue(webhook),
                };
            }

            var accepted = await client.SubmitAsync(submission, parse.GetValue(idempotency), cancellationToken);
            var output = parse.InvocationConfiguration.Output;
            output.WriteLine($"job {accepted.JobId}: {accepted.Tasks} images {(accepted.Repeated ? "(already submitted with this idempotency key)" : "queued")}; status {new Uri(client.BaseAddress, accepted.Status)}");
            return parse.GetValue(watch) ? ExitCode(await WatchAsync(client, accepted.JobId, output, cancellationToken)) : 0;
        }));
        return command;
    }

    private static Command Status(Option<string?> api, Option<string?> key)
    {
        var id = new Argument<string>("job-id") { Description = "The job id (from submit, or the CSV job's id)." };
        var json = new Option<bool>("--json") { Description = "Print the API's answer as JSON." };
        var command = new Command("status", "Show a job: status, counts, problems and its first tasks with their result links or reasons.") { api, key, id, json };
        command.SetAction((parse, cancellationToken) => ApiCommand.GuardAsync(parse, api, key, cancellationToken, async client =>
        {
            var job = await client.GetJobAsync(parse.GetValue(id)!, cancellationToken);
            var output = parse.InvocationConfiguration.Output;
            if (parse.GetValue(json))
            {
                output.WriteLine(JsonSerializer.Serialize(job, new JsonSerializerOptions(JsonSerializerDefaults.Web) { WriteIndented = true }));
                return 0;
            }

            output.WriteLine(Describe(job));
            if (job.Reason is not null) output.WriteLine(job.Reason);
            if (job.LastWebhookError is not null) output.WriteLine($"last webhook error: {job.LastWebhookError}");
            foreach (var task in job.Tasks) WriteTask(output, task);
            if (job.TasksContinuation is not null) output.WriteLine($"  ... {job.TaskCount - job.Tasks.Count} more: elite jobs tasks {job.Id}");
            return 0;
        }));
        return command;
    }

    private static Command Watch(Option<string?> api, Option<string?> key)
    {
        var id = new Argument<string>("job-id") { Description = "The job id." };
        var command = new Command("watch", "Follow a job until it ends; exit 0 when every image succeeded, 1 otherwise.") { api, key, id };
        command.SetAction((parse, cancellationToken) => ApiCommand.GuardAsync(parse, api, key, cancellationToken, async client =>
            ExitCode(await WatchAsync(client, parse.GetValue(id)!, parse.InvocationConfiguration.Output, cancellationToken))));
        return command;
    }

    private static Command List(Option<string?> api, Option<string?> key)
    {
        var count = new Option<int>("--count") { Description = "How many of the newest jobs to show.", DefaultValueFactory = _ => 20 };
        var command = new Command("list", "List your jobs, newest first.") { api, key, count };
        command.SetAction((parse, cancellationToken) => ApiCommand.GuardAsync(parse, api, key, cancellationToken, async client =>
        {
            var output = parse.InvocationConfiguration.Output;
            var left = parse.GetValue(count);
            string? continuation = null;
            do
            {
                var page = await client.ListJobsAsync(continuation, Math.Clamp(left, 1, JobList.MaxPageSize), cancellationToken);
                foreach (var job in page.Jobs.Take(left)) output.WriteLine($"{job.CreatedAt:yyyy-MM-dd HH:mm}  {Describe(job)}");
                left -= page.Jobs.Count;
                continuation = page.Continuation;
            }
            while (continuation is not null && left > 0);

            return 0;
        }));
        return command;
    }

    private static Command Tasks(Option<string?> api, Option<string?> key)
    {
        var id = new Argument<string>("job-id") { Description = "The job id." };
        var command = new Command("tasks", "List every task of a job, with its result link or reason (read a page at a time).") { api, key, id };
        command.SetAction((parse, cancellationToken) => ApiCommand.GuardAsync(parse, api, key, cancellationToken, async client =>
        {
            var output = parse.InvocationConfiguration.Output;
            await foreach (var task in client.AllTasksAsync(parse.GetValue(id)!, cancellationToken)) WriteTask(output, task);
            return 0;
        }));
        return command;
    }

    private static Command Cancel(Option<string?> api, Option<string?> key)
    {
        var id = new Argument<string>("job-id") { Description = "The job id." };
        var command = new Command("cancel", "Cancel a job: tasks not started are not generated; a batch in hand finishes.") { api, key, id };
        command.SetAction((parse, cancellationToken) => ApiCommand.GuardAsync(parse, api, key, cancellationToken, async client =>
        {
            var job = await client.CancelAsync(parse.GetValue(id)!, cancellationToken);
            parse.InvocationConfiguration.Output.WriteLine(job.IsFinal ? Describe(job) : $"{Describe(job)}; canceling: a batch in hand finishes first");
            return 0;
        }));
        return command;
    }

    private static Command Redeliver(Option<string?> api, Option<string?> key)
    {
        var id = new Argument<string>("job-id") { Description = "The job id." };
        var command = new Command("redeliver", "Send a finished job's completion webhook again (same webhook-id; its retries start over).") { api, key, id };
        command.SetAction((parse, cancellationToken) => ApiCommand.GuardAsync(parse, api, key, cancellationToken, async client =>
        {
            await client.RedeliverWebhookAsync(parse.GetValue(id)!, cancellationToken);
            parse.InvocationConfiguration.Output.WriteLine($"job {parse.GetValue(id)}: webhook queued for delivery");
            return 0;
        }));
        return command;
    }

    private static string Describe(JobSummary job) =>
        $"job {job.Id}: {job.Status}, {job.SucceededCount} succeeded, {job.FailedCount} failed{(job.CanceledCount > 0 ? $", {job.CanceledCount} canceled" : "")} of {job.TaskCount}; webhook {job.Webhook}";

    private static void WriteTask(TextWriter output, TaskView task)
    {
        output.WriteLine($"  {task.Id}  {task.Status,-9}  seed {task.Seed}  \"{task.Prompt}\"");
        if ((task.Result ?? task.Reason) is { } detail) output.WriteLine($"          {detail}");
    }

    private static async Task<JobView> WatchAsync(PipelineApi client, string jobId, TextWriter output, CancellationToken cancellationToken)
    {
        var job = await client.WatchJobAsync(jobId, TimeSpan.FromSeconds(1), j =>
            output.WriteLine($"{DateTime.Now:HH:mm:ss} {j.Status}: {j.SucceededCount} succeeded, {j.FailedCount} failed of {j.TaskCount}"), cancellationToken);
        if (job.Reason is not null) output.WriteLine(job.Reason);
        if (job.FailedCount > 0)
        {
            await foreach (var failed in client.AllTasksAsync(jobId, cancellationToken))
            {
                if (failed.Status == ImageTaskStatus.Failed) output.WriteLine($"task {failed.Id} failed: {failed.Reason}");
            }
        }

        return job;
    }

    private static int ExitCode(JobView job) => job.Status == JobStatus.Succeeded ? 0 : 1;
}
