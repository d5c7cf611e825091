using Elite.Contracts.Generation;
using Elite.Contracts.Imaging;
using Elite.Core.Callers;
using Elite.Core.Messages;
using Elite.Core.Rows;
using Elite.Core.Storage;
using Elite.Inference.Imaging;

namespace Elite.Worker.Tests;

/// <summary>The worker's consumers on Azurite: what a user of the pipeline depends on, delivery by delivery.</summary>
[Collection(WorkerCollection.Name)]
public sealed partial class WorkerTests(WorkerFixture fixture) : IAsyncLifetime
{
    private readonly StorageClients clients = fixture.Clients;

    public async Task InitializeAsync()
    {
        foreach (var queue in StorageNames.Queues.All) await clients.Queue(queue).ClearMessagesAsync();
    }

    public Task DisposeAsync() => Task.CompletedTask;

    [Fact]
    public async Task Encoding_makes_the_concept_ready_and_a_redelivery_does_no_work()
    {
        var conceptId = NewId();
        await EncodeAsync(conceptId, await File.ReadAllBytesAsync(WorkerFixture.Asset("chelsea.png")));

        var concept = await ConceptAsync(conceptId);
        Assert.Equal(ConceptStatus.Ready, concept.Status);
        Assert.Equal("auto", concept.MaskSource);
        Assert.Equal(fixture.Runtime.Models.Manifest.Id, concept.PackId);
        Assert.True(await clients.Container(StorageNames.Containers.Embeddings).GetBlobClient(concept.EmbeddingBlob).ExistsAsync());
        // The automatic mask it used is kept beside the embedding, at the photo's size, for a person to check.
        var maskPng = (await clients.Container(StorageNames.Containers.Embeddings).GetBlobClient(BlobPaths.EncodedMask(conceptId, concept.PackId!)).DownloadContentAsync()).Value.Content.ToArray();
        var photo = ImageDecoder.Decode(await File.ReadAllBytesAsync(WorkerFixture.Asset("chelsea.png")), ImageLimits.Default);
        var mask = ImageDecoder.DecodeMask(maskPng, ImageLimits.Default, photo.Width, photo.Height);
        Assert.InRange(mask.ObjectFraction, 0.05, 0.95);

        await Send(StorageNames.Queues.Encode, new EncodeRequest(conceptId, concept.ImageBlob, null));
        await fixture.EncodeWorker().ProcessAsync((await TakeAsync(StorageNames.Queues.Encode, 1)).Single(), default);
        Assert.Equal(concept.Timestamp, (await ConceptAsync(conceptId)).Timestamp); // untouched
        Assert.Equal(0, await CountAsync(StorageNames.Queues.Encode));
    }

    [Fact]
    public async Task A_corrupt_upload_rejects_the_concept_with_its_reason()
    {
        var conceptId = NewId();
        await EncodeAsync(conceptId, [0x89, (byte)'P', (byte)'N', (byte)'G', 13, 10, 26, 10, 0, 0]);
        var concept = await ConceptAsync(conceptId);
        Assert.Equal(ConceptStatus.Rejected, concept.Status);
        Assert.False(string.IsNullOrWhiteSpace(concept.Reason));
        Assert.Equal(0, await CountAsync(StorageNames.Queues.Encode));
    }

    [Fact]
    public async Task A_job_runs_as_one_batch_and_completes_once_with_results_and_metadata()
    {
        var conceptId = await ReadyConceptAsync();
        var jobId = NewId();
        await CreateJobAsync(jobId, conceptId, ["a photo of S on the beach", "S in the snow", "a photo of S", "S, close-up"]);

        await fixture.GenerateWorker().ProcessAsync(await TakeAsync(StorageNames.Queues.Generate, 4), default);

        var job = await JobAsync(jobId);
        Assert.Equal((JobStatus.Succeeded, 4, 0), (job.Status, job.SucceededCount, job.FailedCount));
        var tasks = await TasksAsync(jobId);
        Assert.All(tasks, t => Assert.Equal(ImageTaskStatus.Succeeded, t.Status));
        var png = (await clients.Container(StorageNames.Containers.Results).GetBlobClient(BlobPaths.Result(jobId, "000001")).DownloadContentAsync()).Value.Content.ToArray();
        var text = PngText.Read(png);
        Assert.Equal(("S in the snow", "2", jobId), (text["prompt"], text["seed"], text["job"]));
        Assert.Equal((512, 512), (ImageDecoder.Decode(png, ImageLimits.Default).Width, ImageDecoder.Decode(png, ImageLimits.Default).Height));
        Assert.Equal(1, await CountAsync(StorageNames.Queues.JobEvents));
        Assert.Equal(0, await CountAsync(StorageNames.Queues.Generate));
    }

