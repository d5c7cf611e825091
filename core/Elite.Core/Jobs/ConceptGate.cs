using Elite.Core.Rows;
using Elite.Core.Storage;

namespace Elite.Core.Jobs;

/// <summary>
/// Whether a job may use a concept: it must exist and be Ready or Pending (the worker waits for a pending one);
/// a Rejected or Failed concept is refused with its reason. Answers are cached for one intake (one CSV),
/// up to a bound, since a file usually names few concepts many times.
/// </summary>
internal sealed class ConceptGate(StorageClients clients)
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

        var row = await clients.Table(StorageNames.Tables.Concepts).GetOrDefaultAsync<ConceptRow>(conceptId, ConceptRow.RowKeyValue, cancellationToken);
        var problem = row switch
        {
            null => $"concept '{conceptId}' does not exist: upload its photo to {StorageNames.Containers.Concepts}/{conceptId}/ first",
            { Status: ConceptStatus.Rejected } => $"concept '{conceptId}' was rejected: {row.Reason ?? "no reason recorded"}",
            { Status: ConceptStatus.Failed } => $"concept '{conceptId}' failed to encode: {row.Reason ?? "no reason recorded"}",
            _ => null,
        };
        if (_problems.Count < MaxCached)
        {
            _problems[conceptId] = problem;
        }

        return problem;
    }
}
