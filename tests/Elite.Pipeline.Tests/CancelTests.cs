using System.Text.Json;
using CliRunner = Elite.Cli.Tests.Cli;
using Elite.Core.Rows;
using Elite.Core.Storage;

namespace Elite.Pipeline.Tests;

/// <summary>Canceling a job while the worker generates it, through the functions host and the worker, as a caller does it.</summary>
[Collection(PipelineCollection.Name)]
public sealed class CancelTests(PipelineFixture fixture)
{
    private const int WorkerBatch = 4; // PipelineFixture's Worker:MaxBatch
    private const int InHand = 3 * WorkerBatch;

    [Fact]
    public async Task A_job_canceled_while_it_runs_generates_nothing_after_the_batch_in_hand_and_ends_Canceled_with_one_webhook()
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(5));
        var conceptId = await Uploads.ReadyConceptAsync(fixture, timeout.Token);
        var api = fixture.FunctionsUrl.ToString();
        var submitted = await CliRunner.RunAsync(
            "jobs", "submit", "--api", api, "--concept", conceptId, "--prompt", "a photo of S on the moon", "--seeds", "1-60", "--steps", "3", "--webhook", fixture.Webhooks.Url);
        Assert.True(submitted.ExitCode == 0, submitted.Error);
        var jobId = submitted.Output.Split(' ', ':')[1];
        await Uploads.UntilAsync(async () => (await fixture.Api.GetJobAsync(jobId, timeout.Token)).SucceededCount >= WorkerBatch, timeout.Token);

        var canceled = await fixture.Api.CancelAsync(jobId, timeout.Token);
        var cli = await CliRunner.RunAsync("jobs", "cancel", "--api", api, jobId); // idempotent: a second cancel is answered the same way
        Assert.True(cli.ExitCode == 0, cli.Error);
        Assert.Contains($"job {jobId}: ", cli.Output);

        var job = await Uploads.FinishedJobAsync(fixture, jobId, timeout.Token);
        Assert.Equal(JobStatus.Canceled, job.Status);
        Assert.Equal(60, job.SucceededCount + job.FailedCount + job.CanceledCount);
        // At most what the pipelined worker had in hand finished: a batch being stored, one generating, one started behind it.
        Assert.InRange(job.CanceledCount, 60 - canceled.SucceededCount - InHand, 60 - WorkerBatch);
        Assert.InRange(job.SucceededCount, canceled.SucceededCount, canceled.SucceededCount + InHand);

        var images = 0;
        await foreach (var _ in fixture.Clients.Container(StorageNames.Containers.Results).GetBlobsAsync(Azure.Storage.Blobs.Models.BlobTraits.None, Azure.Storage.Blobs.Models.BlobStates.None, jobId + "/", timeout.Token)) images++;
        Assert.Equal(job.SucceededCount, images);
        var tasks = new List<Core.Api.TaskView>();
        await foreach (var task in fixture.Api.AllTasksAsync(jobId, timeout.Token)) tasks.Add(task);
        Assert.Equal(job.CanceledCount, tasks.Count(t => t.Status == ImageTaskStatus.Canceled && t.Result is null));

        var webhook = await Uploads.NextWebhookAsync(fixture, jobId, timeout.Token);
        var data = JsonDocument.Parse(webhook.Body).RootElement.GetProperty("data");
        Assert.Equal((jobId, "canceled", job.CanceledCount), (data.GetProperty("jobId").GetString(), data.GetProperty("status").GetString(), data.GetProperty("canceledCount").GetInt32()));
        await Uploads.UntilAsync(async () => (await fixture.Api.GetJobAsync(jobId, timeout.Token)).Webhook == WebhookState.Delivered, timeout.Token);
        await Task.Delay(TimeSpan.FromSeconds(2), timeout.Token);
        Assert.Single(fixture.Webhooks.Received, w => w.Text.Contains(jobId, StringComparison.Ordinal) && w.AnsweredWith is >= 200 and < 300);
    }
}
