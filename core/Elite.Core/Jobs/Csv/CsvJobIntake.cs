using System.Security.Cryptography;
using System.Text;
using Azure.Storage.Blobs.Models;
using Elite.Core.Api;
using Elite.Core.Callers;
using Elite.Core.Concepts;
using Elite.Core.Rows;
using Elite.Core.Storage;
using Elite.Core.Webhooks;

namespace Elite.Core.Jobs;

/// <summary>A CSV to read: its name (the trigger's <c>{name}</c>, without <c>.csv</c>), the ETag of the version read, and its metadata.</summary>
public sealed record CsvJobSource(string Name, string ETag, IDictionary<string, string> Metadata);

/// <summary>What became of a CSV: its job and how many tasks and invalid rows it has.</summary>
public sealed record CsvJobResult(string JobId, bool Repeated, JobStatus Status, int TaskCount, int InvalidRowCount, string? Reason);

/// <summary>
/// Turns a prompt CSV uploaded to <c>jobs/{name}.csv</c> into a job: one task per valid row. Invalid rows are
/// listed in the job's reason with their line numbers and the valid ones run; a file without a header, without
/// rows or with unusable metadata fails as a whole. Reading and its bounds are <see cref="CsvPromptReader"/>'s, what a
/// row means <see cref="CsvRowParser"/>'s; this class owns the job row, and tasks are written in batches.
/// </summary>
/// <remarks>
/// <para>The job id comes from the blob name and ETag, so a redelivered blob event finds its job: a finished intake is
/// answered as a repeat, an interrupted one is resumed after its checkpoint (see <see cref="JobIntake"/>).</para>
/// <para>The job belongs to the caller the blob's <c>owner</c> metadata names, else to the deployment's default caller
/// (<see cref="CallerOptions.DefaultCaller"/>); with neither, no caller sees it through the API.</para>
/// </remarks>
public sealed class CsvJobIntake(
    StorageClients clients, JobLimits? limits = null, WebhookUrlPolicy? webhookUrls = null, CallerOptions? callers = null, JobLanes? lanes = null, TimeProvider? time = null)
{
    private readonly JobLanes _lanes = lanes ?? JobLanes.Default;
    private readonly JobLimits _limits = limits ?? JobLimits.Default;
    private readonly TimeProvider _time = time ?? TimeProvider.System;
    private readonly JobCompletion _completion = new(clients, time ?? TimeProvider.System);
    private readonly ConceptLifecycle _lifecycle = new(clients);

    /// <summary>The job id of one version of a CSV: its name (made safe, cut to 47 characters) and a hash of name and ETag.</summary>
    public static string JobIdFor(string name, string etag)
    {
        var hash = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes($"{name}\n{etag}")))[..16];
        var safe = new string([.. name.Take(47).Select(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.' ? c : '-')]).TrimStart('-', '_', '.');
        return safe.Length > 0 ? $"{safe}-{hash}" : $"csv-{hash}";
    }

    /// <summary>
    /// A CSV posted to <c>POST /api/jobs</c> (<c>text/csv</c>): read as an uploaded one, with the same parser and limits,
    /// its options (<see cref="CsvJobMetadata"/> keys but the owner) from the query, and the caller as its owner. Its
    /// job id comes from a hash of the body and options, so with an <c>Idempotency-Key</c> a retry finds (or resumes)
    /// its job, and the key with another CSV is refused.
    /// </summary>
    public async Task<JobSubmitResult> SubmitAsync(
        byte[] csv, IReadOnlyDictionary<string, string> options, Caller caller, string? idempotencyKey, CancellationToken cancellationToken)
    {
        var problems = options.Keys.Where(key => !CsvJobMetadata.Options.Contains(key, StringComparer.OrdinalIgnoreCase))
            .Select(key => new ValidationProblem(key, $"is not an option of a CSV job; known: {string.Join(", ", CsvJobMetadata.Options)}")).ToList();
        var metadata = new Dictionary<string, string>(options, StringComparer.OrdinalIgnoreCase) { [CsvJobMetadata.Owner] = caller.Id };
        var (_, optionProblems) = await CsvJobOptions.ReadAsync(metadata, _limits, webhookUrls, cancellationToken);
        problems.AddRange(optionProblems.Select(p => p.Split(": ", 2)).Select(p => new ValidationProblem(p[0], p[^1]))); // "key: problem"
        if (idempotencyKey is not null && JobValidator.CheckIdempotencyKey(idempotencyKey, _limits) is { } keyProblem)
        {
            problems.Add(new("Idempotency-Key", keyProblem));
        }

        if (problems.Count > 0) return new(SubmitOutcome.Invalid, null, 0, problems);

        var hash = Convert.ToHexStringLower(SHA256.HashData(
            [.. csv, .. Encoding.UTF8.GetBytes(string.Concat(options.OrderBy(o => o.Key, StringComparer.OrdinalIgnoreCase).Select(o => $"\n{o.Key.ToLowerInvariant()}={o.Value}")))]));
        var name = idempotencyKey is null ? $"api-{Guid.CreateVersion7():N}" : $"api-{IdempotencyRow.PartitionKeyFor(caller, idempotencyKey)[IdempotencyRow.PartitionPrefix.Length..][..24]}";
        var jobId = JobIdFor(name, hash);
        if (idempotencyKey is not null)
        {
            var (claim, _) = await clients.Table(StorageNames.Tables.Jobs).AddOrGetAsync(
                new IdempotencyRow(caller, idempotencyKey) { JobId = jobId, RequestHash = hash, CreatedAt = _time.GetUtcNow() }, cancellationToken);
            if (claim.RequestHash != hash)
            {
                return new(SubmitOutcome.IdempotencyKeyReused, null, 0, [new("Idempotency-Key", "was used for a different request; use a new key for a new job")]);
            }
        }

        using var body = new MemoryStream(csv, writable: false);
        var result = await ProcessAsync(new CsvJobSource(name, hash, metadata), body, cancellationToken);
        return new(result.Repeated ? SubmitOutcome.Repeated : SubmitOutcome.Accepted, result.JobId, result.TaskCount, []);
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

        var (options, optionProblems) = await CsvJobOptions.ReadAsync(source.Metadata, _limits, webhookUrls, cancellationToken);
        var owner = options.Owner is { } named ? new Caller(named) : callers?.CsvCaller;
        var job = existing ?? await CreateAsync(jobId, source, options.WebhookUrl, owner, cancellationToken);
        await WriteReceiptAsync(source, jobId, cancellationToken);
        if (optionProblems.Count > 0)
        {
            return await FinishAsync(jobId, new CsvReadOutcome(0, 0, false, $"the blob metadata is invalid: {string.Join("; ", optionProblems)}"), cancellationToken);
        }

        var writer = new TaskWriter(clients, job, _lanes);
        var parser = new CsvRowParser(options, _limits, new ConceptGate(_lifecycle, owner));
        var used = new HashSet<string>(StringComparer.Ordinal);
        var outcome = await new CsvPromptReader(_limits).ReadAsync(csv, async (row, token) =>
        {
            var (conceptId, image, problem) = await parser.ParseAsync(row, token);
            if (image is not null && used.Add(conceptId)) await _lifecycle.RecordUseAsync(conceptId, jobId, token);
            if (image is not null) await writer.AddAsync(conceptId, image, row.Line, token);
            return problem;
        }, cancellationToken);
        await writer.FinishAsync(cancellationToken);
        return await FinishAsync(jobId, outcome, cancellationToken);
    }

    private async Task<JobRow> CreateAsync(string jobId, CsvJobSource source, string? webhookUrl, Caller? owner, CancellationToken cancellationToken)
    {
        var job = new JobRow(jobId)
        {
            Owner = owner?.Id,
            Status = JobStatus.Queued,
            Source = JobRow.CsvSource,
            SourceBlob = source.Name + ".csv",
            WebhookUrl = webhookUrl,
            CreatedAt = _time.GetUtcNow(),
        };
        return await JobList.CreateAsync(clients, job, owner, cancellationToken); // found: a concurrent redelivery wrote it
    }

    /// <summary>Tells the uploader their job (<see cref="CsvJobReceipt"/>).</summary>
    private async Task WriteReceiptAsync(CsvJobSource source, string jobId, CancellationToken cancellationToken) =>
        await clients.Container(StorageNames.Containers.Results).GetBlobClient(CsvJobReceipt.BlobName(source.Name)).UploadAsync(
            BinaryData.FromObjectAsJson(CsvJobReceipt.For(jobId, source.ETag), Receipts),
            new BlobUploadOptions { HttpHeaders = new BlobHttpHeaders { ContentType = "application/json" } },
            cancellationToken);

    private static readonly System.Text.Json.JsonSerializerOptions Receipts = new(System.Text.Json.JsonSerializerDefaults.Web);

    private async Task<CsvJobResult> FinishAsync(string jobId, CsvReadOutcome outcome, CancellationToken cancellationToken)
    {
        var job = await _completion.FinishIntakeAsync(
            jobId,
            row => row with
            {
                TaskCount = outcome.TaskCount,
                InvalidRowCount = outcome.InvalidRowCount,
                RowsNotRead = outcome.RowsNotRead,
                Reason = outcome.Reason,
            },
            cancellationToken);
        return Result(job, repeated: false);
    }

    private static CsvJobResult Result(JobRow job, bool repeated) =>
        new(job.JobId, repeated, job.Status, job.TaskCount, job.InvalidRowCount, job.Reason);
}
