using Elite.Contracts.Generation;
using Elite.Core.Webhooks;

namespace Elite.Core.Jobs;

/// <summary>A CSV job's options, from its blob's metadata (<see cref="CsvJobMetadata"/>): the webhook and the rows' defaults.</summary>
internal sealed record CsvJobOptions(string? WebhookUrl, string? Owner, int Steps, float Guidance, float Lambda, SchedulerKind Scheduler)
{
    /// <summary>The options of a CSV blob, and a problem per unusable metadata value.</summary>
    public static async Task<(CsvJobOptions Options, IReadOnlyList<string> Problems)> ReadAsync(
        IDictionary<string, string> metadata, JobLimits limits, WebhookUrlPolicy? webhookUrls, CancellationToken cancellationToken)
    {
        var values = new Dictionary<string, string>(metadata, StringComparer.OrdinalIgnoreCase);
        var problems = new List<string>();
        string? Value(string key) => values.TryGetValue(key, out var value) && !string.IsNullOrWhiteSpace(value) ? value.Trim() : null;
        void Check(string key, string? problem)
        {
            if (problem is not null)
            {
                problems.Add($"{key}: {problem}");
            }
        }

        var webhookUrl = Value(CsvJobMetadata.WebhookUrl);
        if (webhookUrl is not null)
        {
            var problem = WebhookUrlPolicy.CheckSyntax(webhookUrl, limits.MaxWebhookUrlLength);
            // A name that does not resolve now may later, and a resumed intake must not fail a job that is running.
            if (problem is null && webhookUrls is not null && await webhookUrls.CheckAsync(webhookUrl, cancellationToken) is { Allowed: false, Transient: false } check)
            {
                problem = check.Reason;
            }

            Check(CsvJobMetadata.WebhookUrl, problem);
        }

        var steps = CsvNumber.ParseOr(Value(CsvJobMetadata.Steps), GenerationDefaults.Steps, v => JobValidator.CheckSteps(v, limits), out var stepsProblem);
        Check(CsvJobMetadata.Steps, stepsProblem);
        var guidance = CsvNumber.ParseOr(Value(CsvJobMetadata.Guidance), GenerationDefaults.Guidance, v => JobValidator.CheckGuidance(v, limits), out var guidanceProblem);
        Check(CsvJobMetadata.Guidance, guidanceProblem);
        var lambda = CsvNumber.ParseOr(Value(CsvJobMetadata.Lambda), GenerationDefaults.Lambda, v => JobValidator.CheckLambda(v, limits), out var lambdaProblem);
        Check(CsvJobMetadata.Lambda, lambdaProblem);
        var scheduler = Value(CsvJobMetadata.Scheduler);
        var schedulerProblem = scheduler is null ? null : JobValidator.CheckScheduler(scheduler);
        Check(CsvJobMetadata.Scheduler, schedulerProblem);

        var owner = Value(CsvJobMetadata.Owner);
        if (owner is not null && !Callers.Caller.IsValidId(owner))
        {
            Check(CsvJobMetadata.Owner, $"is not a caller id (at most {Callers.Caller.MaxIdLength} characters, no control characters)");
            owner = null;
        }

        var options = new CsvJobOptions(
            problems.Count == 0 ? webhookUrl : null, owner, steps, guidance, lambda,
            schedulerProblem is null ? JobValidator.SchedulerOrDefault(scheduler) : GenerationDefaults.Scheduler);
        return (options, problems);
    }
}
