using System.Globalization;
using Azure.Storage.Blobs.Models;
using Elite.Contracts.Generation;
using Elite.Contracts.Text;
using Elite.Core.Jobs;
using Elite.Core.Messages;
using Elite.Core.Rows;
using Elite.Core.Storage;
using Elite.Inference.Imaging;

namespace Elite.Worker;

/// <summary>How a generate task ends: its image stored and counted, or failed with a reason (and its message poisoned when it can never pass).</summary>
internal sealed class TaskResults(StorageClients clients, WorkerRuntime runtime, WorkerMetrics metrics, ILogger logger)
{
    private readonly JobAccounting accounting = new(clients);

    /// <summary>
    /// Stores one image and records it. A failure here is this task's alone: one that can never pass (an image that
    /// cannot be encoded) fails the task with its reason; a transient one leaves the message to be delivered again.
    /// </summary>
    public async Task StoreAsync(PreparedTask prepared, RgbImage image, CancellationToken cancellationToken)
    {
        var (lease, task, request, _) = prepared;
        try
        {
            var blob = BlobPaths.Result(task.JobId, task.TaskId);
            var png = PngEncoder.Encode(image, Metadata(prepared));
            await clients.Container(StorageNames.Containers.Results).GetBlobClient(blob).UploadAsync(
                new BinaryData(png), new BlobUploadOptions { HttpHeaders = new BlobHttpHeaders { ContentType = "image/png" } }, cancellationToken);
            var warning = request.Prompt.Truncated ? TokenLimits.TruncationWarning : null;
            await accounting.RecordTaskResultAsync(task.JobId, task.TaskId, ImageTaskStatus.Succeeded, blob, warning, cancellationToken);
            await lease.CompleteAsync(cancellationToken);
        }
        catch (Exception e) when (StorageErrors.IsTransient(e))
        {
            logger.LogWarning("Task {JobId}/{TaskId}: its result could not be stored ({Reason}); it will be delivered again", task.JobId, task.TaskId, e.Message);
            await accounting.RecordAttemptErrorAsync(task.JobId, task.TaskId, $"its result could not be stored: {e.Message}", cancellationToken);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            await FailAsync(lease, task, $"the image could not be stored: {e.Message}", poison: false, cancellationToken);
        }
    }

    /// <summary>A generation call failed: the batch is delivered again, and its task rows keep the cause, so a task that fails for good says why.</summary>
    public async Task RecordGenerationErrorAsync(GenerationBatch batch, Exception error, CancellationToken cancellationToken)
    {
        foreach (var item in batch.Items)
        {
            await accounting.RecordAttemptErrorAsync(item.Task.JobId, item.Task.TaskId, $"generation failed: {error.Message}", cancellationToken);
        }
    }

    public async Task FailAsync(MessageLease lease, GenerateTask task, string reason, bool poison, CancellationToken cancellationToken)
    {
        try
        {
            await accounting.RecordTaskResultAsync(task.JobId, task.TaskId, ImageTaskStatus.Failed, resultBlob: null, reason, cancellationToken);
        }
        catch (InvalidMessageException e)
        {
            // Its rows were deleted while it ran: nothing to record the failure on.
            logger.LogWarning("Poison generate message {MessageId}: {Reason}", lease.Message.MessageId, e.Message);
            poison = true;
        }

        if (poison) await lease.PoisonAsync(clients.Queue(StorageNames.Queues.GeneratePoison), cancellationToken);
        else await lease.CompleteAsync(cancellationToken);
        metrics.Failures.Add(1, new KeyValuePair<string, object?>("kind", poison ? "generate-poison" : "generate-failed"));
        // The reason may quote the user's prompt: it stays on the task row, out of the logs.
        logger.LogWarning("Task {JobId}/{TaskId} failed; the reason is on its row", task.JobId, task.TaskId);
    }

    private Dictionary<string, string> Metadata(PreparedTask prepared)
    {
        var (_, task, request, conceptVersion) = prepared;
        return new()
        {
            ["prompt"] = task.Parameters.Prompt,
            ["negative_prompt"] = task.Parameters.NegativePrompt,
            ["seed"] = task.Parameters.Seed.ToString(CultureInfo.InvariantCulture),
            ["steps"] = task.Parameters.Steps.ToString(CultureInfo.InvariantCulture),
            ["scheduler"] = SchedulerNames.Of(task.Parameters.Scheduler),
            ["guidance"] = request.Guidance.ToString(CultureInfo.InvariantCulture),
            ["lambda"] = request.Lambda.ToString(CultureInfo.InvariantCulture),
            ["pack"] = runtime.Models.Manifest.Id,
            ["job"] = task.JobId,
            ["task"] = task.TaskId,
            ["concept"] = task.ConceptId,
            ["concept_version"] = conceptVersion ?? "",
        };
    }
}
