using System.Text;
using Elite.Contracts.Generation;
using Elite.Core.Concepts;
using Elite.Core.Jobs;
using Elite.Core.Messages;
using Elite.Core.Reconciliation;
using Elite.Core.Rows;
using Elite.Core.Storage;

namespace Elite.Core.Tests;

/// <summary>
/// The reconciler on Azurite, each case set up as a crash or a lost event leaves it. Its clock runs 20 minutes ahead,
/// so every deadline has passed. Other tests' leftovers in the same storage may be reconciled too: assertions name their rows.
/// </summary>
[Collection(StorageCollection.Name)]
public sealed class ReconcilerTests(StorageFixture storage) : IAsyncLifetime
{
    private readonly StorageClients clients = storage.Clients;

    public Task InitializeAsync() => clients.ClearQueuesAsync();

    public Task DisposeAsync() => Task.CompletedTask;

    private Reconciler Reconciler() => new(
        clients, new ConceptIntake(clients), new CsvJobIntake(clients), time: new FixedTime(DateTimeOffset.UtcNow.AddMinutes(20)));

    [Fact]
    public async Task A_job_that_ended_without_its_completion_event_gets_it_once()
    {
        var jobId = TestStorage.NewId("owed");
        // The worker made the job final, then died before it sent the event; its claim on the send ran out.
        await clients.Table(StorageNames.Tables.Jobs).AddEntityAsync(new JobRow(jobId)
        {
            Status = JobStatus.Succeeded, Source = JobRow.HttpSource, TaskCount = 1, SucceededCount = 1, EnqueuedCount = 1, IntakeComplete = true,
            CreatedAt = DateTimeOffset.UtcNow, CompletedAt = DateTimeOffset.UtcNow, CompletedBy = "task:000000",
            CompletionEventClaimedUntil = DateTimeOffset.UtcNow.AddSeconds(30),
        });

        await Reconciler().RunAsync(default);
        await Reconciler().RunAsync(default);

        Assert.True((await clients.JobAsync(jobId)).CompletionEventSent);
        Assert.Single(await clients.DrainAsync<JobEvent>(StorageNames.Queues.JobEvents), e => e.JobId == jobId);
    }

    [Fact]
    public async Task A_submission_that_stopped_part_way_runs_the_tasks_it_wrote_and_ends_with_the_reason()
    {
        var conceptId = await clients.AddConceptAsync();
        var jobId = TestStorage.NewId("stopped");
        await clients.Table(StorageNames.Tables.Jobs).AddEntityAsync(new JobRow(jobId)
        {
            Status = JobStatus.Queued, Source = JobRow.HttpSource, TaskCount = 5, EnqueuedCount = 2, IntakeComplete = false, CreatedAt = DateTimeOffset.UtcNow,
        });
        for (var i = 0; i < 3; i++) // rows of three tasks written; messages of the first two sent, then the caller went away
        {
            await clients.Table(StorageNames.Tables.Tasks).AddEntityAsync(TaskRow.Queued(jobId, TaskIds.Format(i), conceptId, new GenerationParameters("a photo of S", "", i), sourceLine: null));
        }

        var report = await Reconciler().RunAsync(default);

        Assert.True(report.IntakesFinished >= 1);
        var job = await clients.JobAsync(jobId);
        Assert.Equal((true, 3, false), (job.IntakeComplete, job.TaskCount, job.IsFinal));
        Assert.Contains("stopped after 3 of 5 images were queued", job.Reason);
        var requeued = (await clients.DrainAsync<GenerateTask>(StorageNames.Queues.Generate)).Where(t => t.JobId == jobId).ToList();
        Assert.Equal(["000002"], requeued.Select(t => t.TaskId));
        Assert.Equal(new GenerationParameters("a photo of S", "", 2), requeued.Single().Parameters);
    }

