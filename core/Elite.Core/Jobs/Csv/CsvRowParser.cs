using Elite.Contracts.Generation;

namespace Elite.Core.Jobs;

/// <summary>
/// Turns a CSV row into an image of its concept, by the rules <see cref="JobValidator"/> applies to HTTP jobs; an
/// empty column takes the job's default (<see cref="CsvJobOptions"/>), and an empty seed the row's 0-based index,
/// so repeated prompts draw different images and the same file draws the same ones.
/// </summary>
internal sealed class CsvRowParser(CsvJobOptions options, JobLimits limits, ConceptGate concepts)
{
    /// <summary>The row's concept and image, or every problem with it in one line.</summary>
    public async Task<(string ConceptId, GenerationParameters? Image, string? Problem)> ParseAsync(CsvRow row, CancellationToken cancellationToken)
    {
        var problems = new List<string>();
        if (row.Malformed is { } quoting)
        {
            problems.Add(quoting);
        }

        if (row.Fields.Count != row.Columns.Count)
        {
            problems.Add($"has {row.Fields.Count} field{(row.Fields.Count == 1 ? "" : "s")}; the header has {row.Columns.Count}");
        }

        for (var i = 0; i < row.Fields.Count; i++)
        {
            if (row.Fields[i].Length > limits.MaxCsvFieldLength)
            {
                problems.Add($"field {i + 1} is longer than {limits.MaxCsvFieldLength} characters");
            }
        }

        void Check(string column, string? problem)
        {
            if (problem is not null)
            {
                problems.Add($"{column} {problem}");
            }
        }

        var conceptId = row.Field(CsvColumns.ConceptId).Trim();
        var conceptProblem = JobValidator.CheckConceptId(conceptId);
        Check(CsvColumns.ConceptId, conceptProblem);
        if (conceptProblem is null && await concepts.ProblemAsync(conceptId, cancellationToken) is { } unusable)
        {
            problems.Add(unusable);
        }

        var prompt = row.Field(CsvColumns.Prompt).Trim();
        Check(CsvColumns.Prompt, JobValidator.CheckPrompt(prompt, required: true, limits));
        var negativePrompt = row.Field(CsvColumns.NegativePrompt).Trim();
        Check(CsvColumns.NegativePrompt, JobValidator.CheckPrompt(negativePrompt, required: false, limits));

        var seed = CsvNumber.ParseOr(row.Field(CsvColumns.Seed).Trim(), (long)row.Index, v => JobValidator.CheckSeed(v, limits), out var seedProblem);
        Check(CsvColumns.Seed, seedProblem);
        var steps = CsvNumber.ParseOr(row.Field(CsvColumns.Steps).Trim(), options.Steps, v => JobValidator.CheckSteps(v, limits), out var stepsProblem);
        Check(CsvColumns.Steps, stepsProblem);
        var guidance = CsvNumber.ParseOr(row.Field(CsvColumns.Guidance).Trim(), options.Guidance, v => JobValidator.CheckGuidance(v, limits), out var guidanceProblem);
        Check(CsvColumns.Guidance, guidanceProblem);
        var lambda = CsvNumber.ParseOr(row.Field(CsvColumns.Lambda).Trim(), options.Lambda, v => JobValidator.CheckLambda(v, limits), out var lambdaProblem);
        Check(CsvColumns.Lambda, lambdaProblem);

        return problems.Count > 0
            ? (conceptId, null, string.Join("; ", problems))
            : (conceptId, new GenerationParameters(prompt, negativePrompt, seed, steps, guidance, lambda, options.Scheduler), null);
    }
}
