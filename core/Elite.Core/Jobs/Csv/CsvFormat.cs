namespace Elite.Core.Jobs;

/// <summary>The columns of a prompt CSV (header required, matched without case; all but the first two optional).</summary>
public static class CsvColumns
{
    public const string ConceptId = "concept_id";
    public const string Prompt = "prompt";
    public const string NegativePrompt = "negative_prompt";
    public const string Seed = "seed";
    public const string Steps = "steps";
    public const string Guidance = "guidance";
    public const string Lambda = "lambda";

    public static IReadOnlyList<string> All { get; } = [ConceptId, Prompt, NegativePrompt, Seed, Steps, Guidance, Lambda];

    /// <summary>"concept_id and prompt (optional: ...)": how refusals name the columns.</summary>
    public static string Described { get; } = $"{ConceptId} and {Prompt} (optional: {string.Join(", ", All.Skip(2))})";
}

/// <summary>
/// Blob metadata keys that set a CSV job's options (Azure metadata names are case-insensitive identifiers):
/// <c>az storage blob upload ... --metadata webhookurl=https://... steps=30 scheduler=euler_a</c>.
/// Steps, guidance and λ are the defaults of rows that leave those columns empty; the scheduler is the job's.
/// </summary>
public static class CsvJobMetadata
{
    public const string WebhookUrl = "webhookurl";
    public const string Steps = "steps";
    public const string Guidance = "guidance";
    public const string Lambda = "lambda";
    public const string Scheduler = "scheduler";

    /// <summary>The caller the job belongs to (a principal's object id); absent: the deployment's default caller.</summary>
    public const string Owner = "owner";

    /// <summary>The options a caller may set, also as query parameters of a CSV posted to <c>POST /api/jobs</c>.</summary>
    public static IReadOnlyList<string> Options { get; } = [WebhookUrl, Steps, Guidance, Lambda, Scheduler];
}
