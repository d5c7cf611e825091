namespace Elite.Core.Api;

/// <summary>
/// The body of <c>201 Created</c> from <c>POST /api/concepts</c>: the new concept, and write-only links for its photo
/// (and its mask, when one was asked for). Upload with <c>PUT</c> and the header <c>x-ms-blob-type: BlockBlob</c>;
/// the links can neither read nor list, and stop working at <see cref="UploadUrlsExpireOn"/>.
/// </summary>
public sealed record ConceptCreated(string Id, string Status, string PhotoUploadUrl, string? MaskUploadUrl, DateTimeOffset UploadUrlsExpireOn);
