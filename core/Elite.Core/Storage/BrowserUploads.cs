using Azure.Storage.Blobs.Models;

namespace Elite.Core.Storage;

/// <summary>
/// The blob service's CORS rule that lets the web console, a page of the Function App, upload a concept through the
/// write-only links of <c>POST /api/concepts</c>. Any origin: the link itself is the permission, and a browser sends no
/// storage credentials of its own, so CORS protects nothing here that the link does not. Applied by
/// <see cref="StorageInitializer"/> (Azurite) and by the Bicep (from infra/core-names.json).
/// </summary>
public static class BrowserUploads
{
    public static IReadOnlyList<string> AllowedOrigins { get; } = ["*"];
    public static IReadOnlyList<string> AllowedMethods { get; } = ["PUT"];
    public static IReadOnlyList<string> AllowedHeaders { get; } = ["content-type", "x-ms-blob-type"];
    public const int MaxAgeSeconds = 3600;

    public static BlobCorsRule Rule => new()
    {
        AllowedOrigins = string.Join(",", AllowedOrigins),
        AllowedMethods = string.Join(",", AllowedMethods),
        AllowedHeaders = string.Join(",", AllowedHeaders),
        ExposedHeaders = "",
        MaxAgeInSeconds = MaxAgeSeconds,
    };

    public static bool IsRule(BlobCorsRule rule) =>
        rule.AllowedOrigins == Rule.AllowedOrigins && rule.AllowedMethods == Rule.AllowedMethods && rule.AllowedHeaders == Rule.AllowedHeaders;
}
