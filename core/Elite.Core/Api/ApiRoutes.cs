namespace Elite.Core.Api;

/// <summary>The HTTP API's routes, under <see cref="Prefix"/> (the Functions host's default route prefix).</summary>
public static class ApiRoutes
{
    public const string Prefix = "api/";
    public const string Jobs = "jobs";
    public const string Job = Jobs + "/{id}";
    public const string Concepts = "concepts";
    public const string Concept = Concepts + "/{id}";

    /// <summary>The request header that makes a job submission safe to retry.</summary>
    public const string IdempotencyHeader = "Idempotency-Key";

    /// <summary>The function key header (Azure; the local host needs none).</summary>
    public const string FunctionKeyHeader = "x-functions-key";

    public static string JobPath(string jobId) => $"{Jobs}/{Uri.EscapeDataString(jobId)}";

    public static string ConceptPath(string conceptId) => $"{Concepts}/{Uri.EscapeDataString(conceptId)}";
}
