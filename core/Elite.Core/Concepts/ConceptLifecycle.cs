using Azure.Data.Tables;
using Azure.Storage.Blobs.Models;
using Elite.Core.Messages;
using Elite.Core.Rows;
using Elite.Core.Storage;

namespace Elite.Core.Concepts;

/// <summary>What a concept upload did.</summary>
public enum ConceptUploadOutcome
{
    /// <summary>The photo (or a new mask for it) is registered and an <see cref="EncodeRequest"/> was enqueued.</summary>
    EncodeRequested,

    /// <summary>A mask arrived before any usable photo: recorded, the photo's upload will request the encoding.</summary>
    MaskRecorded,

    /// <summary>The same upload was registered before (a redelivered event): nothing was done.</summary>
    AlreadyRegistered,

    /// <summary>The file is unusable: the concept is Rejected with the reason.</summary>
    Rejected,

    /// <summary>A file of an unsupported type beside a usable photo (notes, thumbnails): left alone.</summary>
    Ignored,
}

public sealed record ConceptUploadResult(ConceptUploadOutcome Outcome, ConceptStatus? Status, string? Reason);

/// <summary>An uploaded photo or mask, checked: <see cref="Problem"/> says why it is unusable, if it is.</summary>
/// <param name="ETag">The blob's ETag, if known: tells a new upload under the same name from a redelivered event.</param>
/// <param name="UnsupportedType">The problem is the file's type (a note beside the photo), not its content.</param>
public sealed record ConceptUpload(string ConceptId, string FileName, string? ETag, string? Problem, bool UnsupportedType)
{
    public string Blob => BlobPaths.ConceptFile(ConceptId, FileName);

    public bool IsMask => BlobPaths.IsMask(FileName);
}

/// <summary>What an encoding produced, for the photo and mask it was made from.</summary>
public sealed record EncodedConcept(string ImageBlob, string? MaskBlob, string EmbeddingBlob, string PackId, string MaskSource);

/// <summary>Whether a concept can be used now; <see cref="Reason"/> says why not, in words for the user.</summary>
public enum ConceptUse
{
    /// <summary>Encoded for the pack asked about: generate now.</summary>
    Ready,

    /// <summary>Known and being encoded (or encoded for another pack): a job may be accepted, its tasks wait.</summary>
    Wait,

    /// <summary>No row: nobody uploaded a photo for it.</summary>
    Missing,

    /// <summary>Rejected or failed: it will not be encoded until a new upload.</summary>
    Unusable,
}

/// <summary>What <see cref="ConceptLifecycle.DeleteAsync"/> did: deleted, or refused because these jobs still run.</summary>
public sealed record ConceptDeletion(bool Deleted, IReadOnlyList<string> RunningJobs);

public sealed record ConceptAvailability(ConceptUse Use, string? Reason)
{
    /// <summary>A job may name the concept: it exists and is not unusable.</summary>
    public bool AcceptsJobs => Use is ConceptUse.Ready or ConceptUse.Wait;
}

/// <summary>
/// The one owner of a concept row, the counterpart of <see cref="Jobs.JobAccounting"/>: every transition goes
/// through it (an upload registered or rejected, an encoding requested, encoded for a pack, rejected or failed by
/// the encoder, re-encoded for a new pack), with the ETag rules in one place, and it alone builds an
/// <see cref="EncodeRequest"/> and answers whether a concept can be used.
/// </summary>
/// <remarks>
/// <para>The row holds the concept's current photo and mask. An encoding is requested whenever either changes while
/// a usable photo is known, whatever the status: a new photo or mask makes the concept Pending again (jobs wait for
/// it) and the worker re-encodes. A mask that comes first is only recorded. An unusable photo rejects the concept,
/// an unusable mask too, until a usable one replaces it.</para>
/// <para>Idempotent: <see cref="ConceptRow.EncodeRequested"/> is set right after the send, so a redelivered event
/// enqueues again only if the first send was lost. A new upload under the same name is told apart by its ETag.
/// An encoder's result stands when the row changed since it was read only by a mark (same photo and mask ETags);
/// after a new upload it is stale and dropped: that upload's own request follows.</para>
/// </remarks>
public sealed class ConceptLifecycle(StorageClients clients)
{
    private readonly TableClient _concepts = clients.Table(StorageNames.Tables.Concepts);

    public Task<ConceptRow?> GetAsync(string conceptId, CancellationToken cancellationToken) =>
        _concepts.GetOrDefaultAsync<ConceptRow>(conceptId, ConceptRow.RowKeyValue, cancellationToken);

