using System.Diagnostics;
using System.Runtime.CompilerServices;
using System.Threading.Channels;
using Azure.Storage.Queues;
using Elite.Contracts.Generation;
using Elite.Core.Configuration;
using Elite.Core.Jobs;
using Elite.Core.Storage;
using Elite.Inference.Generation;
using Elite.Inference.Imaging;
using Microsoft.Extensions.Options;

namespace Elite.Worker;

/// <summary>
/// Consumes the generate lanes (<see cref="JobLanes"/>: <c>generate</c> first, then <c>generate-bulk</c>) with dynamic
/// batching: takes up to MaxBatch tasks, waiting at most MaxWaitMs for the batch to fill, and runs them as batched
/// generations grouped by what must match (steps and scheduler; one pack per worker).
/// <para>Pipelined (the default) so that the accelerator never waits on storage: while one batch generates, the next is
/// received and prepared (<see cref="TaskPreparation"/>) and the last one's images are encoded, uploaded and counted
/// (<see cref="TaskResults"/>), a few at a time. One batch waits ready at most, and one finished batch waits to be
/// stored at most, so memory stays flat and a slow storage account holds generation back instead of piling results up.
/// The next batch's tasks are marked Running only as the current call nears its end (its last UNet steps), so a cancel
/// meanwhile still stops them. <c>Worker__Pipelined=false</c> runs one batch at a time, stage after stage.</para>
/// <para>Every message is safe to see twice: a task whose row is already final is acknowledged without work, results have
/// deterministic blob names, and job counters move through <see cref="JobAccounting"/>. On SIGTERM no new work is taken,
/// a batch prepared but not started is handed back, and what has started is finished.</para>
/// </summary>
public sealed class GenerateWorker : BackgroundService
{
    /// <summary>Images of a finished batch stored at once: PNG encoding and uploads overlap each other as well as the next batch.</summary>
    private const int StoreParallelism = 4;

    /// <summary>The next batch is started (marked Running) when this many UNet steps of the current call are left.</summary>
    private const int StartNextWithStepsLeft = 2;

    private readonly WorkerRuntime runtime;
    private readonly WorkerMetrics metrics;
    private readonly WorkerOptions settings;
    private readonly ILogger<GenerateWorker> logger;
    private readonly TaskPreparation preparation;
    private readonly TaskResults results;
    private readonly IReadOnlyList<QueueClient> lanes;

    public GenerateWorker(StorageClients clients, WorkerRuntime runtime, ConceptCache cache, WorkerMetrics metrics, IOptions<WorkerOptions> options, ILogger<GenerateWorker> logger)
    {
        (this.runtime, this.metrics, settings, this.logger) = (runtime, metrics, options.Value, logger);
        results = new TaskResults(clients, runtime, metrics, logger);
        preparation = new TaskPreparation(clients, runtime, cache, metrics, settings, results, logger);
        lanes = [.. JobLanes.QueuesInOrder.Select(clients.Queue)];
    }

    private TimeSpan Visibility => TimeSpan.FromSeconds(settings.VisibilitySeconds);

    protected override Task ExecuteAsync(CancellationToken stoppingToken) =>
        settings.Pipelined ? RunPipelinedAsync(stoppingToken) : RunSeriallyAsync(stoppingToken);

    private async Task RunSeriallyAsync(CancellationToken stoppingToken)
    {
        await foreach (var leases in BatchesAsync(stoppingToken))
        {
            try
            {
                // A batch in hand is finished even when stopping (SIGTERM); new work is no longer taken.
                await ProcessAsync(leases, CancellationToken.None);
            }
            catch (Exception e)
            {
                logger.LogError(e, "A batch of {Count} tasks failed; its messages will be delivered again", leases.Count);
            }
            finally
            {
                foreach (var lease in leases) await lease.DisposeAsync();
            }
        }
    }

    /// <summary>One batch, stage after stage: prepare, start, generate, store (one image after another).</summary>
    internal async Task ProcessAsync(IReadOnlyList<MessageLease> leases, CancellationToken cancellationToken)
    {
        foreach (var prepared in await preparation.PrepareAsync(leases, cancellationToken))
        {
            var batch = await preparation.StartAsync(prepared, cancellationToken);
            if (batch.Items.Count == 0) continue;
            var images = await GenerateAsync(batch, progress: null, cancellationToken);
            if (images is null) continue;
            for (var i = 0; i < batch.Items.Count; i++) await StoreAsync(batch.Items[i], images[i], cancellationToken);
        }
    }

