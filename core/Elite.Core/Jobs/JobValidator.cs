using System.Globalization;
using Elite.Contracts.Generation;
using Elite.Contracts.Text;
using Elite.Core.Storage;
using Elite.Core.Webhooks;

namespace Elite.Core.Jobs;

/// <summary>
/// Checks a job submission against <see cref="JobLimits"/> and reports every problem at once. The single-value
/// checks are shared with the CSV intake, so both kinds of job follow the same rules.
/// </summary>
public static class JobValidator
{
    public static IReadOnlyList<ValidationProblem> Validate(JobSubmission submission, JobLimits? limits = null)
    {
        limits ??= JobLimits.Default;
        var problems = new List<ValidationProblem>();
        void Check(string field, string? problem)
        {
            if (problem is not null)
            {
                problems.Add(new ValidationProblem(field, problem));
            }
        }

        Check("conceptId", CheckConceptId(submission.ConceptId));
        ValidatePrompts(submission.Prompts, limits, problems);
        Check("steps", submission.Steps is { } steps ? CheckSteps(steps, limits) : null);
        Check("guidance", submission.Guidance is { } guidance ? CheckGuidance(guidance, limits) : null);
        Check("lambda", submission.Lambda is { } lambda ? CheckLambda(lambda, limits) : null);
        Check("scheduler", submission.Scheduler is { } scheduler ? CheckScheduler(scheduler) : null);
        Check("webhookUrl", submission.WebhookUrl is { } url ? WebhookUrlPolicy.CheckSyntax(url, limits.MaxWebhookUrlLength) : null);
        Check("webhookEvents", submission.WebhookEvents is not { } events ? null
            : submission.WebhookUrl is null ? "needs a webhookUrl to send them to"
            : WebhookEvents.Check(events));
        Check("taskEventIntervalSeconds", submission.TaskEventIntervalSeconds is { } interval ? WebhookEvents.CheckTaskInterval(interval) : null);
        return problems;
    }

    private static void ValidatePrompts(IReadOnlyList<PromptRequest?>? prompts, JobLimits limits, List<ValidationProblem> problems)
    {
        if (prompts is null || prompts.Count == 0)
        {
            problems.Add(new("prompts", "is required: give at least one prompt"));
            return;
        }

        if (prompts.Count > limits.MaxPrompts)
        {
            problems.Add(new("prompts", $"has {prompts.Count} entries; at most {limits.MaxPrompts} are allowed"));
            return; // describing each of thousands of entries helps nobody
        }

        long images = 0;
        var badSeeds = 0; // described one by one up to MaxReportedProblems, as the CSV path does, then counted
        for (var i = 0; i < prompts.Count; i++)
        {
            var at = $"prompts[{i}]";
            if (prompts[i] is not { } entry)
            {
                problems.Add(new(at, "is null"));
                continue;
            }

            if (CheckPrompt(entry.Prompt, required: true, limits) is { } promptProblem)
            {
                problems.Add(new($"{at}.prompt", promptProblem));
            }

            if (CheckPrompt(entry.NegativePrompt, required: false, limits) is { } negativeProblem)
            {
                problems.Add(new($"{at}.negativePrompt", negativeProblem));
            }

            if (entry.Seeds is not null && entry.Count is not null)
            {
                problems.Add(new(at, "give seeds or count, not both"));
            }

            if (entry.Seeds is { } seeds)
            {
                if (seeds.Count == 0)
                {
                    problems.Add(new($"{at}.seeds", "is empty: give at least one seed, or use count"));
                }

                for (var j = 0; j < seeds.Count; j++)
                {
                    if (CheckSeed(seeds[j], limits) is { } seedProblem && ++badSeeds <= limits.MaxReportedProblems)
                    {
                        problems.Add(new($"{at}.seeds[{j}]", seedProblem));
                    }
                }

                images += seeds.Count;
            }
            else if (entry.Count is { } count)
            {
                if (count < 1)
                {
                    problems.Add(new($"{at}.count", "must be at least 1"));
                }

                images += Math.Max(count, 0);
            }
            else
            {
                images += 1;
            }
        }

        if (badSeeds > limits.MaxReportedProblems)
        {
            problems.Add(new("prompts", $"{badSeeds - limits.MaxReportedProblems} more seeds are outside 0-{limits.MaxSeed}"));
        }

        if (images > limits.MaxImagesPerJob)
        {
            problems.Add(new("prompts", $"ask for {images} images; a job may have at most {limits.MaxImagesPerJob}"));
        }
    }