    /// <summary>Whether the concept of <paramref name="row"/> can be used; with <paramref name="packId"/>, for that pack.</summary>
    public static ConceptAvailability Availability(string conceptId, ConceptRow? row, string? packId = null) => row switch
    {
        null => new(ConceptUse.Missing, $"concept '{conceptId}' does not exist: upload its photo to {StorageNames.Containers.Concepts}/{conceptId}/ first"),
        { Status: ConceptStatus.Rejected } => new(ConceptUse.Unusable, $"concept '{conceptId}' was rejected: {row.Reason ?? "no reason recorded"}"),
        { Status: ConceptStatus.Failed } => new(ConceptUse.Unusable, $"concept '{conceptId}' failed to encode: {row.Reason ?? "no reason recorded"}"),
        { Status: ConceptStatus.Ready } when packId is null || (row.PackId == packId && row.EmbeddingBlob is not null) => new(ConceptUse.Ready, null),
        _ => new(ConceptUse.Wait, row.Reason),
    };

    /// <summary>
    /// A new concept of <paramref name="owner"/>, created through the API before its photo: Pending, waiting for the
    /// upload to <c>concepts/{id}/</c>, which then goes through <see cref="RegisterUploadAsync"/> as any upload does.
    /// Its id is a version 7 GUID: not a name another caller could guess.
    /// </summary>
    /// <param name="webhookUrl">Where its Ready, Rejected and Failed events go (already checked), or null.</param>
    public async Task<ConceptRow> CreateAsync(Callers.Caller owner, string? webhookUrl, CancellationToken cancellationToken)
    {
        var row = new ConceptRow(Guid.CreateVersion7().ToString("N")) { Status = ConceptStatus.Pending, Owner = owner.Id, Reason = AwaitingPhoto, WebhookUrl = webhookUrl };
        await _concepts.AddEntityAsync(row, cancellationToken);
        return row;
    }

    public const string AwaitingPhoto = "waiting for its photo to be uploaded";

    /// <summary>Records that <paramref name="jobId"/> uses the concept (idempotent), so the concept is not deleted under it.</summary>
    public async Task RecordUseAsync(string conceptId, string jobId, CancellationToken cancellationToken) =>
        await _concepts.UpsertEntityAsync(new ConceptJobRow(conceptId, jobId), TableUpdateMode.Replace, cancellationToken);

    /// <summary>
    /// Deletes the concept: its photo, its mask, its embedding for every pack, and its rows; refused while a job that
    /// uses it has not ended (cancel those first). Blobs go before the row, so a deletion that stops part-way can be
    /// asked again; a late upload event for a deleted photo finds no blob and is ignored.
    /// </summary>
    public async Task<ConceptDeletion> DeleteAsync(string conceptId, CancellationToken cancellationToken)
    {
        var uses = new List<ConceptJobRow>();
        await foreach (var use in _concepts.QueryAsync<ConceptJobRow>(
            r => r.PartitionKey == conceptId && r.RowKey.CompareTo(ConceptJobRow.RowKeyPrefix) >= 0 && r.RowKey.CompareTo(ConceptJobRow.RowKeyPrefix + "~") < 0,
            cancellationToken: cancellationToken))
        {
            uses.Add(use);
        }

        var jobs = clients.Table(StorageNames.Tables.Jobs);
        var running = new List<string>();
        foreach (var use in uses)
        {
            if (await jobs.GetOrDefaultAsync<JobRow>(use.JobId, JobRow.RowKeyValue, cancellationToken) is { IsFinal: false }) running.Add(use.JobId);
        }

        if (running.Count > 0) return new(false, running);

        foreach (var container in new[] { StorageNames.Containers.Concepts, StorageNames.Containers.Embeddings })
        {
            var blobs = clients.Container(container);
            await foreach (var blob in blobs.GetBlobsAsync(BlobTraits.None, BlobStates.None, conceptId + "/", cancellationToken))
            {
                await blobs.DeleteBlobIfExistsAsync(blob.Name, cancellationToken: cancellationToken);
            }
        }

        foreach (var use in uses) await _concepts.DeleteEntityAsync(use.PartitionKey, use.RowKey, cancellationToken: cancellationToken);
        await _concepts.DeleteEntityAsync(conceptId, ConceptRow.RowKeyValue, cancellationToken: cancellationToken);
        return new(true, []);
    }

