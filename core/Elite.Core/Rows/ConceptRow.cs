using System.Runtime.Serialization;
using Azure;
using Azure.Data.Tables;

namespace Elite.Core.Rows;

public enum ConceptStatus
{
    /// <summary>Upload accepted, encoding requested.</summary>
    Pending,

    /// <summary>Encoded: the embedding blob exists and jobs can use the concept.</summary>
    Ready,

    /// <summary>The upload itself is unusable (not an image, too large, ...); see the reason.</summary>
    Rejected,

    /// <summary>The upload looked valid but encoding failed; see the reason.</summary>
    Failed,
}

/// <summary>A concept in table <c>Concepts</c>: partition key = concept id, one row per concept.</summary>
public sealed record ConceptRow : ITableEntity
{
    public const string RowKeyValue = "concept";

    public ConceptRow() { }

    public ConceptRow(string conceptId)
    {
        PartitionKey = Storage.ResourceId.Require(conceptId, "concept id");
        RowKey = RowKeyValue;
    }

    [IgnoreDataMember]
    public string ConceptId => PartitionKey;

    public ConceptStatus Status { get; set; }

    /// <summary>Blob name of the photo in container <c>concepts</c>.</summary>
    public string ImageBlob { get; set; } = "";

    /// <summary>Blob name of the uploaded mask, if the user gave one.</summary>
    public string? MaskBlob { get; set; }

    /// <summary>Where the object mask came from: <c>upload</c>, <c>alpha</c> or <c>auto</c>; set when encoded.</summary>
    public string? MaskSource { get; set; }

    /// <summary>Blob name of the encoding in container <c>embeddings</c>, once ready.</summary>
    public string? EmbeddingBlob { get; set; }

    /// <summary>The model pack the embedding belongs to.</summary>
    public string? PackId { get; set; }

    /// <summary>Why the concept is rejected or failed, in words for the user.</summary>
    public string? Reason { get; set; }

    /// <summary>ETag of the photo blob when it was registered: a new upload under the same name has another.</summary>
    public string? ImageETag { get; set; }

    /// <summary>ETag of the mask blob when it was registered.</summary>
    public string? MaskETag { get; set; }

    /// <summary>
    /// An <see cref="Messages.EncodeRequest"/> for the current photo and mask was enqueued. Cleared when either
    /// changes; set right after the send, so a redelivered upload event re-sends only if the send was lost.
    /// </summary>
    public bool EncodeRequested { get; set; }

    /// <summary>
    /// Which photo and mask the concept is now: their blob ETags (<c>photo</c> or <c>photo+mask</c>). A task records the
    /// version it was generated from, so the images of a job whose photo was replaced while it ran say which is which.
    /// </summary>
    [IgnoreDataMember]
    public string? Version => ImageETag is null ? null : ImageETag.Trim('"') + (MaskETag is null ? "" : "+" + MaskETag.Trim('"'));

    /// <summary>
    /// The caller who created the concept through the API (<see cref="Callers.Caller"/>): only they see and use it. A
    /// concept uploaded straight into the container has none and is shared by every caller (an operator's library).
    /// </summary>
    public string? Owner { get; set; }

    /// <summary>Where the concept's webhook events go (<c>concept.ready</c>, <c>concept.rejected</c>, <c>concept.failed</c>), set at creation through the API.</summary>
    public string? WebhookUrl { get; set; }

    public string PartitionKey { get; set; } = "";
    public string RowKey { get; set; } = "";
    public DateTimeOffset? Timestamp { get; set; }
    public ETag ETag { get; set; }
}