    [Fact]
    public async Task Uploads_whose_blob_event_was_lost_are_registered()
    {
        var conceptId = TestStorage.NewId("missed");
        await clients.Container(StorageNames.Containers.Concepts).GetBlobClient(BlobPaths.ConceptFile(conceptId, "photo.png")).UploadAsync(new BinaryData(TestImages.Png(32, 32)));
        var dog = await clients.AddConceptAsync();
        var csvName = TestStorage.NewId("missed");
        var csv = await clients.Container(StorageNames.Containers.Jobs).GetBlobClient(BlobPaths.JobCsv(csvName)).UploadAsync(new BinaryData(Encoding.UTF8.GetBytes($"concept_id,prompt\n{dog},a photo of S\n")));

        await Reconciler().RunAsync(default);

        var concept = await new ConceptLifecycle(clients).GetAsync(conceptId, default);
        Assert.Equal(ConceptStatus.Pending, concept?.Status);
        Assert.Contains(await clients.DrainAsync<EncodeRequest>(StorageNames.Queues.Encode), r => r.ConceptId == conceptId);
        var job = await clients.JobAsync(CsvJobIntake.JobIdFor(csvName, csv.Value.ETag.ToString()));
        Assert.Equal((true, 1), (job.IntakeComplete, job.TaskCount));
    }

    [Fact]
    public async Task A_run_bounded_to_fewer_blobs_than_the_container_holds_goes_on_where_the_last_one_stopped()
    {
        var conceptId = TestStorage.NewId("missed");
        var container = clients.Container(StorageNames.Containers.Concepts);
        await container.GetBlobClient(BlobPaths.ConceptFile(conceptId, "photo.png")).UploadAsync(new BinaryData(TestImages.Png(32, 32)));
        var blobs = 0;
        await foreach (var _ in container.GetBlobsAsync()) blobs++;
        var reconciler = new Reconciler(
            clients, new ConceptIntake(clients), new CsvJobIntake(clients), new ReconcilerOptions { MaxBlobsPerRun = 1 }, time: new FixedTime(DateTimeOffset.UtcNow.AddMinutes(20)));

        for (var run = 0; run <= blobs && await new ConceptLifecycle(clients).GetAsync(conceptId, default) is null; run++)
        {
            await reconciler.RunAsync(default);
        }

        Assert.NotNull(await new ConceptLifecycle(clients).GetAsync(conceptId, default)); // one blob a run, however far down the list it is
    }

    [Fact]
    public async Task A_completion_event_that_went_to_the_poison_queue_shows_as_a_failed_webhook_with_the_reason()
    {
        var jobId = TestStorage.NewId("poisoned");
        await clients.Table(StorageNames.Tables.Jobs).AddEntityAsync(new JobRow(jobId)
        {
            Status = JobStatus.Succeeded, Source = JobRow.HttpSource, IntakeComplete = true, CompletionEventSent = true,
            WebhookUrl = "https://example.com/hook", WebhookStatus = WebhookState.Retrying, CreatedAt = DateTimeOffset.UtcNow,
        });
        await clients.Queue(StorageNames.Queues.JobEventsPoison).SendMessageAsync(QueueMessages.Serialize(new JobEvent(jobId, JobEvent.Completed)));

        await Reconciler().RunAsync(default);

        var job = await clients.JobAsync(jobId);
        Assert.Equal(WebhookState.GaveUp, job.WebhookStatus);
        Assert.Contains("job-events-poison", job.LastWebhookError);
        Assert.Equal(0, await clients.CountAsync(StorageNames.Queues.JobEventsPoison));
    }

    [Fact]
    public async Task A_progress_event_that_went_to_the_poison_queue_is_named_on_the_job_and_leaves_its_completion_webhook_alone()
    {
        var jobId = TestStorage.NewId("progress");
        await clients.Table(StorageNames.Tables.Jobs).AddEntityAsync(new JobRow(jobId)
        {
            Status = JobStatus.Running, Source = JobRow.HttpSource, IntakeComplete = true, TaskCount = 2,
            WebhookUrl = "https://example.com/hook", WebhookEvents = "job.started,job.completed", CreatedAt = DateTimeOffset.UtcNow,
        });
        await clients.Queue(StorageNames.Queues.JobEventsPoison).SendMessageAsync(QueueMessages.Serialize(new JobEvent(jobId, JobEvent.Started)));

        await Reconciler().RunAsync(default);

        var job = await clients.JobAsync(jobId);
        Assert.Equal((WebhookState.None, (string?)null), (job.WebhookStatus, job.LastWebhookError)); // job.completed is still owed
        Assert.Contains("webhook event started not delivered", job.Reason);
        Assert.Equal(0, await clients.CountAsync(StorageNames.Queues.JobEventsPoison));
    }
}