    /// <summary>The row after a checked upload, with an <see cref="EncodeRequest"/> sent when the photo or mask changed.</summary>
    public async Task<ConceptUploadResult> RegisterUploadAsync(ConceptUpload upload, CancellationToken cancellationToken)
    {
        var (row, encode, outcome) = await TableConcurrency.RetryOnConflictAsync(async token =>
        {
            var current = await GetAsync(upload.ConceptId, token);
            var decision = Decide(current, upload);
            if (decision.Row is { } changed && !ReferenceEquals(changed, current))
            {
                var written = current is null ? (await _concepts.AddOrGetAsync(changed, token)).Added : await _concepts.TryReplaceAsync(changed, token);
                if (!written)
                {
                    throw new ConcurrencyConflictException();
                }
            }

            return decision;
        }, cancellationToken);

        if (encode)
        {
            await SendEncodeRequestAsync(row!, cancellationToken);
            await _concepts.UpdateAsync<ConceptRow>(
                upload.ConceptId,
                ConceptRow.RowKeyValue,
                c => c.EncodeRequested || !SameUpload(c, row!)
                    ? null // already marked, or another upload changed the concept since: its own request covers it
                    : c with { EncodeRequested = true },
                cancellationToken);
        }

        // A rejected photo has no version of its own: the event names the upload it refused.
        if (outcome == ConceptUploadOutcome.Rejected) await SendEventAsync(row!, $"{upload.FileName}@{upload.ETag?.Trim('"')}", cancellationToken);
        return new(outcome, row?.Status, outcome == ConceptUploadOutcome.Ignored ? upload.Problem : row?.Reason);
    }

    /// <summary>
    /// The concept is Ready for another model pack than <paramref name="packId"/> (the pack changed since): asks for
    /// this pack's encoding and makes it Pending, so its tasks wait. The request goes first: a lost mark only repeats
    /// the request (the encoder skips a concept it has done), a lost request would leave the concept pending.
    /// </summary>
    /// <returns>Whether this call marked the row (false: another replica did, or the concept changed meanwhile).</returns>
    public async Task<bool> RequestEncodingForPackAsync(ConceptRow row, string packId, CancellationToken cancellationToken)
    {
        await SendEncodeRequestAsync(row, cancellationToken);
        var pending = row with { Status = ConceptStatus.Pending, EncodeRequested = true, Reason = $"being encoded for model pack {packId} (it was encoded for {row.PackId})" };
        return await _concepts.TryReplaceAsync(pending, cancellationToken);
    }

    /// <summary>The encoder's result: Ready for its pack. <paramref name="read"/> is the row the encoder started from.</summary>
    public Task<bool> MarkEncodedAsync(ConceptRow read, EncodedConcept encoded, CancellationToken cancellationToken) =>
        SaveEncoderResultAsync(read, read with
        {
            Status = ConceptStatus.Ready,
            ImageBlob = encoded.ImageBlob,
            MaskBlob = encoded.MaskBlob,
            EmbeddingBlob = encoded.EmbeddingBlob,
            PackId = encoded.PackId,
            MaskSource = encoded.MaskSource,
            Reason = null,
        }, cancellationToken);

    /// <summary>The photo or mask did not decode: the concept is Rejected until a new upload.</summary>
    public Task<bool> MarkRejectedAsync(ConceptRow read, string reason, CancellationToken cancellationToken) =>
        SaveEncoderResultAsync(read, read with { Status = ConceptStatus.Rejected, Reason = reason }, cancellationToken);

    /// <summary>The encoding failed for a reason other than the files' content (gone, or failed too often).</summary>
    public Task<bool> MarkFailedAsync(ConceptRow read, string reason, CancellationToken cancellationToken) =>
        SaveEncoderResultAsync(read, read with { Status = ConceptStatus.Failed, Reason = reason }, cancellationToken);

    /// <returns>False when the result was dropped: the concept changed (a new upload, or a rejected one) while it was encoded.</returns>
    private async Task<bool> SaveEncoderResultAsync(ConceptRow read, ConceptRow updated, CancellationToken cancellationToken)
    {
        // A mark (Pending for this encoding, EncodeRequested) leaves the result standing; a rejection never does, even
        // of a mask that left the photo's and the old mask's names and ETags as they were.
        var saved = await _concepts.TryReplaceAsync(updated, cancellationToken)
            || (await GetAsync(read.ConceptId, cancellationToken) is { Status: ConceptStatus.Pending or ConceptStatus.Ready } current && SameUpload(current, read)
                && await _concepts.TryReplaceAsync(updated with { ETag = current.ETag, EncodeRequested = current.EncodeRequested }, cancellationToken));
        if (saved) await SendEventAsync(updated, updated.Version, cancellationToken);
        return saved;
    }

    /// <summary>
    /// Tells the concept's webhook (if it has one) its new state, after the row is saved. An encoder that dies in between
    /// meets the request again, finds the concept done and sends it then (<see cref="ResendEventAsync"/>); an upload
    /// rejected by the functions is decided again when its blob event comes back. The same event id: receivers dedupe.
    /// </summary>
    private async Task SendEventAsync(ConceptRow row, string? version, CancellationToken cancellationToken)
    {
        if (string.IsNullOrEmpty(row.WebhookUrl) || row.Status == ConceptStatus.Pending) return;
        await clients.Queue(StorageNames.Queues.ConceptEvents).SendMessageAsync(
            QueueMessages.Serialize(new ConceptEvent(row.ConceptId, row.Status, version)), cancellationToken);
    }

    /// <summary>The encoder met a request for a concept already Ready, Failed or Rejected for it: its event may not have been sent.</summary>
    public Task ResendEventAsync(ConceptRow row, CancellationToken cancellationToken) =>
        row.Status == ConceptStatus.Rejected ? Task.CompletedTask : SendEventAsync(row, row.Version, cancellationToken);

    private Task SendEncodeRequestAsync(ConceptRow row, CancellationToken cancellationToken) =>
        clients.Queue(StorageNames.Queues.Encode).SendMessageAsync(
            QueueMessages.Serialize(new EncodeRequest(row.ConceptId, row.ImageBlob, row.MaskBlob)), cancellationToken);

    private static bool SameUpload(ConceptRow a, ConceptRow b) =>
        (a.ImageBlob, a.ImageETag, a.MaskBlob, a.MaskETag) == (b.ImageBlob, b.ImageETag, b.MaskBlob, b.MaskETag);

    private sealed record Decision(ConceptRow? Row, bool Encode, ConceptUploadOutcome Outcome);

    /// <summary>The concept row after the upload (the same instance when unchanged), whether to request an encoding, and the outcome.</summary>
    private static Decision Decide(ConceptRow? current, ConceptUpload upload)
    {
        var row = current ?? new ConceptRow(upload.ConceptId) { Status = ConceptStatus.Pending };
        var hasUsablePhoto = current is { ImageBlob.Length: > 0 } && current.Status != ConceptStatus.Rejected;
        if (upload.Problem is { } problem)
        {
            if (upload.UnsupportedType && !upload.IsMask && hasUsablePhoto)
            {
                return new(current, false, ConceptUploadOutcome.Ignored);
            }

            var rejected = row with
            {
                Status = ConceptStatus.Rejected,
                Reason = $"{upload.FileName}: {problem}",
                EncodeRequested = false,
                // A rejected photo is no photo; a rejected mask leaves the photo, so a good mask can revive the concept.
                ImageBlob = upload.IsMask ? row.ImageBlob : "",
                ImageETag = upload.IsMask ? row.ImageETag : null,
            };
            return new(rejected, false, ConceptUploadOutcome.Rejected);
        }

        var sameAsBefore = current is not null && current.Status != ConceptStatus.Rejected && (upload.IsMask
            ? current.MaskBlob == upload.Blob && current.MaskETag == upload.ETag
            : current.ImageBlob == upload.Blob && current.ImageETag == upload.ETag);
        if (sameAsBefore)
        {
            var sendLost = current!.Status == ConceptStatus.Pending && current.ImageBlob.Length > 0 && !current.EncodeRequested;
            return new(current, sendLost, sendLost ? ConceptUploadOutcome.EncodeRequested : ConceptUploadOutcome.AlreadyRegistered);
        }

        var updated = upload.IsMask
            ? row with { MaskBlob = upload.Blob, MaskETag = upload.ETag }
            : row with { ImageBlob = upload.Blob, ImageETag = upload.ETag };
        if (updated.ImageBlob.Length == 0)
        {
            return new(updated, false, ConceptUploadOutcome.MaskRecorded); // still waiting for a (usable) photo
        }

        return new(updated with { Status = ConceptStatus.Pending, Reason = null, EncodeRequested = false }, true, ConceptUploadOutcome.EncodeRequested);
    }
}