    /// <summary>
    /// Three stages joined by channels of one batch each: intake (take, prepare, start) → generation → store. The
    /// generation stage asks for its next batch once per call (<c>wants</c>), as the call nears its end, so exactly one
    /// started batch can be waiting for it. Stopping ends the intake; the other stages finish what reached them.
    /// </summary>
    private async Task RunPipelinedAsync(CancellationToken stoppingToken)
    {
        var wants = Channel.CreateBounded<bool>(new BoundedChannelOptions(1) { FullMode = BoundedChannelFullMode.DropWrite });
        var ready = Channel.CreateBounded<GenerationBatch>(1);
        var generated = Channel.CreateBounded<(GenerationBatch Batch, IReadOnlyList<RgbImage> Images)>(1);
        var intake = Task.Run(() => IntakeAsync(wants.Reader, ready.Writer, stoppingToken), CancellationToken.None);
        var generation = Task.Run(() => GenerationStageAsync(wants.Writer, ready.Reader, generated.Writer), CancellationToken.None);
        var store = Task.Run(() => StoreStageAsync(generated.Reader), CancellationToken.None);
        await Task.WhenAll(intake, generation, store);
    }

    /// <summary>Takes and prepares batches ahead, and starts one each time the generation stage asks. Storage it cannot reach for good stops the worker, as in serial mode.</summary>
    private async Task IntakeAsync(ChannelReader<bool> wants, ChannelWriter<GenerationBatch> ready, CancellationToken stoppingToken)
    {
        var wanted = false;
        try
        {
            await foreach (var leases in BatchesAsync(stoppingToken))
            {
                var batches = new Queue<GenerationBatch>(await preparation.PrepareAsync(leases, CancellationToken.None));
                while (batches.TryPeek(out var prepared))
                {
                    if (!wanted && !await WaitUntilWantedAsync(wants, stoppingToken))
                    {
                        // Stopping: what has not started goes back to the queue at once, for another worker.
                        foreach (var item in batches.SelectMany(b => b.Items))
                        {
                            await item.Lease.ReleaseAsync(CancellationToken.None);
                            await item.Lease.DisposeAsync();
                        }

                        return;
                    }

                    batches.Dequeue();
                    var batch = await preparation.StartAsync(prepared, CancellationToken.None);
                    wanted = batch.Items.Count == 0; // nothing of it is left to generate: the next one answers the same ask
                    if (!wanted) await ready.WriteAsync(batch, CancellationToken.None);
                }
            }
        }
        finally
        {
            ready.Complete();
        }
    }

    private static async Task<bool> WaitUntilWantedAsync(ChannelReader<bool> wants, CancellationToken stoppingToken)
    {
        try
        {
            await wants.ReadAsync(stoppingToken);
            return true;
        }
        catch (OperationCanceledException)
        {
            return false;
        }
    }

    private async Task GenerationStageAsync(ChannelWriter<bool> wants, ChannelReader<GenerationBatch> ready, ChannelWriter<(GenerationBatch, IReadOnlyList<RgbImage>)> generated)
    {
        try
        {
            wants.TryWrite(true);
            await foreach (var batch in ready.ReadAllAsync())
            {
                var asked = 0;
                void AskForNext()
                {
                    if (Interlocked.Exchange(ref asked, 1) == 0) wants.TryWrite(true);
                }

                var progress = new StepsLeft(StartNextWithStepsLeft, AskForNext);
                var images = await GenerateAsync(batch, progress, CancellationToken.None);
                AskForNext();
                if (images is not null) await generated.WriteAsync((batch, images));
            }
        }
        finally
        {
            generated.Complete();
        }
    }

    private async Task StoreStageAsync(ChannelReader<(GenerationBatch Batch, IReadOnlyList<RgbImage> Images)> generated)
    {
        await foreach (var (batch, images) in generated.ReadAllAsync())
        {
            await Parallel.ForEachAsync(
                Enumerable.Range(0, batch.Items.Count),
                new ParallelOptions { MaxDegreeOfParallelism = StoreParallelism },
                async (i, _) => await StoreAsync(batch.Items[i], images[i], CancellationToken.None));
        }
    }