    [Fact]
    public async Task The_same_task_delivered_twice_gives_one_result_and_one_count()
    {
        var conceptId = await ReadyConceptAsync();
        var jobId = NewId();
        var messages = await CreateJobAsync(jobId, conceptId, ["a photo of S", "S on a boat"]);
        await Send(StorageNames.Queues.Generate, messages[0]); // at-least-once: the first task twice

        await fixture.GenerateWorker().ProcessAsync(await TakeAsync(StorageNames.Queues.Generate, 3), default);
        var worker = fixture.GenerateWorker();
        await Send(StorageNames.Queues.Generate, messages[1]); // and a redelivery after completion
        await worker.ProcessAsync(await TakeAsync(StorageNames.Queues.Generate, 1), default);

        var job = await JobAsync(jobId);
        Assert.Equal((JobStatus.Succeeded, 2, 0), (job.Status, job.SucceededCount, job.FailedCount));
        Assert.Equal(1, await CountAsync(StorageNames.Queues.JobEvents));
        Assert.Equal(0, await CountAsync(StorageNames.Queues.Generate));
    }

    [Fact]
    public async Task The_tasks_of_a_canceled_job_are_acknowledged_as_canceled_without_generating_even_if_the_cancel_stopped_part_way()
    {
        var conceptId = await ReadyConceptAsync();
        var jobId = NewId();
        await CreateJobAsync(jobId, conceptId, ["a photo of S", "S at night", "S in a box"]);
        // The cancel request recorded itself and died before setting any task Canceled: the worker alone finishes it.
        await clients.Table(StorageNames.Tables.Jobs).UpdateAsync<JobRow>(jobId, JobRow.RowKeyValue, j => j with { CancelRequestedAt = DateTimeOffset.UtcNow });

        await fixture.GenerateWorker().ProcessAsync(await TakeAsync(StorageNames.Queues.Generate, 3), default);

        var job = await JobAsync(jobId);
        Assert.Equal((JobStatus.Canceled, 0, 3), (job.Status, job.SucceededCount, job.CanceledCount));
        Assert.All(await TasksAsync(jobId), t => Assert.Equal((ImageTaskStatus.Canceled, null), (t.Status, t.ResultBlob)));
        Assert.False(await clients.Container(StorageNames.Containers.Results).GetBlobClient(BlobPaths.Result(jobId, "000000")).ExistsAsync());
        Assert.Equal(1, await CountAsync(StorageNames.Queues.JobEvents));
        Assert.Equal(0, await CountAsync(StorageNames.Queues.Generate));
    }

    [Fact]
    public async Task Each_task_records_the_concept_version_it_was_generated_from_when_the_photo_is_replaced_mid_job()
    {
        var conceptId = await ReadyConceptAsync();
        var jobId = NewId();
        await CreateJobAsync(jobId, conceptId, ["a photo of S", "S on a shelf"]);
        var before = (await ConceptAsync(conceptId)).Version;

        await fixture.GenerateWorker().ProcessAsync(await TakeAsync(StorageNames.Queues.Generate, 1), default);
        await EncodeAsync(conceptId, await File.ReadAllBytesAsync(WorkerFixture.Asset("chelsea.png"))); // a new photo, encoded while the job runs
        var after = (await ConceptAsync(conceptId)).Version;
        await fixture.GenerateWorker().ProcessAsync(await TakeAsync(StorageNames.Queues.Generate, 1), default);

        Assert.NotNull(before);
        Assert.NotEqual(before, after);
        var tasks = (await TasksAsync(jobId)).OrderBy(t => t.CompletedAt).ToList();
        Assert.Equal([before, after], tasks.Select(t => t.ConceptVersion));
        foreach (var task in tasks)
        {
            var png = (await clients.Container(StorageNames.Containers.Results).GetBlobClient(task.ResultBlob).DownloadContentAsync()).Value.Content.ToArray();
            Assert.Equal(task.ConceptVersion, PngText.Read(png)["concept_version"]);
        }
    }

