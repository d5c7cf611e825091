using System.Globalization;
using Elite.Core.Storage;
using Microsoft.Extensions.Configuration;

namespace Elite.Core.Jobs;

/// <summary>The generate queue a job's tasks wait in.</summary>
public enum JobLane
{
    /// <summary>Queue <c>generate</c>: jobs of a few images. The worker fills every batch from it first.</summary>
    Interactive,

    /// <summary>Queue <c>generate-bulk</c>: larger jobs, in the order they came; a batch takes from it what the interactive lane leaves.</summary>
    Bulk,
}

/// <summary>
/// Fairness between jobs: a job of at most <see cref="InteractiveMaxImages"/> images goes to the interactive lane, a
/// larger one to bulk. A small job submitted behind a 50,000-row CSV therefore starts with the next batch instead of
/// after the CSV. Within a lane jobs are served in the order they came (two bulk jobs share no turn).
/// </summary>
public sealed record JobLanes
{
    public const string SectionName = "Lanes";

    public static JobLanes Default { get; } = new();

    /// <summary>
    /// The most images of a job in the interactive lane; 0 sends every job to bulk (one queue in order, as before
    /// lanes). At most <see cref="TaskWriter.BatchSize"/> - 1: a CSV's lane is decided by its first batch of tasks.
    /// </summary>
    public int InteractiveMaxImages { get; init; } = 64;

    /// <summary>The queues a worker takes tasks from, in the order it fills a batch.</summary>
    public static IReadOnlyList<string> QueuesInOrder { get; } = [QueueOf(JobLane.Interactive), QueueOf(JobLane.Bulk)];

    public static string QueueOf(JobLane lane) => lane == JobLane.Bulk ? StorageNames.Queues.GenerateBulk : StorageNames.Queues.Generate;

    /// <summary>The lane of a job whose image count is known.</summary>
    public JobLane For(int images) => images <= InteractiveMaxImages ? JobLane.Interactive : JobLane.Bulk;

    /// <summary>From <c>Lanes__InteractiveMaxImages</c>; the default when unset.</summary>
    public static JobLanes FromConfiguration(IConfiguration configuration)
    {
        if (configuration.GetSection(SectionName)[nameof(InteractiveMaxImages)] is not { Length: > 0 } text) return Default;
        var max = int.Parse(text, CultureInfo.InvariantCulture);
        if (max is < 0 or >= TaskWriter.BatchSize)
        {
            throw new InvalidOperationException($"{SectionName}__{nameof(InteractiveMaxImages)} is {max}: it takes 0 to {TaskWriter.BatchSize - 1}.");
        }

        return new() { InteractiveMaxImages = max };
    }
}
