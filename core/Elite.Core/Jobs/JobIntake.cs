using System.Security.Cryptography;
using System.Text.Json;
using Elite.Core.Callers;
using Elite.Core.Concepts;
using Elite.Core.Rows;
using Elite.Core.Storage;
using Elite.Core.Webhooks;

namespace Elite.Core.Jobs;

public enum SubmitOutcome
{
    /// <summary>A new job: its rows are written and its tasks queued.</summary>
    Accepted,

    /// <summary>The <c>Idempotency-Key</c> was seen before with the same request: its job is returned (and finished if an earlier try stopped half-way).</summary>
    Repeated,

    /// <summary>The request breaks the rules (see the problems); nothing was written.</summary>
    Invalid,

    /// <summary>The <c>Idempotency-Key</c> belongs to a different request (HTTP 422); nothing was written.</summary>
    IdempotencyKeyReused,
}

/// <summary>The answer to a submission: the job id (accepted or repeated), or the problems.</summary>
public sealed record JobSubmitResult(SubmitOutcome Outcome, string? JobId, int TaskCount, IReadOnlyList<ValidationProblem> Problems);

/// <summary>
/// Turns a job submission (<c>POST /api/jobs</c>) into a job row, one task row per image and one <c>generate</c>
/// message per task.
/// </summary>
/// <remarks>
/// <para>Idempotency: with an <c>Idempotency-Key</c>, an <see cref="IdempotencyRow"/> is written first, holding the
/// new job id and a hash of the request. The same key again returns that job without new messages; with another
/// request it is refused. Keys do not expire.</para>
/// <para>Crash safety: the job row, then the task rows, then the messages, checkpointed per batch of 100 in
/// <see cref="JobRow.EnqueuedCount"/>. A retry with the same key after a failure part-way resumes after the
/// checkpoint: rows are never duplicated; messages of the interrupted batch may be sent twice, which the worker
/// tolerates (<see cref="JobAccounting"/> counts a task once). The job is marked complete in intake only after its
/// last message, so it cannot end (or send its webhook) with tasks missing. Without a key a retry is a new job, and
/// the interrupted one stays open with IntakeComplete false.</para>
/// </remarks>
public sealed class JobIntake(StorageClients clients, JobLimits? limits = null, WebhookUrlPolicy? webhookUrls = null, JobLanes? lanes = null, TimeProvider? time = null)
{
    private readonly JobLanes _lanes = lanes ?? JobLanes.Default;
    private readonly JobLimits _limits = limits ?? JobLimits.Default;
    private readonly TimeProvider _time = time ?? TimeProvider.System;
    private readonly JobCompletion _completion = new(clients, time ?? TimeProvider.System);

    /// <param name="webhookUrls">When given, a webhook URL is also checked against it (with DNS) at submission, so the caller learns at once; delivery checks again.</param>
    public async Task<JobSubmitResult> SubmitAsync(JobSubmission submission, Caller caller, string? idempotencyKey, CancellationToken cancellationToken)
    {
        var problems = JobValidator.Validate(submission, _limits).ToList();
        if (idempotencyKey is not null && JobValidator.CheckIdempotencyKey(idempotencyKey, _limits) is { } keyProblem)
        {
            problems.Add(new("Idempotency-Key", keyProblem));
        }

        if (problems.Count == 0 && submission.WebhookUrl is { } url && webhookUrls is not null
            && await webhookUrls.CheckAsync(url, cancellationToken) is { Allowed: false, Reason: var reason })
        {
            problems.Add(new("webhookUrl", reason!));
        }

        if (problems.Count > 0)
        {
            return new(SubmitOutcome.Invalid, null, 0, problems);
        }

        var tasks = JobValidator.ToImages(submission);
        IdempotencyRow? claim = null;
        var repeated = false;
        if (idempotencyKey is not null)
        {
            claim = await clients.Table(StorageNames.Tables.Jobs)
                .GetOrDefaultAsync<IdempotencyRow>(IdempotencyRow.PartitionKeyFor(caller, idempotencyKey), IdempotencyRow.RowKeyValue, cancellationToken);
            repeated = claim is not null;
            if (claim is not null && await AnswerForSeenKeyAsync(claim, submission, tasks.Count, cancellationToken) is { } answer)
            {
                return answer;
            }
        }

        // A key seen before was claimed after its concept passed: the job it names is finished whatever the concept is now.
        if (!repeated && await new ConceptGate(new ConceptLifecycle(clients), caller).ProblemAsync(submission.ConceptId!, cancellationToken) is { } conceptProblem)
        {
            return new(SubmitOutcome.Invalid, null, 0, [new("conceptId", conceptProblem)]);
        }

        if (idempotencyKey is not null && claim is null)
        {
            (claim, var won) = await ClaimKeyAsync(caller, idempotencyKey, submission, cancellationToken);
            repeated = !won;
            if (!won && await AnswerForSeenKeyAsync(claim, submission, tasks.Count, cancellationToken) is { } answer)
            {
                return answer;
            }
        }

        var jobId = claim?.JobId ?? NewJobId();
        var job = await CreateJobRowAsync(jobId, submission, caller, idempotencyKey, tasks.Count, cancellationToken);
        await new ConceptLifecycle(clients).RecordUseAsync(submission.ConceptId!, jobId, cancellationToken);
        var writer = new TaskWriter(clients, job, _lanes);
        foreach (var task in tasks)
        {
            await writer.AddAsync(submission.ConceptId!, task, sourceLine: null, cancellationToken);
        }

        await writer.FinishAsync(cancellationToken);
        await _completion.FinishIntakeAsync(jobId, row => row, cancellationToken);
        return new(repeated ? SubmitOutcome.Repeated : SubmitOutcome.Accepted, jobId, tasks.Count, []);
    }