    [Fact]
    public async Task A_worker_that_dies_mid_batch_lets_the_job_complete_after_the_visibility_timeout()
    {
        var conceptId = await ReadyConceptAsync();
        var jobId = NewId();
        await CreateJobAsync(jobId, conceptId, ["a photo of S", "S at night"]);

        // The dead worker took both messages and never finished: they stay invisible for their timeout only.
        await clients.Queue(StorageNames.Queues.Generate).ReceiveMessagesAsync(maxMessages: 2, visibilityTimeout: TimeSpan.FromSeconds(2));
        Assert.Empty((await clients.Queue(StorageNames.Queues.Generate).ReceiveMessagesAsync(maxMessages: 2)).Value);
        await Task.Delay(TimeSpan.FromSeconds(2.5));

        await fixture.GenerateWorker().ProcessAsync(await TakeAsync(StorageNames.Queues.Generate, 2), default);
        Assert.Equal(JobStatus.Succeeded, (await JobAsync(jobId)).Status);
    }

    [Fact]
    public async Task A_message_that_is_not_a_task_goes_to_the_poison_queue()
    {
        await clients.Queue(StorageNames.Queues.Generate).SendMessageAsync("{\"this\": \"is not a task\"");
        await fixture.GenerateWorker().ProcessAsync(await TakeAsync(StorageNames.Queues.Generate, 1), default);
        Assert.Equal(0, await CountAsync(StorageNames.Queues.Generate));
        Assert.Equal(1, await CountAsync(StorageNames.Queues.GeneratePoison));
    }

    [Fact]
    public async Task A_task_whose_concept_is_still_pending_waits_however_often_it_comes_back_until_its_deadline()
    {
        var conceptId = NewId();
        await clients.Table(StorageNames.Tables.Concepts).UpsertEntityAsync(new ConceptRow(conceptId) { Status = ConceptStatus.Pending, ImageBlob = BlobPaths.ConceptFile(conceptId, "photo.png") });
        var jobId = NewId();
        await CreateJobAsync(jobId, conceptId, ["a photo of S"]);

        for (var round = 0; round <= fixture.Options.Value.MaxDequeueCount; round++) // more rounds than deliveries a message may have
        {
            await fixture.GenerateWorker().ProcessAsync(await TakeAsync(StorageNames.Queues.Generate, 1, wait: true), default);
            Assert.Equal(ImageTaskStatus.Queued, (await TasksAsync(jobId)).Single().Status);
        }

        Assert.Equal(0, await CountAsync(StorageNames.Queues.GeneratePoison));
        await using var back = (await TakeAsync(StorageNames.Queues.Generate, 1, wait: true)).Single();
        var waiting = QueueMessages.Deserialize<GenerateTask>(back.Message.Body.ToString());
        Assert.NotNull(waiting.WaitingSince);

        await back.CompleteAsync(default);
        await Send(StorageNames.Queues.Generate, waiting with { WaitingSince = DateTimeOffset.UtcNow.AddSeconds(-fixture.Options.Value.ConceptReadyDeadlineSeconds - 1) });
        await fixture.GenerateWorker().ProcessAsync(await TakeAsync(StorageNames.Queues.Generate, 1), default);
        var failed = (await TasksAsync(jobId)).Single();
        Assert.Equal(ImageTaskStatus.Failed, failed.Status);
        Assert.Contains("was not encoded within", failed.Reason);
    }

