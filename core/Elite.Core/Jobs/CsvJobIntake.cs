using System.Globalization;
using System.Numerics;
using System.Security.Cryptography;
using System.Text;
using Azure.Storage.Blobs.Models;
using CsvHelper;
using Elite.Core.Rows;
using Elite.Core.Storage;
using Elite.Core.Webhooks;

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
}

/// <summary>A CSV to read: its name (the trigger's <c>{name}</c>, without <c>.csv</c>), the ETag of the version read, and its metadata.</summary>
public sealed record CsvJobSource(string Name, string ETag, IDictionary<string, string> Metadata);

/// <summary>What became of a CSV: its job and how many tasks and invalid rows it has.</summary>
public sealed record CsvJobResult(string JobId, bool Repeated, JobStatus Status, int TaskCount, int InvalidRowCount, string? Reason);

/// <summary>
/// Turns a prompt CSV uploaded to <c>jobs/{name}.csv</c> into a job: one task per valid row. Invalid rows are
/// listed in the job's reason with their line numbers and the valid ones run; a file without a header, without
/// rows or with unusable metadata fails as a whole. The file is streamed and tasks are written in batches, so
/// memory stays flat however long the file is; reading stops after <see cref="JobLimits.MaxCsvRows"/> rows.
/// </summary>
/// <remarks>
/// The job id comes from the blob name and ETag, so a redelivered blob event finds its job: a finished intake is
/// answered as a repeat, an interrupted one is resumed after its checkpoint (see <see cref="JobIntake"/>). A row
/// without a seed gets its 0-based row number, so repeated prompts draw different images and the same file draws
/// the same ones.
/// </remarks>
public sealed class CsvJobIntake(StorageClients clients, JobLimits? limits = null, WebhookUrlPolicy? webhookUrls = null, TimeProvider? time = null)
{
    private readonly JobLimits _limits = limits ?? JobLimits.Default;
    private readonly TimeProvider _time = time ?? TimeProvider.System;
    private readonly JobCompletion _completion = new(clients, time ?? TimeProvider.System);

