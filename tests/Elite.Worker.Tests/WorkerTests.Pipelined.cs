using Elite.Core.Jobs;
using Elite.Core.Rows;
using Elite.Core.Storage;

namespace Elite.Worker.Tests;

/// <summary>The generate consumer as the worker runs it (a hosted service): pipelined by default, or one batch at a time.</summary>
public sealed partial class WorkerTests
{
    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task A_job_of_several_batches_is_generated_once_per_task_pipelined_or_serial(bool pipelined)
    {
        var conceptId = await ReadyConceptAsync();
        var jobId = NewId();
        await CreateJobAsync(jobId, conceptId, [.. Enumerable.Range(0, 10).Select(i => $"a photo of S, {i}")]);
        var (worker, metrics) = fixture.GenerateWorker(o => o.Pipelined = pipelined); // MaxBatch 4

        await worker.StartAsync(default);
        var job = await WaitForJobAsync(jobId, j => j.IsFinal);
        await worker.StopAsync(default);

        Assert.Equal((JobStatus.Succeeded, 10, 0), (job.Status, job.SucceededCount, job.FailedCount));
        Assert.All(await TasksAsync(jobId), t => Assert.Equal((ImageTaskStatus.Succeeded, 1), (t.Status, t.Attempts)));
        foreach (var task in await TasksAsync(jobId))
        {
            Assert.True(await clients.Container(StorageNames.Containers.Results).GetBlobClient(task.ResultBlob).ExistsAsync());
        }

        Assert.Equal(1, await CountAsync(StorageNames.Queues.JobEvents));
        Assert.Equal(0, await CountAsync(StorageNames.Queues.Generate));
        var duty = metrics.Generation.Snapshot();
        Assert.Equal((3, 10), (duty.Calls, duty.Images)); // 4 + 4 + 2
        Assert.InRange(duty.DutyCycle, 0.01, 1);
    }

    [Fact]
    public async Task A_cancel_while_a_batch_generates_stops_the_batch_prepared_behind_it()
    {
        var conceptId = await ReadyConceptAsync();
        var jobId = NewId();
        await CreateJobAsync(jobId, conceptId, [.. Enumerable.Range(0, 8).Select(i => $"a photo of S, {i}")], steps: 10);
        var (worker, _) = fixture.GenerateWorker(o => o.MaxBatch = 2);

        await worker.StartAsync(default);
        await WaitForTasksAsync(jobId, tasks => tasks.Count(t => t.Status == ImageTaskStatus.Running) == 2); // the first batch generates
        var cancel = await new JobCancellation(clients).CancelAsync(Owner, jobId, default);
        var job = await WaitForJobAsync(jobId, j => j.IsFinal);
        await worker.StopAsync(default);

        // The next batch was received and prepared meanwhile, but not started: its tasks are canceled with the rest.
        Assert.Equal(CancelOutcome.Canceling, cancel.Outcome);
        Assert.Equal((JobStatus.Canceled, 2, 6), (job.Status, job.SucceededCount, job.CanceledCount));
        Assert.Equal(0, await CountAsync(StorageNames.Queues.Generate));
    }

    [Fact]
    public async Task Stopping_finishes_what_started_and_hands_back_what_was_only_prepared()
    {
        var conceptId = await ReadyConceptAsync();
        var jobId = NewId();
        await CreateJobAsync(jobId, conceptId, [.. Enumerable.Range(0, 8).Select(i => $"a photo of S, {i}")], steps: 6);
        var (worker, _) = fixture.GenerateWorker(o => o.MaxBatch = 2);

        await worker.StartAsync(default);
        await WaitForTasksAsync(jobId, tasks => tasks.Any(t => t.Status == ImageTaskStatus.Running));
        await worker.StopAsync(default); // SIGTERM

        var tasks = await TasksAsync(jobId);
        Assert.DoesNotContain(tasks, t => t.Status == ImageTaskStatus.Running);
        Assert.InRange(tasks.Count(t => t.Status == ImageTaskStatus.Succeeded), 2, 4); // the batch generating, and the one started behind it
        // Every task not done is back in the queue at once (not when its lease would have run out), for another worker.
        Assert.Equal(tasks.Count(t => t.Status == ImageTaskStatus.Queued), await CountAsync(StorageNames.Queues.Generate));
    }

    private async Task<JobRow> WaitForJobAsync(string jobId, Func<JobRow, bool> done)
    {
        using var patience = new CancellationTokenSource(TimeSpan.FromMinutes(3));
        while (true)
        {
            var job = await JobAsync(jobId);
            if (done(job)) return job;
            await Task.Delay(50, patience.Token);
        }
    }

    private async Task WaitForTasksAsync(string jobId, Func<List<TaskRow>, bool> done)
    {
        using var patience = new CancellationTokenSource(TimeSpan.FromMinutes(3));
        while (!done(await TasksAsync(jobId))) await Task.Delay(20, patience.Token);
    }
}