    [Fact]
    public async Task A_task_that_has_waited_long_for_its_concept_comes_back_less_often()
    {
        var conceptId = NewId();
        await clients.Table(StorageNames.Tables.Concepts).UpsertEntityAsync(new ConceptRow(conceptId) { Status = ConceptStatus.Pending, ImageBlob = BlobPaths.ConceptFile(conceptId, "photo.png") });
        var jobId = NewId();
        var task = (await CreateJobAsync(jobId, conceptId, ["a photo of S"])).Single();
        await (await TakeAsync(StorageNames.Queues.Generate, 1)).Single().CompleteAsync(default);
        await Send(StorageNames.Queues.Generate, task with { WaitingSince = DateTimeOffset.UtcNow.AddMinutes(-10) });

        await fixture.GenerateWorker().ProcessAsync(await TakeAsync(StorageNames.Queues.Generate, 1), default);

        // Half the time waited (5 min at most), not the 2 s retry: thousands of waiting tasks must not keep the queue busy.
        await Task.Delay(TimeSpan.FromSeconds(fixture.Options.Value.ConceptNotReadyRetrySeconds + 2));
        Assert.Empty((await clients.Queue(StorageNames.Queues.Generate).ReceiveMessagesAsync(maxMessages: 1)).Value);
        Assert.Equal(ImageTaskStatus.Queued, (await TasksAsync(jobId)).Single().Status);
    }

    [Fact]
    public async Task A_concept_encoded_for_another_pack_is_encoded_again_once_and_its_task_then_runs()
    {
        var conceptId = await ReadyConceptAsync();
        var concepts = clients.Table(StorageNames.Tables.Concepts);
        await concepts.UpdateEntityAsync((await ConceptAsync(conceptId)) with { PackId = "sd14-elite-old", EmbeddingBlob = BlobPaths.Embedding(conceptId, "sd14-elite-old") }, Azure.ETag.All);
        var jobId = NewId();
        await CreateJobAsync(jobId, conceptId, ["a photo of S", "S on a bike"]);

        await fixture.GenerateWorker().ProcessAsync(await TakeAsync(StorageNames.Queues.Generate, 2), default);
        var waiting = await ConceptAsync(conceptId);
        Assert.Equal(ConceptStatus.Pending, waiting.Status);
        Assert.Contains("sd14-elite-old", waiting.Reason);
        Assert.Equal(1, await CountAsync(StorageNames.Queues.Encode));
        Assert.All(await TasksAsync(jobId), t => Assert.Equal(ImageTaskStatus.Queued, t.Status));

        await fixture.EncodeWorker().ProcessAsync((await TakeAsync(StorageNames.Queues.Encode, 1)).Single(), default);
        Assert.Equal((ConceptStatus.Ready, fixture.Runtime.Models.Manifest.Id), ((await ConceptAsync(conceptId)).Status, (await ConceptAsync(conceptId)).PackId));
        await Task.Delay(TimeSpan.FromSeconds(fixture.Options.Value.ConceptNotReadyRetrySeconds + 1)); // the delayed tasks come back
        await fixture.GenerateWorker().ProcessAsync(await TakeAsync(StorageNames.Queues.Generate, 2), default);
        Assert.Equal((JobStatus.Succeeded, 2), ((await JobAsync(jobId)).Status, (await JobAsync(jobId)).SucceededCount));
    }

    [Fact]
    public async Task A_prompt_without_the_placeholder_fails_its_task_with_the_reason_and_the_rest_runs()
    {
        var conceptId = await ReadyConceptAsync();
        var jobId = NewId();
        await CreateJobAsync(jobId, conceptId, ["a photo of a dog", "a photo of S"]);

        await fixture.GenerateWorker().ProcessAsync(await TakeAsync(StorageNames.Queues.Generate, 2), default);

        var job = await JobAsync(jobId);
        Assert.Equal((JobStatus.PartiallySucceeded, 1, 1), (job.Status, job.SucceededCount, job.FailedCount));
        var failed = (await TasksAsync(jobId)).Single(t => t.Status == ImageTaskStatus.Failed);
        Assert.Contains("placeholder", failed.Reason);
    }