    /// <summary>The job id of one version of a CSV: its name (made safe, cut to 47 characters) and a hash of name and ETag.</summary>
    public static string JobIdFor(string name, string etag)
    {
        var hash = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes($"{name}\n{etag}")))[..16];
        var safe = new string([.. name.Take(47).Select(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.' ? c : '-')]).TrimStart('-', '_', '.');
        return safe.Length > 0 ? $"{safe}-{hash}" : $"csv-{hash}";
    }

    /// <summary>Reads <c>jobs/{name}.csv</c> as it is now (pinned to its current ETag).</summary>
    public async Task<CsvJobResult> ProcessBlobAsync(string name, CancellationToken cancellationToken)
    {
        // Not BlobPaths.JobCsv: the trigger's {name} may hold characters that ids refuse, and the job still gets a safe id.
        var blob = clients.Container(StorageNames.Containers.Jobs).GetBlobClient(name + ".csv");
        var properties = (await blob.GetPropertiesAsync(cancellationToken: cancellationToken)).Value;
        await using var content = await blob.OpenReadAsync(
            new BlobOpenReadOptions(allowModifications: false) { Conditions = new BlobRequestConditions { IfMatch = properties.ETag } },
            cancellationToken);
        return await ProcessAsync(new CsvJobSource(name, properties.ETag.ToString(), properties.Metadata), content, cancellationToken);
    }

    public async Task<CsvJobResult> ProcessAsync(CsvJobSource source, Stream csv, CancellationToken cancellationToken)
    {
        var jobId = JobIdFor(source.Name, source.ETag);
        var jobs = clients.Table(StorageNames.Tables.Jobs);
        var existing = await jobs.GetOrDefaultAsync<JobRow>(jobId, JobRow.RowKeyValue, cancellationToken);
        if (existing is { IntakeComplete: true })
        {
            await _completion.SendIfOwedAsync(existing, JobCompletion.ByIntake, madeFinal: false, cancellationToken);
            return Result(existing, repeated: true);
        }

        var (options, optionProblems) = await ReadOptionsAsync(source.Metadata, cancellationToken);
        var job = existing ?? await CreateAsync(jobId, source, options.WebhookUrl, cancellationToken);
        if (optionProblems.Count > 0)
        {
            return await FinishAsync(jobId, new CsvReadOutcome(0, 0, false, $"the blob metadata is invalid: {string.Join("; ", optionProblems)}"), cancellationToken);
        }

        var writer = new TaskWriter(clients, jobId, job.EnqueuedCount);
        var outcome = await ReadRowsAsync(csv, options, writer, cancellationToken);
        await writer.FlushAsync(cancellationToken);
        return await FinishAsync(jobId, outcome, cancellationToken);
    }

    private sealed record CsvOptions(string? WebhookUrl, int Steps, float Guidance, float Lambda, string Scheduler);

    private sealed record CsvReadOutcome(int TaskCount, int InvalidRowCount, bool RowsNotRead, string? Reason);

    private async Task<(CsvOptions Options, List<string> Problems)> ReadOptionsAsync(IDictionary<string, string> metadata, CancellationToken cancellationToken)
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
            var problem = WebhookUrlPolicy.CheckSyntax(webhookUrl, _limits.MaxWebhookUrlLength);
            // A name that does not resolve now may later, and a resumed intake must not fail a job that is running.
            if (problem is null && webhookUrls is not null && await webhookUrls.CheckAsync(webhookUrl, cancellationToken) is { Allowed: false, Transient: false } check)
            {
                problem = check.Reason;
            }

            Check(CsvJobMetadata.WebhookUrl, problem);
        }

        var steps = ParseOr(Value(CsvJobMetadata.Steps), JobDefaults.Steps, v => JobValidator.CheckSteps(v, _limits), out var stepsProblem);
        Check(CsvJobMetadata.Steps, stepsProblem);
        var guidance = ParseOr(Value(CsvJobMetadata.Guidance), JobDefaults.Guidance, v => JobValidator.CheckGuidance(v, _limits), out var guidanceProblem);
        Check(CsvJobMetadata.Guidance, guidanceProblem);
        var lambda = ParseOr(Value(CsvJobMetadata.Lambda), JobDefaults.Lambda, v => JobValidator.CheckLambda(v, _limits), out var lambdaProblem);
        Check(CsvJobMetadata.Lambda, lambdaProblem);
        var scheduler = Value(CsvJobMetadata.Scheduler);
        Check(CsvJobMetadata.Scheduler, scheduler is null ? null : JobValidator.CheckScheduler(scheduler, _limits));

        var options = new CsvOptions(problems.Count == 0 ? webhookUrl : null, steps, guidance, lambda, JobValidator.NormalizeScheduler(scheduler));
        return (options, problems);
    }

    private async Task<JobRow> CreateAsync(string jobId, CsvJobSource source, string? webhookUrl, CancellationToken cancellationToken)
    {
        var jobs = clients.Table(StorageNames.Tables.Jobs);
        var job = new JobRow(jobId)
        {
            Status = JobStatus.Queued,
            Source = "csv",
            SourceBlob = source.Name + ".csv",
            WebhookUrl = webhookUrl,
            CreatedAt = _time.GetUtcNow(),
        };
        return (await jobs.AddOrGetAsync(job, cancellationToken)).Row; // found: a concurrent redelivery wrote it
    }

    private async Task<CsvReadOutcome> ReadRowsAsync(Stream csv, CsvOptions options, TaskWriter writer, CancellationToken cancellationToken)
    {
        var problems = new ProblemLog(_limits.MaxReportedProblems);
        var malformed = new Dictionary<long, string>();
        var readerOptions = new CsvReaderOptions
        {
            Separator = ',',
            HasHeader = false, // the first record is checked here, to say exactly what is wrong with it
            TrackLineNumbers = true,
            AllowLineBreaksInQuotes = false, // one stray quote must not swallow the rest of the file
            MaxRecordSize = _limits.MaxCsvFieldLength * (CsvColumns.All.Count + 1),
            OnMalformedRecord = record => malformed[record.LineNumber] = MalformedReason(record.Reason),
        };

        await using var reader = CsvReader.Create(csv, readerOptions, leaveOpen: true);
        var rows = 0;
        try
        {
            if (!await reader.ReadAsync(cancellationToken))
            {
                return new(0, 0, false, "the CSV file is empty: its first line must be a header naming the columns " + ColumnList);
            }

            var (columns, headerProblem) = ReadHeader(reader);
            if (columns is null)
            {
                return new(0, 0, false, headerProblem);
            }

            var gate = new ConceptGate(clients);
            while (await reader.ReadAsync(cancellationToken))
            {
                if (rows == _limits.MaxCsvRows)
                {
                    return new(writer.Count, problems.Count, true,
                        problems.Describe($"the CSV has more than {_limits.MaxCsvRows} rows: only the first {_limits.MaxCsvRows} were read"));
                }

                var line = (int)reader.LineNumber;
                var (task, problem) = await ParseRowAsync(reader, columns, rows, line, malformed, options, gate, cancellationToken);
                rows++;
                if (problem is not null)
                {
                    problems.Add(line, problem);
                }
                else
                {
                    await writer.AddAsync(task!, cancellationToken);
                }
            }
        }
        catch (CsvFormatException e)
        {
            return new(writer.Count, problems.Count, true,
                problems.Describe($"line {e.LineNumber}: a row longer than {readerOptions.MaxRecordSize} bytes (an unclosed quote?); reading stopped there"));
        }

        if (rows == 0)
        {
            return new(0, 0, false, "the CSV has a header but no rows");
        }

        return new(writer.Count, problems.Count, false, writer.Count == 0 ? "no row is valid. " + problems.Describe() : problems.Describe());
    }

    private static readonly string ColumnList =
        $"{CsvColumns.ConceptId} and {CsvColumns.Prompt} (optional: {string.Join(", ", CsvColumns.All.Skip(2))})";

    /// <summary>The index of each column in the header, or why the first record is not a usable header.</summary>
    private static (Dictionary<string, int>? Columns, string? Problem) ReadHeader(CsvReader reader)
    {
        var names = Enumerable.Range(0, reader.FieldCount).Select(i => reader.GetString(i).Trim().ToLowerInvariant()).ToList();
        if (!names.Contains(CsvColumns.ConceptId) || !names.Contains(CsvColumns.Prompt))
        {
            return (null, $"the first line must be a header naming the columns {ColumnList}; it is: {JobValidator.Shorten(Encoding.UTF8.GetString(reader.RawRecord), 200)}");
        }

        var unknown = names.Where(name => !CsvColumns.All.Contains(name)).Distinct().Select(name => $"'{JobValidator.Shorten(name)}'").ToList();
        var twice = names.GroupBy(name => name).Where(group => group.Count() > 1).Select(group => group.Key).ToList();
        if (unknown.Count > 0 || twice.Count > 0)
        {
            var parts = new List<string>();
            if (unknown.Count > 0)
            {
                parts.Add($"unknown column{(unknown.Count > 1 ? "s" : "")} {string.Join(", ", unknown)}");
            }

            if (twice.Count > 0)
            {
                parts.Add($"{string.Join(", ", twice)} more than once");
            }

            return (null, $"the header has {string.Join(" and ", parts)}; the columns are {ColumnList}");
        }

        return (names.Select((name, index) => (name, index)).ToDictionary(column => column.name, column => column.index, StringComparer.Ordinal), null);
    }

    private async Task<(TaskSpec? Task, string? Problem)> ParseRowAsync(
        CsvReader reader, Dictionary<string, int> columns, int rowIndex, int line, Dictionary<long, string> malformed,
        CsvOptions options, ConceptGate gate, CancellationToken cancellationToken)
    {
        var problems = new List<string>();
        if (malformed.Remove(line, out var quoting))
        {
            problems.Add(quoting);
        }

        if (reader.FieldCount != columns.Count)
        {
            problems.Add($"has {reader.FieldCount} field{(reader.FieldCount == 1 ? "" : "s")}; the header has {columns.Count}");
        }

        string Field(string column) => columns.TryGetValue(column, out var index) && index < reader.FieldCount ? reader.GetString(index) : "";
        for (var i = 0; i < reader.FieldCount; i++)
        {
            if (reader.GetString(i).Length > _limits.MaxCsvFieldLength)
            {
                problems.Add($"field {i + 1} is longer than {_limits.MaxCsvFieldLength} characters");
            }
        }

        void Check(string column, string? problem)
        {
            if (problem is not null)
            {
                problems.Add($"{column} {problem}");
            }
        }

        var conceptId = Field(CsvColumns.ConceptId).Trim();
        var conceptProblem = JobValidator.CheckConceptId(conceptId);
        Check(CsvColumns.ConceptId, conceptProblem);
        if (conceptProblem is null && await gate.ProblemAsync(conceptId, cancellationToken) is { } unusable)
        {
            problems.Add(unusable);
        }

        var prompt = Field(CsvColumns.Prompt).Trim();
        Check(CsvColumns.Prompt, JobValidator.CheckPrompt(prompt, required: true, _limits));
        var negativePrompt = Field(CsvColumns.NegativePrompt).Trim();
        Check(CsvColumns.NegativePrompt, JobValidator.CheckPrompt(negativePrompt, required: false, _limits));

        var seed = ParseOr(Field(CsvColumns.Seed).Trim(), (long)rowIndex, v => JobValidator.CheckSeed(v, _limits), out var seedProblem);
        Check(CsvColumns.Seed, seedProblem);
        var steps = ParseOr(Field(CsvColumns.Steps).Trim(), options.Steps, v => JobValidator.CheckSteps(v, _limits), out var stepsProblem);
        Check(CsvColumns.Steps, stepsProblem);
        var guidance = ParseOr(Field(CsvColumns.Guidance).Trim(), options.Guidance, v => JobValidator.CheckGuidance(v, _limits), out var guidanceProblem);
        Check(CsvColumns.Guidance, guidanceProblem);
        var lambda = ParseOr(Field(CsvColumns.Lambda).Trim(), options.Lambda, v => JobValidator.CheckLambda(v, _limits), out var lambdaProblem);
        Check(CsvColumns.Lambda, lambdaProblem);

        return problems.Count > 0
            ? (null, string.Join("; ", problems))
            : (new TaskSpec(conceptId, prompt, negativePrompt, seed, steps, guidance, lambda, options.Scheduler, line), null);
    }

    /// <summary>An optional number: <paramref name="fallback"/> when empty, else parsed (invariant culture) and checked.</summary>
    private static T ParseOr<T>(string? text, T fallback, Func<T, string?> check, out string? problem)
        where T : INumberBase<T>
    {
        problem = null;
        if (string.IsNullOrEmpty(text))
        {
            return fallback;
        }

        var whole = typeof(T) != typeof(float);
        if (!T.TryParse(text, whole ? NumberStyles.AllowLeadingSign : NumberStyles.Float, CultureInfo.InvariantCulture, out var value))
        {
            problem = $"'{JobValidator.Shorten(text)}' is not {(whole ? "a whole number" : "a number")}";
            return fallback;
        }

        problem = check(value);
        return value;
    }

    private static string MalformedReason(CsvMalformedReason reason) => reason switch
    {
        CsvMalformedReason.StrayQuote => "has a quote inside an unquoted field",
        CsvMalformedReason.TextAfterClosingQuote => "has text after the closing quote of a field",
        CsvMalformedReason.UnterminatedQuote => "has a quoted field that is never closed",
        CsvMalformedReason.LineBreakInQuotes => "has a quoted field that runs past the end of the line",
        _ => $"is malformed ({reason})",
    };

    private async Task<CsvJobResult> FinishAsync(string jobId, CsvReadOutcome outcome, CancellationToken cancellationToken)
    {
        var madeFinal = false;
        var job = await clients.Table(StorageNames.Tables.Jobs).UpdateAsync<JobRow>(
            jobId,
            JobRow.RowKeyValue,
            row =>
            {
                madeFinal = false;
                if (row.IntakeComplete)
                {
                    return null;
                }

                var finished = _completion.CompleteIfDone(
                    row with
                    {
                        TaskCount = outcome.TaskCount,
                        InvalidRowCount = outcome.InvalidRowCount,
                        RowsNotRead = outcome.RowsNotRead,
                        Reason = outcome.Reason,
                        IntakeComplete = true,
                    },
                    JobCompletion.ByIntake);
                madeFinal = finished.IsFinal;
                return finished;
            },
            cancellationToken) ?? throw new InvalidOperationException($"job {jobId} disappeared while its CSV was read");
        await _completion.SendIfOwedAsync(job, JobCompletion.ByIntake, madeFinal, cancellationToken);
        return Result(job, repeated: false);
    }

    private static CsvJobResult Result(JobRow job, bool repeated) =>
        new(job.JobId, repeated, job.Status, job.TaskCount, job.InvalidRowCount, job.Reason);
}
