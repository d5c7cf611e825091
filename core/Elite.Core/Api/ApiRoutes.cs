namespace Elite.Core.Api;

/// <summary>The HTTP API's routes, under <see cref="Prefix"/> (the Functions host's default route prefix).</summary>
public static class ApiRoutes
{
    public const string Prefix = "api/";
    public const string Jobs = "jobs";
    public const string Job = Jobs + "/{id}";
    public const string JobCancel = Job + "/cancel";
    public const string JobTasks = Job + "/tasks";
    public const string JobWebhookRedeliver = Job + "/webhook/redeliver";
    public const string Status = "status";
    public const string Concepts = "concepts";
    public const string Concept = Concepts + "/{id}";

    /// <summary>The API's OpenAPI document (anonymous: a client reads it before it has a key).</summary>
    public const string OpenApiDocument = "openapi.json";

    /// <summary>The web console's pages, styles and scripts (anonymous files; every API call they make carries the caller's key).</summary>
    public const string ConsoleFile = "console/{file}";

    /// <summary>Where the console starts: its concepts page.</summary>
    public const string ConsoleStart = "console/index.html";

    /// <summary>Query parameters of <c>POST /api/concepts</c>: the photo's and the mask's file type (png, jpg, jpeg, webp).</summary>
    public const string PhotoTypeParameter = "photo";
    public const string MaskTypeParameter = "mask";

    /// <summary>Query parameter of <c>POST /api/concepts</c>: where the concept's Ready, Rejected and Failed webhooks go.</summary>
    public const string WebhookUrlParameter = "webhookUrl";

    /// <summary>The request header that makes a job submission safe to retry.</summary>
    public const string IdempotencyHeader = "Idempotency-Key";

    /// <summary>Query parameters of the listings: where a page starts (the last page's token) and how many items it holds at most.</summary>
    public const string ContinuationParameter = "continuation";
    public const string PageSizeParameter = "pageSize";

    /// <summary>The function key header (Azure; the local host needs none).</summary>
    public const string FunctionKeyHeader = "x-functions-key";

    /// <summary>The function key as a query parameter, which the Functions host also takes.</summary>
    public const string FunctionKeyParameter = "code";

    public static string JobPath(string jobId) => WithId(Job, jobId);

    public static string JobCancelPath(string jobId) => WithId(JobCancel, jobId);

    public static string JobWebhookRedeliverPath(string jobId) => WithId(JobWebhookRedeliver, jobId);

    public static string JobTasksPath(string jobId, string? continuation, int? pageSize) => WithId(JobTasks, jobId) + Query(continuation, pageSize);

    public static string JobsPath(string? continuation, int? pageSize) => Jobs + Query(continuation, pageSize);

    public static string ConceptPath(string conceptId) => WithId(Concept, conceptId);

    private static string WithId(string route, string id) => route.Replace("{id}", Uri.EscapeDataString(id), StringComparison.Ordinal);

    private static string Query(string? continuation, int? pageSize)
    {
        var parts = new List<string>();
        if (continuation is not null) parts.Add($"{ContinuationParameter}={Uri.EscapeDataString(continuation)}");
        if (pageSize is { } size) parts.Add($"{PageSizeParameter}={size}");
        return parts.Count == 0 ? "" : "?" + string.Join("&", parts);
    }
}