    /// <summary>The images of a valid submission, in order: prompt by prompt, seed by seed, with the defaults filled in.</summary>
    public static IReadOnlyList<GenerationParameters> ToImages(JobSubmission submission)
    {
        var steps = submission.Steps ?? GenerationDefaults.Steps;
        var guidance = submission.Guidance ?? GenerationDefaults.Guidance;
        var lambda = submission.Lambda ?? GenerationDefaults.Lambda;
        var scheduler = SchedulerOrDefault(submission.Scheduler);
        return
        [
            .. from entry in submission.Prompts!
               from seed in entry!.ResolveSeeds()
               select new GenerationParameters(entry.Prompt!, entry.NegativePrompt ?? "", seed, steps, guidance, lambda, scheduler),
        ];
    }

    /// <summary>The scheduler a valid request names, or the default when it names none.</summary>
    public static SchedulerKind SchedulerOrDefault(string? scheduler) =>
        string.IsNullOrWhiteSpace(scheduler) ? GenerationDefaults.Scheduler : SchedulerNames.Parse(scheduler);

    public static string? CheckConceptId(string? conceptId) =>
        string.IsNullOrEmpty(conceptId) ? "is required"
        : ResourceId.IsValid(conceptId) ? null
        : $"'{Shorten(conceptId)}' is not a concept id: use 1-{ResourceId.MaxLength} letters, digits, '-', '_' or '.', starting with a letter or digit";

    /// <summary>A prompt (<paramref name="required"/>, it names the concept once) or a negative prompt.</summary>
    public static string? CheckPrompt(string? prompt, bool required, JobLimits limits) =>
        string.IsNullOrWhiteSpace(prompt) ? (required ? "is required" : null)
        : prompt.Length > limits.MaxPromptLength ? $"is {prompt.Length} characters long; at most {limits.MaxPromptLength} are allowed"
        : ControlCharacter(prompt) is { } control ? $"contains the control character U+{(int)control:X4}"
        : required ? CheckPlaceholder(prompt)
        : null;

    /// <summary>A control character other than white space (which CLIP collapses): it has no place in a prompt, and no PNG text holds U+0000.</summary>
    private static char? ControlCharacter(string text)
    {
        foreach (var c in text)
        {
            if (char.IsControl(c) && !char.IsWhiteSpace(c)) return c;
        }

        return null;
    }

    /// <summary>
    /// The placeholder must stand in a prompt exactly once as a word of its own: found here, by CLIP's word rule,
    /// rather than hours later by the worker's tokenizer.
    /// </summary>
    private static string? CheckPlaceholder(string prompt) => ClipText.PlaceholderCount(prompt) switch
    {
        1 => null,
        0 => $"does not name the concept: write the placeholder {TokenLimits.Placeholder} as a word of its own, as in \"a photo of {TokenLimits.Placeholder} on the beach\"",
        var count => $"names the placeholder {TokenLimits.Placeholder} {count} times; it must appear exactly once",
    };

    public static string? CheckSteps(int steps, JobLimits limits) =>
        steps >= limits.MinSteps && steps <= limits.MaxSteps ? null : $"{steps} is outside {limits.MinSteps}-{limits.MaxSteps}";

    public static string? CheckGuidance(float guidance, JobLimits limits) => CheckRange(guidance, limits.MinGuidance, limits.MaxGuidance);

    public static string? CheckLambda(float lambda, JobLimits limits) => CheckRange(lambda, limits.MinLambda, limits.MaxLambda);

    public static string? CheckSeed(long seed, JobLimits limits) =>
        seed >= 0 && seed <= limits.MaxSeed ? null : $"{seed} is outside 0-{limits.MaxSeed}";

    public static string? CheckScheduler(string scheduler) =>
        string.IsNullOrWhiteSpace(scheduler) || SchedulerNames.TryParse(scheduler, out _) ? null : $"'{Shorten(scheduler)}' is not one of {SchedulerNames.Listed}";

    /// <summary>An <c>Idempotency-Key</c> header: 1 to <see cref="JobLimits.MaxIdempotencyKeyLength"/> printable ASCII characters.</summary>
    public static string? CheckIdempotencyKey(string key, JobLimits limits) =>
        key.Length == 0 ? "is empty"
        : key.Length > limits.MaxIdempotencyKeyLength ? $"is {key.Length} characters long; at most {limits.MaxIdempotencyKeyLength} are allowed"
        : key.All(c => c is >= ' ' and <= '~') ? null
        : "may only hold printable ASCII characters";

    private static string? CheckRange(float value, float min, float max) =>
        float.IsFinite(value) && value >= min && value <= max
            ? null
            : $"{value.ToString(CultureInfo.InvariantCulture)} is outside {min.ToString(CultureInfo.InvariantCulture)}-{max.ToString(CultureInfo.InvariantCulture)}";

    /// <summary>A caller's value quoted in a message, cut so that messages stay short.</summary>
    internal static string Shorten(string value, int max = 40) => value.Length <= max ? value : value[..max] + "…";
}
