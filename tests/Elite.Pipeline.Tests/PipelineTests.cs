using System.Text;
using System.Text.Json;
using CliRunner = Elite.Cli.Tests.Cli;
using Elite.Core.Api;
using Elite.Contracts.Imaging;
using Elite.Core.Jobs;
using Elite.Core.Rows;
using Elite.Core.Storage;
using Elite.Inference.Imaging;

namespace Elite.Pipeline.Tests;

/// <summary>The main job end to end, through the functions host, the worker and a webhook receiver, as a user meets it.</summary>
[Collection(PipelineCollection.Name)]
public sealed class PipelineTests(PipelineFixture fixture)
{
    private readonly StorageClients clients = fixture.Clients;

    [Fact]
    public async Task A_photo_and_a_prompt_csv_become_images_and_rows_and_one_signed_webhook()
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(4));
        var conceptId = await Uploads.ReadyConceptAsync(fixture, timeout.Token);

        string[] prompts = ["a photo of S on the beach", "S in a watercolor painting", "a close-up of S"];
        var csv = new StringBuilder("concept_id,prompt,seed,lambda\n");
        for (var i = 0; i < prompts.Length; i++) csv.Append($"{conceptId},\"{prompts[i]}\",{i + 7},0.5\n");
        var jobId = await Uploads.CsvJobAsync(fixture, Uploads.NewId("job"), csv.ToString(), new Dictionary<string, string>
        {
            [CsvJobMetadata.WebhookUrl] = fixture.Webhooks.Url,
            [CsvJobMetadata.Steps] = "2",
        });

        var job = await Uploads.FinishedJobAsync(fixture, jobId, timeout.Token);
        Assert.Equal((JobStatus.Succeeded, 3, 0, 0), (job.Status, job.SucceededCount, job.FailedCount, job.InvalidRowCount));

        foreach (var task in job.Tasks)
        {
            Assert.Equal(ImageTaskStatus.Succeeded, task.Status);
            var blob = BlobPaths.Result(jobId, task.Id);
            using var anonymous = new HttpClient();
            var png = await anonymous.GetByteArrayAsync(task.Result, timeout.Token); // the API's link needs no credentials
            var image = ImageDecoder.Decode(png, ImageLimits.Default);
            Assert.Equal((512, 512), (image.Width, image.Height));
            var text = PngText.Read(png);
            Assert.Equal((task.Prompt, task.Seed.ToString(), jobId, "0.5"), (text["prompt"], text["seed"], text["job"], text["lambda"]));
            var row = (await clients.Table(StorageNames.Tables.Tasks).GetEntityAsync<TaskRow>(jobId, task.Id, cancellationToken: timeout.Token)).Value;
            Assert.Equal((ImageTaskStatus.Succeeded, blob, 2), (row.Status, row.ResultBlob, row.Steps));
        }

        Assert.Equal(prompts, job.Tasks.OrderBy(t => t.Id).Select(t => t.Prompt));
        var webhook = await Uploads.NextWebhookAsync(fixture, jobId, timeout.Token); // the receiver only passes deliveries whose signature verifies
        var data = JsonDocument.Parse(webhook.Body).RootElement.GetProperty("data");
        Assert.Equal((jobId, "succeeded", 3), (data.GetProperty("jobId").GetString(), data.GetProperty("status").GetString(), data.GetProperty("succeededCount").GetInt32()));
        Assert.Equal(job.Tasks.Select(t => BlobPaths.Result(jobId, t.Id)).Order(), data.GetProperty("results").EnumerateArray().Select(r => r.GetProperty("blob").GetString()).Order());
        await Uploads.UntilAsync(async () => (await fixture.Api.GetJobAsync(jobId, timeout.Token)).Webhook == WebhookState.Delivered, timeout.Token);

        // Each result comes with a read link; and the caller can have the webhook sent again, with the same webhook-id.
        using var reader = new HttpClient();
        foreach (var result in data.GetProperty("results").EnumerateArray())
        {
            Assert.Equal(512, ImageDecoder.Decode(await reader.GetByteArrayAsync(result.GetProperty("url").GetString(), timeout.Token), ImageLimits.Default).Width);
        }

        var redeliver = await CliRunner.RunAsync("jobs", "redeliver", "--api", fixture.FunctionsUrl.ToString(), jobId);
        Assert.True(redeliver.ExitCode == 0, redeliver.Error);
        var again = await Uploads.NextWebhookAsync(fixture, jobId, timeout.Token);
        Assert.Equal(webhook.Id, again.Id);
        Assert.Equal(jobId, JsonDocument.Parse(again.Body).RootElement.GetProperty("data").GetProperty("jobId").GetString());
        await Uploads.UntilAsync(async () => (await fixture.Api.GetJobAsync(jobId, timeout.Token)).Webhook == WebhookState.Delivered, timeout.Token);
    }

    [Fact]
    public async Task Jobs_submitted_with_the_cli_run_to_the_end_and_a_retried_submission_is_the_same_job()
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(4));
        var conceptId = await Uploads.ReadyConceptAsync(fixture, timeout.Token);
        var api = fixture.FunctionsUrl.ToString();
        var key = "retry-" + conceptId;
        string[] submit = ["jobs", "submit", "--api", api, "--concept", conceptId, "--prompt", "a photo of S in the snow", "--seeds", "1-2", "--steps", "2", "--idempotency-key", key];

        var first = await CliRunner.RunAsync(new StringWriter(), timeout.Token, [.. submit, "--watch"]);
        Assert.True(first.ExitCode == 0, first.Output + first.Error);
        Assert.Contains("Succeeded: 2 succeeded, 0 failed of 2", first.Output);
        var jobId = first.Output.Split(' ', ':')[1];

        var again = await CliRunner.RunAsync(submit);
        Assert.Equal(0, again.ExitCode);
        Assert.StartsWith($"job {jobId}: 2 images (already submitted", again.Output);

        var table = await CliRunner.RunAsync("jobs", "status", "--api", api, jobId);
        Assert.Contains($"job {jobId}: Succeeded, 2 succeeded, 0 failed of 2", table.Output);
        Assert.Contains("a photo of S in the snow", table.Output);

        var status = await CliRunner.RunAsync("jobs", "status", "--api", api, jobId, "--json");
        var view = JsonSerializer.Deserialize<JobView>(status.Output, new JsonSerializerOptions(JsonSerializerDefaults.Web))!;
        Assert.Equal((JobStatus.Succeeded, 2), (view.Status, view.Tasks.Count(t => t.Result is not null)));

        var reused = await CliRunner.RunAsync([.. submit.Take(8), "--seeds", "3", "--idempotency-key", key]);
        Assert.True(reused.ExitCode == 2 && reused.Error.Contains("409"), reused.Error);
    }
}
