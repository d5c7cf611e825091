using Elite.Core.Callers;
using Elite.Core.Concepts;

namespace Elite.Core.Jobs;

/// <summary>
/// Whether a job may use a concept (<see cref="ConceptAvailability.AcceptsJobs"/>: it exists and is not rejected or
/// failed; the worker waits for a pending one). Answers are cached for one intake (one CSV), up to a bound, since a
/// file usually names few concepts many times. A concept another caller created through the API does not exist for
/// this one.
/// </summary>
internal sealed class ConceptGate(ConceptLifecycle concepts, Caller? caller)
{
    private const int MaxCached = 10_000;
    private readonly Dictionary<string, string?> _problems = new(StringComparer.Ordinal);

    /// <summary>Why <paramref name="conceptId"/> cannot be used, or null when it can.</summary>
    public async Task<string?> ProblemAsync(string conceptId, CancellationToken cancellationToken)
    {
        if (_problems.TryGetValue(conceptId, out var cached))
        {
            return cached;
        }

        var row = await concepts.GetAsync(conceptId, cancellationToken);
        var availability = ConceptLifecycle.Availability(conceptId, row is not null && (caller?.MayUse(row) ?? row.Owner is null) ? row : null);
        var problem = availability.AcceptsJobs ? null : availability.Reason;
        if (_problems.Count < MaxCached)
        {
            _problems[conceptId] = problem;
        }

        return problem;
    }
}
