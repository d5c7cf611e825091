using System.ComponentModel.DataAnnotations;
using Elite.Contracts.Generation;

namespace Elite.Core.Jobs;

/// <summary>
/// The body of <c>POST /api/jobs</c> (JSON, camelCase). Every member is nullable so that a missing field reaches
/// <see cref="JobValidator"/> and is reported with the others, rather than failing deserialization. <see cref="RequiredAttribute"/>
/// marks the members the validator requires, for the API's OpenAPI document; nothing else reads it.
/// </summary>
/// <example>
/// <code>
/// { "conceptId": "dog-1",
///   "prompts": [ { "prompt": "a photo of S on the beach", "seeds": [1, 2] },
///                { "prompt": "S in a watercolor painting", "negativePrompt": "blurry", "count": 4 } ],
///   "steps": 30, "guidance": 5, "lambda": 0.6, "scheduler": "euler_a",
///   "webhookUrl": "https://example.com/hooks/elite", "webhookEvents": ["job.started", "job.completed"] }
/// </code>
/// </example>
public sealed record JobSubmission
{
    [Required]
    public string? ConceptId { get; init; }

    [Required]
    public IReadOnlyList<PromptRequest?>? Prompts { get; init; }

    /// <summary>Denoising steps; <see cref="GenerationDefaults.Steps"/> when absent.</summary>
    public int? Steps { get; init; }

    /// <summary>Classifier-free guidance scale; <see cref="GenerationDefaults.Guidance"/> when absent.</summary>
    public float? Guidance { get; init; }

    /// <summary>ELITE's local-mapping weight λ; <see cref="GenerationDefaults.Lambda"/> when absent.</summary>
    public float? Lambda { get; init; }

    /// <summary>One of <see cref="SchedulerNames.All"/>; <see cref="GenerationDefaults.Scheduler"/> when absent.</summary>
    public string? Scheduler { get; init; }

    /// <summary>Where the signed webhooks go (http or https, public addresses only).</summary>
    public string? WebhookUrl { get; init; }

    /// <summary>
    /// The events sent to <see cref="WebhookUrl"/>: any of <c>job.started</c>, <c>task.completed</c> and
    /// <c>job.completed</c> (<see cref="Webhooks.WebhookEvents"/>); <c>job.completed</c> alone when absent.
    /// </summary>
    public IReadOnlyList<string?>? WebhookEvents { get; init; }

    /// <summary>
    /// For <c>task.completed</c>: the tasks that end within this many seconds go in one event
    /// (<see cref="Webhooks.WebhookEvents.DefaultTaskIntervalSeconds"/> when absent).
    /// </summary>
    public int? TaskEventIntervalSeconds { get; init; }
}

/// <summary>
/// One prompt and the images to draw from it: explicit <see cref="Seeds"/>, or <see cref="Count"/> images with seeds
/// 0 .. count - 1 (neither: one image, seed 0). Fixed seeds make a request reproducible: the same prompt, seed and
/// settings give the same image, whatever job or batch it runs in. Ask for other seeds to get other images.
/// </summary>
public sealed record PromptRequest
{
    /// <summary>The prompt, naming the concept with the placeholder word (<c>S</c>).</summary>
    [Required]
    public string? Prompt { get; init; }

    public string? NegativePrompt { get; init; }
    public IReadOnlyList<long>? Seeds { get; init; }
    public int? Count { get; init; }

    /// <summary>The seeds of this prompt's images, in order (call on a validated request).</summary>
    public IReadOnlyList<long> ResolveSeeds() =>
        Seeds ?? [.. Enumerable.Range(0, Count ?? 1).Select(i => (long)i)];
}

/// <summary>One problem with a request: the field it concerns (<c>prompts[2].seeds[0]</c>, <c>line 14</c>) and what is wrong.</summary>
public sealed record ValidationProblem(string Field, string Message)
{
    public override string ToString() => $"{Field}: {Message}";
}
