using Elite.Core;
using Elite.Core.Messages;
using Elite.Core.Storage;
using Elite.Core.Webhooks;
using Microsoft.Azure.Functions.Worker;
using Microsoft.Extensions.Logging;

namespace Elite.Functions;

/// <summary>A job's webhook events (completed, started, tasks ended): signed, retried with a growing delay, then given up with the reason on the job.</summary>
public sealed class WebhookFunctions(JobEventHandler handler, ConceptEventHandler concepts, ILogger<WebhookFunctions> logger)
{
    [Function(FunctionNames.JobEvents)]
    public async Task JobEvents(
        [QueueTrigger(StorageNames.Queues.JobEvents, Connection = StorageConnection.SettingName)] string message,
        long dequeueCount,
        CancellationToken cancellationToken)
    {
        var jobEvent = QueueMessages.Deserialize<JobEvent>(message);
        try
        {
            var outcome = await handler.HandleAsync(jobEvent, (int)dequeueCount, cancellationToken);
            logger.LogInformation("Job {JobId} webhook: {Outcome}", jobEvent.JobId, outcome);
        }
        catch (RetryLaterException e)
        {
            // Re-sent with the handler's growing delay; this delivery then completes.
            await handler.ScheduleRetryAsync(jobEvent with { Attempt = e.Attempt }, e.Delay, cancellationToken);
            logger.LogWarning("Job {JobId} webhook: {Reason}", jobEvent.JobId, e.Message);
        }
    }

    [Function(FunctionNames.ConceptEvents)]
    public async Task ConceptEvents(
        [QueueTrigger(StorageNames.Queues.ConceptEvents, Connection = StorageConnection.SettingName)] string message,
        long dequeueCount,
        CancellationToken cancellationToken)
    {
        var conceptEvent = QueueMessages.Deserialize<ConceptEvent>(message);
        try
        {
            var outcome = await concepts.HandleAsync(conceptEvent, (int)dequeueCount, cancellationToken);
            logger.LogInformation("Concept {ConceptId} webhook ({Status}): {Outcome}", conceptEvent.ConceptId, conceptEvent.Status, outcome);
        }
        catch (RetryLaterException e)
        {
            await concepts.ScheduleRetryAsync(conceptEvent with { Attempt = e.Attempt }, e.Delay, cancellationToken);
            logger.LogWarning("Concept {ConceptId} webhook: {Reason}", conceptEvent.ConceptId, e.Message);
        }
    }
}
