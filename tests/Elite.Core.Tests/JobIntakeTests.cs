using Elite.Contracts.Generation;
using Elite.Core.Jobs;
using Elite.Core.Messages;
using Elite.Core.Rows;
using Elite.Core.Storage;
using Elite.Core.Webhooks;

namespace Elite.Core.Tests;

[Collection(StorageCollection.Name)]
public sealed class JobIntakeTests(StorageFixture storage) : IAsyncLifetime
{
    private readonly StorageClients clients = storage.Clients;

    public Task InitializeAsync() => clients.ClearQueuesAsync();

    public Task DisposeAsync() => Task.CompletedTask;

    private static JobSubmission Submission(string conceptId, int images = 5) => new()
    {
        ConceptId = conceptId,
        Prompts =
        [
            new PromptRequest { Prompt = "a photo of S on the beach", Seeds = [7, 8] },
            new PromptRequest { Prompt = "S in a watercolor painting", NegativePrompt = "blurry", Count = images - 2 },
        ],
        Steps = 20,
        Guidance = 7.5f,
        Scheduler = "ddim",
        WebhookUrl = "https://example.com/hooks/elite",
    };

    [Fact]
    public async Task A_submission_writes_the_job_one_task_row_per_image_and_one_message_per_task()
    {
        var conceptId = await clients.AddConceptAsync();

        var result = await new JobIntake(clients).SubmitAsync(Submission(conceptId), TestStorage.Caller, idempotencyKey: null, cancellationToken: default);

        Assert.Equal((SubmitOutcome.Accepted, 5), (result.Outcome, result.TaskCount));
        Assert.Empty(result.Problems);
        var job = await clients.JobAsync(result.JobId!);
        Assert.Equal(
            (JobStatus.Queued, "http", 5, 5, true, "https://example.com/hooks/elite"),
            (job.Status, job.Source, job.TaskCount, job.EnqueuedCount, job.IntakeComplete, job.WebhookUrl));
        Assert.NotNull(job.CreatedAt);

        var tasks = (await clients.TasksAsync(result.JobId!)).OrderBy(t => t.TaskId).ToList();
        Assert.Equal(["000000", "000001", "000002", "000003", "000004"], tasks.Select(t => t.TaskId));
        Assert.Equal([7L, 8, 0, 1, 2], tasks.Select(t => t.Seed));
        Assert.All(tasks, t => Assert.Equal((ImageTaskStatus.Queued, conceptId, 20, 7.5, "ddim"), (t.Status, t.ConceptId, t.Steps, t.Guidance, t.Scheduler)));
        Assert.Equal([null, null, "blurry", "blurry", "blurry"], tasks.Select(t => t.NegativePrompt));

        var messages = (await clients.DrainAsync<GenerateTask>(StorageNames.Queues.Generate)).OrderBy(m => m.TaskId).ToList();
        Assert.Equal(tasks.Count, messages.Count);
        Assert.Equal(
            tasks.Select(t => (t.JobId, t.TaskId, t.ConceptId, t.Parameters)),
            messages.Select(m => (m.JobId, m.TaskId, m.ConceptId, m.Parameters)));
        Assert.All(messages, m => Assert.Equal(GenerationDefaults.Lambda, m.Parameters.Lambda));
    }

    [Fact]
    public async Task A_pending_concept_is_accepted_and_the_worker_waits_for_it()
    {
        var conceptId = await clients.AddConceptAsync(ConceptStatus.Pending);

        var result = await new JobIntake(clients).SubmitAsync(Submission(conceptId), TestStorage.Caller, null, default);

        Assert.Equal(SubmitOutcome.Accepted, result.Outcome);
    }

    [Fact]
    public async Task Unknown_rejected_and_failed_concepts_are_refused_without_writing_anything()
    {
        var rejected = await clients.AddConceptAsync(ConceptStatus.Rejected, "photo.gif: '.gif' is not a supported image type");
        var failed = await clients.AddConceptAsync(ConceptStatus.Failed, "the encoder ran out of memory");
        var intake = new JobIntake(clients);

        var unknown = await intake.SubmitAsync(Submission("no-such-concept"), TestStorage.Caller, "key-" + Guid.NewGuid(), default);
        var refused = await intake.SubmitAsync(Submission(rejected), TestStorage.Caller, null, default);
        var broken = await intake.SubmitAsync(Submission(failed), TestStorage.Caller, null, default);

        Assert.All([unknown, refused, broken], r => Assert.Equal((SubmitOutcome.Invalid, null), (r.Outcome, r.JobId)));
        Assert.Equal(("conceptId", "concept 'no-such-concept' does not exist: upload its photo to concepts/no-such-concept/ first"),
            (unknown.Problems.Single().Field, unknown.Problems.Single().Message));
        Assert.Contains("was rejected: photo.gif: '.gif' is not a supported image type", refused.Problems.Single().Message);
        Assert.Contains("failed to encode: the encoder ran out of memory", broken.Problems.Single().Message);
        Assert.Equal(0, await clients.CountAsync(StorageNames.Queues.Generate));
    }

