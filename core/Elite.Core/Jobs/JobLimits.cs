namespace Elite.Core.Jobs;

/// <summary>
/// What one job may ask for. The defaults protect the queue, the tables and the GPU from a single request;
/// a deployment can pass other values to <see cref="JobIntake"/> and <see cref="CsvJobIntake"/>.
/// </summary>
public sealed record JobLimits
{
    public static JobLimits Default { get; } = new();

    /// <summary>Prompt entries in one HTTP job.</summary>
    public int MaxPrompts { get; init; } = 1000;

    /// <summary>Images (tasks) in one HTTP job, over all its prompts.</summary>
    public int MaxImagesPerJob { get; init; } = 10_000;

    /// <summary>
    /// Characters in a prompt or negative prompt. Only a guard against abuse: the worker keeps CLIP's first
    /// 75 content tokens of a prompt and says so on the task.
    /// </summary>
    public int MaxPromptLength { get; init; } = 1000;

    public int MinSteps { get; init; } = 1;
    public int MaxSteps { get; init; } = 150;
    public float MinGuidance { get; init; }
    public float MaxGuidance { get; init; } = 30;
    public float MinLambda { get; init; }
    public float MaxLambda { get; init; } = 1.5f;

    /// <summary>Seeds are 0 .. 2^53 - 1, so that a JavaScript client reads back exactly the seed it sent.</summary>
    public long MaxSeed { get; init; } = (1L << 53) - 1;

    /// <summary>The HTTP request body (JSON) of a job submission.</summary>
    public int MaxRequestBytes { get; init; } = 1 << 20;

    /// <summary>A prompt CSV posted to <c>POST /api/jobs</c> (<c>text/csv</c>); a larger one is uploaded to <c>jobs/</c> instead.</summary>
    public int MaxCsvRequestBytes { get; init; } = 32 << 20;

    public int MaxWebhookUrlLength { get; init; } = 2048;

    /// <summary>Length of an <c>Idempotency-Key</c>: printable ASCII characters only.</summary>
    public int MaxIdempotencyKeyLength { get; init; } = 255;

    /// <summary>Data rows read from one CSV; the rest of a longer file is not read, and the job says so.</summary>
    public int MaxCsvRows { get; init; } = 50_000;

    /// <summary>Characters in one CSV field. A row far longer than its fields allow stops the reading of the file.</summary>
    public int MaxCsvFieldLength { get; init; } = 4096;

    /// <summary>Invalid CSV rows described one by one in the job's reason; the others are only counted.</summary>
    public int MaxReportedProblems { get; init; } = 100;
}