    [Fact]
    public async Task A_redelivered_task_whose_worker_died_after_its_row_turned_final_still_counts_and_completes_the_job_once()
    {
        var conceptId = await ReadyConceptAsync();
        var jobId = NewId();
        var messages = await CreateJobAsync(jobId, conceptId, ["a photo of S"]);
        // The first worker made the task row final, then died before counting it on the job (SIGKILL, a Table 503).
        var tasks = clients.Table(StorageNames.Tables.Tasks);
        await tasks.UpdateEntityAsync((await TasksAsync(jobId)).Single() with { Status = ImageTaskStatus.Succeeded, ResultBlob = BlobPaths.Result(jobId, "000000") }, Azure.ETag.All);

        await fixture.GenerateWorker().ProcessAsync(await TakeAsync(StorageNames.Queues.Generate, 1), default);
        await Send(StorageNames.Queues.Generate, messages[0]);
        await fixture.GenerateWorker().ProcessAsync(await TakeAsync(StorageNames.Queues.Generate, 1), default);

        var job = await JobAsync(jobId);
        Assert.Equal((JobStatus.Succeeded, 1, true), (job.Status, job.SucceededCount, job.CompletionEventSent));
        Assert.Equal(1, await CountAsync(StorageNames.Queues.JobEvents));
    }

    [Fact]
    public async Task A_task_whose_image_cannot_be_stored_fails_alone_with_its_reason_and_its_batch_runs()
    {
        var conceptId = await ReadyConceptAsync();
        var jobId = NewId();
        await CreateJobAsync(jobId, conceptId, ["a photo of S", "S with a \0 inside", "S on a bike"]);

        await fixture.GenerateWorker().ProcessAsync(await TakeAsync(StorageNames.Queues.Generate, 3), default);

        var job = await JobAsync(jobId);
        Assert.Equal((JobStatus.PartiallySucceeded, 2, 1), (job.Status, job.SucceededCount, job.FailedCount));
        Assert.Contains("NUL", (await TasksAsync(jobId)).Single(t => t.Status == ImageTaskStatus.Failed).Reason);
        Assert.Equal(0, await CountAsync(StorageNames.Queues.Generate));
        var properties = await clients.Container(StorageNames.Containers.Results).GetBlobClient(BlobPaths.Result(jobId, "000000")).GetPropertiesAsync();
        Assert.Equal("image/png", properties.Value.ContentType); // a browser shows it instead of downloading it
    }

    [Fact]
    public async Task Messages_whose_task_or_job_is_gone_go_to_the_poison_queue_and_the_rest_of_their_batch_runs()
    {
        var conceptId = await ReadyConceptAsync();
        var jobId = NewId();
        await CreateJobAsync(jobId, conceptId, ["a photo of S"]);
        var parameters = new GenerationParameters("a photo of S", "", 1, Steps: 2);
        await Send(StorageNames.Queues.Generate, new GenerateTask(jobId, "000099", conceptId, parameters)); // no task row
        var orphanJob = NewId();
        await clients.Table(StorageNames.Tables.Tasks).UpsertEntityAsync(TaskRow.Queued(orphanJob, "000000", conceptId, parameters, sourceLine: null));
        await Send(StorageNames.Queues.Generate, new GenerateTask(orphanJob, "000000", conceptId, parameters)); // no job row

        await fixture.GenerateWorker().ProcessAsync(await TakeAsync(StorageNames.Queues.Generate, 3), default);

        Assert.Equal(JobStatus.Succeeded, (await JobAsync(jobId)).Status);
        Assert.Equal(2, await CountAsync(StorageNames.Queues.GeneratePoison));
        Assert.Equal(0, await CountAsync(StorageNames.Queues.Generate));
    }

    [Fact]
    public async Task A_concept_whose_embedding_is_gone_fails_its_tasks_with_the_reason_and_not_the_others()
    {
        var ready = await ReadyConceptAsync();
        var broken = await ReadyConceptAsync();
        await clients.Container(StorageNames.Containers.Embeddings).GetBlobClient((await ConceptAsync(broken)).EmbeddingBlob).DeleteAsync();
        var jobId = NewId();
        var brokenJob = NewId();
        await CreateJobAsync(jobId, ready, ["a photo of S"]);
        await CreateJobAsync(brokenJob, broken, ["a photo of S"]);

        await fixture.GenerateWorker().ProcessAsync(await TakeAsync(StorageNames.Queues.Generate, 2), default);

        Assert.Equal(JobStatus.Succeeded, (await JobAsync(jobId)).Status);
        Assert.Equal(JobStatus.Failed, (await JobAsync(brokenJob)).Status);
        Assert.Contains("could not be read", (await TasksAsync(brokenJob)).Single().Reason);
    }