    [Fact]
    public async Task The_same_idempotency_key_returns_the_same_job_without_writing_again()
    {
        var conceptId = await clients.AddConceptAsync();
        var intake = new JobIntake(clients);
        var key = "order-" + Guid.NewGuid();

        var first = await intake.SubmitAsync(Submission(conceptId), TestStorage.Caller, key, default);
        var jobBefore = await clients.JobAsync(first.JobId!);
        var second = await intake.SubmitAsync(Submission(conceptId), TestStorage.Caller, key, default);

        Assert.Equal(SubmitOutcome.Accepted, first.Outcome);
        Assert.Equal((SubmitOutcome.Repeated, first.JobId, 5), (second.Outcome, second.JobId, second.TaskCount));
        Assert.Equal(5, await clients.CountAsync(StorageNames.Queues.Generate));
        Assert.Equal(jobBefore.ETag, (await clients.JobAsync(first.JobId!)).ETag);
        Assert.Equal(key, jobBefore.IdempotencyKey);

        var reused = await intake.SubmitAsync(Submission(conceptId) with { Steps = 21 }, TestStorage.Caller, key, default);
        Assert.Equal((SubmitOutcome.IdempotencyKeyReused, null), (reused.Outcome, reused.JobId));
        Assert.Equal("Idempotency-Key", reused.Problems.Single().Field);
        Assert.Equal(5, await clients.CountAsync(StorageNames.Queues.Generate));
    }

    [Fact]
    public async Task A_retry_after_a_failure_part_way_completes_the_missing_tasks_without_duplicating_rows()
    {
        var conceptId = await clients.AddConceptAsync();
        var intake = new JobIntake(clients);
        var key = "retry-" + Guid.NewGuid();
        var first = await intake.SubmitAsync(Submission(conceptId, images: 250), TestStorage.Caller, key, default);
        var jobId = first.JobId!;

        // Pretend the first try stopped after its first batch: messages of the later batches lost, checkpoint at 100,
        // and one task of the lost batches already finished by a worker that got a message anyway.
        await clients.Queue(StorageNames.Queues.GenerateBulk).ClearMessagesAsync(); // a 250-image job waits in bulk
        var jobs = clients.Table(StorageNames.Tables.Jobs);
        await jobs.UpdateAsync<JobRow>(jobId, JobRow.RowKeyValue, j => j with { EnqueuedCount = 100, IntakeComplete = false });
        await clients.Table(StorageNames.Tables.Tasks).UpdateAsync<TaskRow>(jobId, "000120", t => t with { Status = ImageTaskStatus.Succeeded });

        var retry = await intake.SubmitAsync(Submission(conceptId, images: 250), TestStorage.Caller, key, default);

        Assert.Equal((SubmitOutcome.Repeated, jobId), (retry.Outcome, retry.JobId));
        var messages = await clients.DrainAsync<GenerateTask>(StorageNames.Queues.GenerateBulk);
        Assert.Equal(Enumerable.Range(100, 150).Select(TaskIds.Format), messages.Select(m => m.TaskId).Order());
        var tasks = await clients.TasksAsync(jobId);
        Assert.Equal(250, tasks.Count);
        Assert.Equal(ImageTaskStatus.Succeeded, tasks.Single(t => t.TaskId == "000120").Status);
        Assert.Equal(250, (await clients.JobAsync(jobId)).EnqueuedCount);
    }

    [Fact]
    public async Task An_interrupted_submission_cannot_end_and_its_retry_finishes_it_even_after_its_concept_was_rejected()
    {
        var conceptId = await clients.AddConceptAsync();
        var intake = new JobIntake(clients);
        var key = "cut-" + Guid.NewGuid();
        using var cut = new CancellationTokenSource();
        var submitting = intake.SubmitAsync(Submission(conceptId, images: 1000), TestStorage.Caller, key, cut.Token);
        string? jobId = null;
        while (jobId is null)
        {
            await Task.Delay(10);
            var claim = await clients.Table(StorageNames.Tables.Jobs).GetOrDefaultAsync<IdempotencyRow>(IdempotencyRow.PartitionKeyFor(TestStorage.Caller, key), IdempotencyRow.RowKeyValue);
            if (claim is not null && await clients.Table(StorageNames.Tables.Jobs).GetOrDefaultAsync<JobRow>(claim.JobId, JobRow.RowKeyValue) is { EnqueuedCount: >= 100 })
            {
                jobId = claim.JobId;
            }
        }

        await cut.CancelAsync(); // the caller's connection dropped after the first batches
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => submitting);
        var interrupted = await clients.JobAsync(jobId);
        Assert.True(interrupted.EnqueuedCount < 1000);
        Assert.False(interrupted.IntakeComplete); // so the job cannot end, or send its webhook, with tasks missing

        await clients.Table(StorageNames.Tables.Concepts).UpdateAsync<ConceptRow>(conceptId, ConceptRow.RowKeyValue, c => c with { Status = ConceptStatus.Rejected, Reason = "a new photo was refused" });
        var retry = await intake.SubmitAsync(Submission(conceptId, images: 1000), TestStorage.Caller, key, default);

        Assert.Equal((SubmitOutcome.Repeated, jobId), (retry.Outcome, retry.JobId));
        var job = await clients.JobAsync(jobId);
        Assert.Equal((true, 1000, 1000), (job.IntakeComplete, job.EnqueuedCount, job.TaskCount));
    }

    [Fact]
    public async Task A_webhook_url_to_a_private_address_is_refused_at_submission_when_a_policy_is_given()
    {
        var conceptId = await clients.AddConceptAsync();
        var intake = new JobIntake(clients, webhookUrls: new WebhookUrlPolicy(allowPrivateAddresses: false));

        var result = await intake.SubmitAsync(Submission(conceptId) with { WebhookUrl = "http://127.0.0.1:8080/hook" }, TestStorage.Caller, null, default);

        Assert.Equal(SubmitOutcome.Invalid, result.Outcome);
        Assert.Equal(("webhookUrl", "host 127.0.0.1 is a loopback address; webhooks go to public addresses only"),
            (result.Problems.Single().Field, result.Problems.Single().Message));
    }
}