    /// <summary>A new job id: a version 7 GUID, so ids sort by creation time.</summary>
    public static string NewJobId() => Guid.CreateVersion7().ToString("N");

    /// <summary>The hash that ties an idempotency key to its request: SHA-256 of the submission's JSON.</summary>
    public static string RequestHash(JobSubmission submission) =>
        Convert.ToHexStringLower(SHA256.HashData(JsonSerializer.SerializeToUtf8Bytes(submission, JobSubmissionJson.Options)));

    /// <summary>The answer for a key seen before, or null when its job still has to be written or finished.</summary>
    private async Task<JobSubmitResult?> AnswerForSeenKeyAsync(IdempotencyRow claim, JobSubmission submission, int taskCount, CancellationToken cancellationToken)
    {
        if (claim.RequestHash != RequestHash(submission))
        {
            return new(SubmitOutcome.IdempotencyKeyReused, null, 0,
                [new("Idempotency-Key", "was used for a different request; use a new key for a new job")]);
        }

        var job = await clients.Table(StorageNames.Tables.Jobs).GetOrDefaultAsync<JobRow>(claim.JobId, JobRow.RowKeyValue, cancellationToken);
        return job is { IntakeComplete: true }
            ? new(SubmitOutcome.Repeated, claim.JobId, taskCount, [])
            : null;
    }

    /// <summary>Writes the key's row with a fresh job id, or returns the row of a concurrent request that wrote it first.</summary>
    private Task<(IdempotencyRow Claim, bool Won)> ClaimKeyAsync(Caller caller, string key, JobSubmission submission, CancellationToken cancellationToken) =>
        clients.Table(StorageNames.Tables.Jobs).AddOrGetAsync(
            new IdempotencyRow(caller, key) { JobId = NewJobId(), RequestHash = RequestHash(submission), CreatedAt = _time.GetUtcNow() }, cancellationToken);

    private async Task<JobRow> CreateJobRowAsync(string jobId, JobSubmission submission, Caller caller, string? idempotencyKey, int taskCount, CancellationToken cancellationToken)
    {
        var job = new JobRow(jobId)
        {
            Owner = caller.Id,
            Status = JobStatus.Queued,
            Source = JobRow.HttpSource,
            TaskCount = taskCount,
            IntakeComplete = false, // until every task is queued: the job cannot end before (JobCompletion.FinishIntakeAsync)
            WebhookUrl = submission.WebhookUrl,
            WebhookEvents = Webhooks.WebhookEvents.Stored(submission.WebhookEvents),
            TaskEventIntervalSeconds = submission.TaskEventIntervalSeconds,
            IdempotencyKey = idempotencyKey,
            CreatedAt = _time.GetUtcNow(),
        };
        return await JobList.CreateAsync(clients, job, caller, cancellationToken);
    }
}