    [Fact]
    public async Task A_stale_encode_request_does_not_revive_a_concept_rejected_since()
    {
        var conceptId = NewId();
        var good = BlobPaths.ConceptFile(conceptId, "photo.png");
        await clients.Container(StorageNames.Containers.Concepts).GetBlobClient(good).UploadAsync(new BinaryData(await File.ReadAllBytesAsync(WorkerFixture.Asset("chelsea.png"))), overwrite: true);
        await Send(StorageNames.Queues.Encode, new EncodeRequest(conceptId, good, null)); // requested for the good photo...
        // ...then an oversized photo replaced it before the encoder ran: the intake rejected the concept.
        await clients.Table(StorageNames.Tables.Concepts).UpsertEntityAsync(new ConceptRow(conceptId) { Status = ConceptStatus.Rejected, Reason = "photo.png: the file is 30,000,000 bytes", ImageBlob = "" });

        await fixture.EncodeWorker().ProcessAsync((await TakeAsync(StorageNames.Queues.Encode, 1)).Single(), default);

        var concept = await ConceptAsync(conceptId);
        Assert.Equal((ConceptStatus.Rejected, "photo.png: the file is 30,000,000 bytes"), (concept.Status, concept.Reason));
        Assert.Equal(0, await CountAsync(StorageNames.Queues.Encode));
    }

    [Fact]
    public async Task An_upload_replaced_after_it_was_registered_is_not_encoded_from_its_new_bytes()
    {
        var conceptId = NewId();
        var blob = clients.Container(StorageNames.Containers.Concepts).GetBlobClient(BlobPaths.ConceptFile(conceptId, "photo.png"));
        var registered = await blob.UploadAsync(new BinaryData(await File.ReadAllBytesAsync(WorkerFixture.Asset("chelsea.png"))), overwrite: true);
        await clients.Table(StorageNames.Tables.Concepts).UpsertEntityAsync(new ConceptRow(conceptId) { Status = ConceptStatus.Pending, ImageBlob = blob.Name, ImageETag = registered.Value.ETag.ToString() });
        await blob.UploadAsync(new BinaryData(await File.ReadAllBytesAsync(WorkerFixture.Asset("coffee.png"))), overwrite: true); // its own event follows
        await Send(StorageNames.Queues.Encode, new EncodeRequest(conceptId, blob.Name, null));

        await fixture.EncodeWorker().ProcessAsync((await TakeAsync(StorageNames.Queues.Encode, 1)).Single(), default);

        Assert.Equal(ConceptStatus.Pending, (await ConceptAsync(conceptId)).Status);
        Assert.Equal(0, await CountAsync(StorageNames.Queues.Encode));
    }

    [Fact]
    public async Task A_batch_is_filled_from_the_interactive_lane_first_and_topped_up_from_bulk()
    {
        var large = NewId();
        var small = NewId();
        await CreateJobAsync(large, "any-concept", [.. Enumerable.Range(0, 6).Select(i => $"a photo of S, {i}")], StorageNames.Queues.GenerateBulk);
        await CreateJobAsync(small, "any-concept", ["a photo of S", "S on the beach"]); // submitted after the large job

        var leases = await fixture.GenerateWorker().TakeBatchAsync(default); // MaxBatch 4
        var taken = leases.Select(l => QueueMessages.Deserialize<GenerateTask>(l.Message.Body.ToString())).ToList();
        foreach (var lease in leases)
        {
            await lease.ReleaseAsync(default);
            await lease.DisposeAsync();
        }

        Assert.Equal(4, taken.Count);
        Assert.Equal([small, small, large, large], taken.Select(t => t.JobId));
    }

