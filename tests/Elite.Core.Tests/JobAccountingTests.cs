using Elite.Core.Jobs;
using Elite.Core.Messages;
using Elite.Core.Rows;
using Elite.Core.Storage;

namespace Elite.Core.Tests;

[Collection(StorageCollection.Name)]
public sealed class JobAccountingTests(StorageFixture storage) : IAsyncLifetime
{
    private readonly StorageClients clients = storage.Clients;
    private readonly JobAccounting accounting = new(storage.Clients);

    public Task InitializeAsync() => clients.ClearQueuesAsync();

    public Task DisposeAsync() => Task.CompletedTask;

    private async Task<string> SubmitAsync(int images)
    {
        var conceptId = await clients.AddConceptAsync();
        var result = await new JobIntake(clients).SubmitAsync(
            new JobSubmission { ConceptId = conceptId, Prompts = [new PromptRequest { Prompt = "a photo of S", Count = images }] }, TestStorage.Caller, null, default);
        foreach (var lane in JobLanes.QueuesInOrder) await clients.Queue(lane).ClearMessagesAsync();
        return result.JobId!;
    }

    [Fact]
    public async Task Concurrent_results_with_duplicates_give_exact_counts_and_exactly_one_job_event()
    {
        var jobId = await SubmitAsync(24);
        var taskIds = Enumerable.Range(0, 24).Select(TaskIds.Format).ToList();
        bool Succeeds(string taskId) => int.Parse(taskId) % 6 != 0; // 4 of 24 fail

        // Every task reported by two workers at once (a redelivered message), all tasks in parallel.
        var reports = taskIds.Concat(taskIds).Select(taskId => Task.Run(() =>
            accounting.RecordTaskResultAsync(jobId, taskId, Succeeds(taskId) ? ImageTaskStatus.Succeeded : ImageTaskStatus.Failed, null, Succeeds(taskId) ? null : "out of memory", default)));
        var outcomes = await Task.WhenAll(reports);

        var job = await clients.JobAsync(jobId);
        Assert.Equal((JobStatus.PartiallySucceeded, 20, 4, true, true), (job.Status, job.SucceededCount, job.FailedCount, job.CompletionEventSent, job.CompletedAt is not null));
        Assert.Equal(24, outcomes.Count(o => o.Counted));
        Assert.Single(outcomes, o => o.CompletedJob);
        Assert.Single(outcomes, o => o.EventSent);
        var events = await clients.DrainAsync<JobEvent>(StorageNames.Queues.JobEvents);
        Assert.Equal([new JobEvent(jobId, JobEvent.Completed)], events);

        var tasks = await clients.TasksAsync(jobId);
        Assert.All(tasks, t => Assert.Equal(Succeeds(t.TaskId) ? ImageTaskStatus.Succeeded : ImageTaskStatus.Failed, t.Status));
        Assert.All(tasks.Where(t => Succeeds(t.TaskId)), t => Assert.Equal(BlobPaths.Result(jobId, t.TaskId), t.ResultBlob));
        Assert.All(tasks.Where(t => !Succeeds(t.TaskId)), t => Assert.Equal(("out of memory", null), (t.Reason, t.ResultBlob)));
    }

    [Fact]
    public async Task A_repeated_result_is_not_counted_twice_and_the_first_final_result_stands()
    {
        var jobId = await SubmitAsync(3);

        var first = await accounting.RecordTaskResultAsync(jobId, "000000", ImageTaskStatus.Failed, null, "NaN in the latents", default);
        var again = await accounting.RecordTaskResultAsync(jobId, "000000", ImageTaskStatus.Failed, null, "NaN in the latents", default);
        var late = await accounting.RecordTaskResultAsync(jobId, "000000", ImageTaskStatus.Succeeded, "x.png", null, default);

        Assert.Equal((true, ImageTaskStatus.Failed, JobStatus.Running), (first.Counted, first.TaskStatus, first.JobStatus));
        Assert.Equal((false, ImageTaskStatus.Failed), (again.Counted, again.TaskStatus));
        Assert.Equal((false, ImageTaskStatus.Failed), (late.Counted, late.TaskStatus));
        var job = await clients.JobAsync(jobId);
        Assert.Equal((0, 1, JobStatus.Running), (job.SucceededCount, job.FailedCount, job.Status));
        Assert.Equal("NaN in the latents", (await clients.TasksAsync(jobId)).Single(t => t.TaskId == "000000").Reason);
    }