    /// <summary>
    /// One generation call, off the caller's thread. A failed call (null) lets its messages go, to be delivered again,
    /// with the cause on the task rows.
    /// </summary>
    private async Task<IReadOnlyList<RgbImage>?> GenerateAsync(GenerationBatch batch, IProgress<GenerationProgress>? progress, CancellationToken cancellationToken)
    {
        try
        {
            var (result, started, ended) = await Task.Run(() =>
            {
                var started = Stopwatch.GetTimestamp();
                var result = new Generator(runtime.Models).Generate([.. batch.Items.Select(i => i.Request)], batch.Settings, progress, cancellationToken);
                return (result, started, Stopwatch.GetTimestamp());
            }, CancellationToken.None);
            var seconds = Stopwatch.GetElapsedTime(started, ended).TotalSeconds;
            metrics.Generation.Record(started, ended, batch.Items.Count);
            metrics.BatchSize.Record(batch.Items.Count);
            metrics.StepsPerSecond.Record(batch.Settings.Steps / result.Timings.UNet.TotalSeconds);
            metrics.ImagesPerSecond.Record(batch.Items.Count / seconds);
            metrics.Images.Add(batch.Items.Count);
            logger.LogInformation("Generated {Count} images ({Steps} {Scheduler} steps) in {Seconds:F1} s", batch.Items.Count, batch.Settings.Steps, SchedulerNames.Of(batch.Settings.Scheduler), seconds);
            return result.Images;
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            logger.LogError(e, "A generation call of {Count} tasks failed; its messages will be delivered again", batch.Items.Count);
            try
            {
                await results.RecordGenerationErrorAsync(batch, e, cancellationToken);
            }
            finally
            {
                foreach (var item in batch.Items) await item.Lease.DisposeAsync();
            }

            return null;
        }
    }

    /// <summary>Stores one result; whatever goes wrong is this task's alone (its message comes back) and never stops the stage.</summary>
    private async Task StoreAsync(PreparedTask item, RgbImage image, CancellationToken cancellationToken)
    {
        try
        {
            await results.StoreAsync(item, image, cancellationToken);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            logger.LogWarning("Task {JobId}/{TaskId}: its result could not be recorded ({Reason}); it will be delivered again", item.Task.JobId, item.Task.TaskId, e.Message);
        }
        finally
        {
            await item.Lease.DisposeAsync();
        }
    }

    /// <summary>The batches of messages taken until stopping, each with at least one; an empty queue is polled less and less often.</summary>
    private async IAsyncEnumerable<List<MessageLease>> BatchesAsync([EnumeratorCancellation] CancellationToken stoppingToken)
    {
        var idle = new IdleBackoff();
        while (!stoppingToken.IsCancellationRequested)
        {
            var leases = await TakeBatchAsync(stoppingToken);
            if (leases.Count == 0)
            {
                await idle.WaitAsync(stoppingToken);
                continue;
            }

            idle.Reset();
            yield return leases;
        }
    }

    /// <summary>
    /// Takes up to MaxBatch messages, each round from the interactive lane first and the bulk lane for the rest: the first
    /// as soon as there is one, the rest for at most MaxWaitMs.
    /// </summary>
    internal async Task<List<MessageLease>> TakeBatchAsync(CancellationToken cancellationToken)
    {
        var leases = new List<MessageLease>();
        var clock = Stopwatch.StartNew();
        try
        {
            while (leases.Count < settings.MaxBatch)
            {
                var found = false;
                foreach (var queue in lanes)
                {
                    if (leases.Count == settings.MaxBatch) break;
                    var received = await queue.ReceiveMessagesAsync(Math.Min(32, settings.MaxBatch - leases.Count), Visibility, cancellationToken);
                    leases.AddRange(received.Value.Select(m => new MessageLease(queue, m, Visibility)));
                    found |= received.Value.Length > 0;
                }

                if (leases.Count == 0 || clock.ElapsedMilliseconds >= settings.MaxWaitMs) break;
                if (!found) await Task.Delay(TimeSpan.FromMilliseconds(Math.Min(100, settings.MaxWaitMs)), cancellationToken);
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            foreach (var lease in leases)
            {
                await lease.ReleaseAsync(CancellationToken.None);
                await lease.DisposeAsync();
            }

            return [];
        }
        catch (Exception e) when (StorageErrors.IsTransient(e))
        {
            // The storage account is struggling (or restarting): run what is in hand, or wait and ask again; the consumer must not stop.
            logger.LogWarning("Could not receive generate tasks: {Reason}", e.Message);
            if (leases.Count == 0) await Task.Delay(TimeSpan.FromSeconds(1), cancellationToken);
        }

        return leases;
    }

    /// <summary>Calls <paramref name="nearlyDone"/> once a call has no more than <paramref name="stepsLeft"/> UNet steps to go.</summary>
    private sealed class StepsLeft(int stepsLeft, Action nearlyDone) : IProgress<GenerationProgress>
    {
        public void Report(GenerationProgress value)
        {
            if (value.Steps - value.Step <= stepsLeft) nearlyDone();
        }
    }
}