    private static readonly Caller Owner = new("worker-tests");

    private static string NewId() => Guid.NewGuid().ToString("N")[..16];

    private async Task EncodeAsync(string conceptId, byte[] image)
    {
        var blob = BlobPaths.ConceptFile(conceptId, "photo.png");
        var uploaded = await clients.Container(StorageNames.Containers.Concepts).GetBlobClient(blob).UploadAsync(new BinaryData(image), overwrite: true);
        await clients.Table(StorageNames.Tables.Concepts).UpsertEntityAsync(new ConceptRow(conceptId) { Status = ConceptStatus.Pending, ImageBlob = blob, ImageETag = uploaded.Value.ETag.ToString() });
        await Send(StorageNames.Queues.Encode, new EncodeRequest(conceptId, blob, null));
        await fixture.EncodeWorker().ProcessAsync((await TakeAsync(StorageNames.Queues.Encode, 1)).Single(), default);
    }

    private async Task<string> ReadyConceptAsync()
    {
        var conceptId = NewId();
        await EncodeAsync(conceptId, await File.ReadAllBytesAsync(WorkerFixture.Asset("coffee.png")));
        return conceptId;
    }

    private async Task<GenerateTask[]> CreateJobAsync(string jobId, string conceptId, string[] prompts, string lane = StorageNames.Queues.Generate, int steps = 2)
    {
        await clients.Table(StorageNames.Tables.Jobs).UpsertEntityAsync(new JobRow(jobId) { Status = JobStatus.Queued, Source = "test", Owner = Owner.Id, TaskCount = prompts.Length, IntakeComplete = true, EnqueuedCount = prompts.Length });
        var tasks = prompts.Select((prompt, i) => new GenerateTask(jobId, $"{i:D6}", conceptId, new GenerationParameters(prompt, "", Seed: i + 1, Steps: steps, Guidance: 5f, Lambda: 0.6f, SchedulerKind.Lms))).ToArray();
        foreach (var task in tasks)
        {
            await clients.Table(StorageNames.Tables.Tasks).UpsertEntityAsync(TaskRow.Queued(jobId, task.TaskId, conceptId, task.Parameters, sourceLine: null));
            await Send(lane, task);
        }

        return tasks;
    }

    private Task Send<T>(string queue, T message) => clients.Queue(queue).SendMessageAsync(QueueMessages.Serialize(message));

    /// <param name="wait">Wait for delayed messages to come back (up to a minute) rather than two seconds.</param>
    private async Task<List<MessageLease>> TakeAsync(string queueName, int count, bool wait = false)
    {
        var queue = clients.Queue(queueName);
        var leases = new List<MessageLease>();
        for (var attempt = 0; attempt < (wait ? 600 : 20) && leases.Count < count; attempt++)
        {
            var received = await queue.ReceiveMessagesAsync(count - leases.Count, TimeSpan.FromSeconds(20));
            leases.AddRange(received.Value.Select(m => new MessageLease(queue, m, TimeSpan.FromSeconds(20))));
            if (leases.Count < count) await Task.Delay(100);
        }

        Assert.Equal(count, leases.Count);
        return leases;
    }

    private async Task<int> CountAsync(string queue) => (await clients.Queue(queue).PeekMessagesAsync(maxMessages: 32)).Value.Length;

    private async Task<ConceptRow> ConceptAsync(string conceptId) =>
        (await clients.Table(StorageNames.Tables.Concepts).GetEntityAsync<ConceptRow>(conceptId, ConceptRow.RowKeyValue)).Value;

    private async Task<JobRow> JobAsync(string jobId) =>
        (await clients.Table(StorageNames.Tables.Jobs).GetEntityAsync<JobRow>(jobId, JobRow.RowKeyValue)).Value;

    private async Task<List<TaskRow>> TasksAsync(string jobId)
    {
        var rows = new List<TaskRow>();
        await foreach (var row in clients.Table(StorageNames.Tables.Tasks).QueryAsync<TaskRow>(t => t.PartitionKey == jobId)) rows.Add(row);
        return rows;
    }
}