    [Fact]
    public async Task Final_status_is_succeeded_failed_or_partial()
    {
        var allGood = await SubmitAsync(2);
        var allBad = await SubmitAsync(2);
        foreach (var taskId in new[] { "000000", "000001" })
        {
            await accounting.RecordTaskResultAsync(allGood, taskId, ImageTaskStatus.Succeeded, $"{allGood}/{taskId}.png", null, default);
            await accounting.RecordTaskResultAsync(allBad, taskId, ImageTaskStatus.Failed, null, "failed", default);
        }

        Assert.Equal(JobStatus.Succeeded, (await clients.JobAsync(allGood)).Status);
        Assert.Equal(JobStatus.Failed, (await clients.JobAsync(allBad)).Status);

        // A CSV job whose valid rows all succeeded still lost its invalid rows.
        var csvJob = await SubmitAsync(1);
        await clients.Table(StorageNames.Tables.Jobs).UpdateAsync<JobRow>(csvJob, JobRow.RowKeyValue, j => j with { InvalidRowCount = 2 });
        await accounting.RecordTaskResultAsync(csvJob, "000000", ImageTaskStatus.Succeeded, null, null, default);
        Assert.Equal(JobStatus.PartiallySucceeded, (await clients.JobAsync(csvJob)).Status);
        Assert.Equal(3, (await clients.DrainAsync<JobEvent>(StorageNames.Queues.JobEvents)).Count);
    }

    [Fact]
    public async Task A_completion_event_lost_after_the_row_write_is_sent_by_the_retry_of_the_completing_result_only()
    {
        var jobId = await SubmitAsync(2);
        await accounting.RecordTaskResultAsync(jobId, "000000", ImageTaskStatus.Succeeded, null, null, default);
        await accounting.RecordTaskResultAsync(jobId, "000001", ImageTaskStatus.Succeeded, null, null, default);
        await clients.DrainAsync<JobEvent>(StorageNames.Queues.JobEvents);
        // As if the worker died between the final row write and the send; its claim on the send runs for one more second.
        await clients.Table(StorageNames.Tables.Jobs).UpdateAsync<JobRow>(jobId, JobRow.RowKeyValue,
            j => j with { CompletionEventSent = false, CompletionEventClaimedUntil = DateTimeOffset.UtcNow.AddSeconds(1) });

        var otherTask = await accounting.RecordTaskResultAsync(jobId, "000000", ImageTaskStatus.Succeeded, null, null, default);
        Assert.False(otherTask.EventSent);
        Assert.Equal(0, await clients.CountAsync(StorageNames.Queues.JobEvents));

        var waited = System.Diagnostics.Stopwatch.StartNew();
        var retry = await accounting.RecordTaskResultAsync(jobId, "000001", ImageTaskStatus.Succeeded, null, null, default);
        Assert.Equal((false, false, true), (retry.Counted, retry.CompletedJob, retry.EventSent));
        Assert.InRange(waited.Elapsed, TimeSpan.FromSeconds(0.7), TimeSpan.FromSeconds(10)); // it waited for the claim to lapse
        Assert.Equal([new JobEvent(jobId, JobEvent.Completed)], await clients.DrainAsync<JobEvent>(StorageNames.Queues.JobEvents));
        Assert.True((await clients.JobAsync(jobId)).CompletionEventSent);
        Assert.Equal(2, (await clients.JobAsync(jobId)).SucceededCount);
    }

    [Fact]
    public async Task Marking_a_task_running_counts_attempts_and_starts_the_job_but_never_reopens_a_finished_task()
    {
        var jobId = await SubmitAsync(2);

        var first = await accounting.MarkTaskRunningAsync(jobId, "000001", null, default);
        var second = await accounting.MarkTaskRunningAsync(jobId, "000001", null, default);
        Assert.Equal((ImageTaskStatus.Running, 1), (first.Status, first.Attempts));
        Assert.Equal(2, second.Attempts);
        Assert.Equal(JobStatus.Running, (await clients.JobAsync(jobId)).Status);

        await accounting.RecordTaskResultAsync(jobId, "000001", ImageTaskStatus.Succeeded, null, null, default);
        var afterResult = await accounting.MarkTaskRunningAsync(jobId, "000001", null, default);
        Assert.Equal((ImageTaskStatus.Succeeded, 2), (afterResult.Status, afterResult.Attempts));

        await Assert.ThrowsAsync<InvalidMessageException>(() => accounting.MarkTaskRunningAsync(jobId, "999999", null, default));
        await Assert.ThrowsAsync<InvalidMessageException>(() => accounting.RecordTaskResultAsync(jobId, "999999", ImageTaskStatus.Succeeded, null, null, default));
    }
}
