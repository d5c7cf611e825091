using Elite.Core.Messages;
using Elite.Core.Rows;
using Elite.Core.Storage;

namespace Elite.Core.Webhooks;

/// <summary>
/// The <c>data</c> of a concept's event: its state for one version of its files (photo and mask ETags; for a rejection,
/// the refused file and its ETag).
/// </summary>
public sealed record ConceptEventData(string ConceptId, ConceptStatus Status, string? Version, string? Reason, string? MaskSource);

/// <summary>
/// Handles a <c>concept-events</c> message: the signed <c>concept.ready</c>, <c>concept.rejected</c> or <c>concept.failed</c>
/// webhook of a concept created through the API with a <c>webhookUrl</c>, retried on the jobs' schedule
/// (<see cref="RetryLaterException"/>, attempts counted on the message).
/// </summary>
public sealed class ConceptEventHandler(StorageClients clients, WebhookDelivery delivery, TimeProvider? time = null)
{
    private readonly TimeProvider _time = time ?? TimeProvider.System;

    public static string TypeOf(ConceptStatus status) => $"concept.{status.ToString().ToLowerInvariant()}";

    /// <summary>The same on every attempt and every redelivery of the event for this version.</summary>
    public static string MessageIdFor(ConceptEvent conceptEvent) =>
        WebhookSigner.MessageIdFor($"concept/{conceptEvent.ConceptId}/{conceptEvent.Status}/{conceptEvent.Version}");

    /// <exception cref="RetryLaterException">The attempt failed and another is due.</exception>
    public async Task<JobEventOutcome> HandleAsync(ConceptEvent conceptEvent, int dequeueCount, CancellationToken cancellationToken)
    {
        if (conceptEvent.Status is ConceptStatus.Pending) throw new InvalidMessageException("a concept event is Ready, Rejected or Failed, not Pending");
        var concept = await clients.Table(StorageNames.Tables.Concepts).GetOrDefaultAsync<ConceptRow>(conceptEvent.ConceptId, ConceptRow.RowKeyValue, cancellationToken);
        if (concept is null) return JobEventOutcome.JobNotFound; // deleted since
        if (string.IsNullOrEmpty(concept.WebhookUrl)) return JobEventOutcome.NoWebhook;

        // The reason is the row's while the row still says what the event says; a later upload has its own event.
        var current = concept.Status == conceptEvent.Status && (concept.Status == ConceptStatus.Rejected || concept.Version == conceptEvent.Version);
        var data = new ConceptEventData(concept.ConceptId, conceptEvent.Status, conceptEvent.Version, current ? concept.Reason : null, current ? concept.MaskSource : null);
        var body = new WebhookEnvelope<ConceptEventData>(TypeOf(conceptEvent.Status), current ? concept.Timestamp ?? _time.GetUtcNow() : _time.GetUtcNow(), data).ToJson();
        var attempt = Math.Max(dequeueCount, conceptEvent.Attempt + 1);
        var result = await delivery.DeliverAsync(concept.WebhookUrl, MessageIdFor(conceptEvent), body, attempt, cancellationToken);
        return result.Outcome switch
        {
            WebhookDeliveryOutcome.Delivered => JobEventOutcome.Delivered,
            WebhookDeliveryOutcome.GaveUp => JobEventOutcome.GaveUp,
            _ => throw new RetryLaterException(result.Delay, result.Error ?? "unknown error", attempt),
        };
    }

    /// <summary>Sends the event again, invisible for <paramref name="delay"/>, with the attempt that failed.</summary>
    public async Task ScheduleRetryAsync(ConceptEvent conceptEvent, TimeSpan delay, CancellationToken cancellationToken) =>
        await clients.Queue(StorageNames.Queues.ConceptEvents).SendMessageAsync(
            QueueMessages.Serialize(conceptEvent), visibilityTimeout: delay, cancellationToken: cancellationToken);
}
