using Elite.Core.Rows;

namespace Elite.Core.Webhooks;

/// <summary>
/// The webhook events a job can ask for in <c>webhookEvents</c>; without it, <see cref="JobCompleted"/> alone.
/// <see cref="JobCompleted"/> is the guaranteed event (retried for about three days, listing every result);
/// <see cref="JobStarted"/> and <see cref="TaskCompleted"/> report progress and are retried on the same schedule.
/// </summary>
public static class WebhookEvents
{
    public const string JobStarted = "job.started";

    /// <summary>The tasks that ended in a window of at most the job's task event interval, as one event.</summary>
    public const string TaskCompleted = "task.completed";

    public const string JobCompleted = JobCompletedWebhook.EventType;

    public static IReadOnlyList<string> All { get; } = [JobStarted, TaskCompleted, JobCompleted];

    /// <summary>Seconds between two <see cref="TaskCompleted"/> events of a job at least (<c>taskEventIntervalSeconds</c>).</summary>
    public const int DefaultTaskIntervalSeconds = 10;
    public const int MaxTaskIntervalSeconds = 3600;

    /// <summary>Why a requested list is refused, or null.</summary>
    public static string? Check(IReadOnlyList<string?> events)
    {
        if (events.Count == 0) return $"is empty: name at least one of {string.Join(", ", All)}, or leave it out for {JobCompleted} alone";
        var unknown = events.Where(e => e is null || !All.Contains(e)).Select(e => e ?? "null").ToList();
        return unknown.Count == 0 ? null : $"has unknown events ({string.Join(", ", unknown)}); known: {string.Join(", ", All)}";
    }

    public static string? CheckTaskInterval(int seconds) =>
        seconds is >= 1 and <= MaxTaskIntervalSeconds ? null : $"is {seconds}: it takes 1 to {MaxTaskIntervalSeconds} seconds";

    /// <summary>How <see cref="JobRow.WebhookEvents"/> stores a list: comma-separated in <see cref="All"/>'s order; null for the default.</summary>
    public static string? Stored(IReadOnlyList<string?>? events) =>
        events is null ? null : string.Join(',', All.Where(events.Contains));

    /// <summary>The job has a webhook and asked for <paramref name="type"/>.</summary>
    public static bool Wants(this JobRow job, string type) =>
        !string.IsNullOrEmpty(job.WebhookUrl) && (job.WebhookEvents is { } stored ? stored.Split(',').Contains(type) : type == JobCompleted);
}
