using Azure.Storage.Blobs;
using Elite.Core;
using Elite.Core.Api;
using Elite.Core.Jobs;
using Elite.Core.Storage;
using Elite.Core.Webhooks;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Azure.Functions.Worker;
using Microsoft.Extensions.Logging;

namespace Elite.Functions;

/// <summary>Jobs: submitted over HTTP or as a CSV upload, listed, read a page of tasks at a time, and canceled; each caller sees only their own.</summary>
public sealed class JobFunctions(
    JobIntake intake, CsvJobIntake csvIntake, JobList jobs, JobCancellation cancellation, JobEventHandler events, BlobLinks links, ResultRetention retention, ApiGate gate, ILogger<JobFunctions> logger)
{
    [Function(FunctionNames.SubmitJob)]
    public async Task<IActionResult> SubmitJob([HttpTrigger(AuthorizationLevel.Function, "post", Route = ApiRoutes.Jobs)] HttpRequest request, CancellationToken cancellationToken)
    {
        var (caller, refusal) = gate.Admit(request, RequestKind.Submission);
        if (caller is null) return refusal!;
        var key = request.Headers[ApiRoutes.IdempotencyHeader].FirstOrDefault();
        JobSubmitResult result;
        if (IsCsv(request))
        {
            if (await ApiRequests.ReadBoundedAsync(request, JobLimits.Default.MaxCsvRequestBytes, cancellationToken) is not { } csv)
            {
                return new ObjectResult(ApiErrors.One("body", $"is over {JobLimits.Default.MaxCsvRequestBytes} bytes: upload a larger CSV to the jobs container")) { StatusCode = StatusCodes.Status413PayloadTooLarge };
            }

            var options = request.Query.Where(q => !q.Key.Equals(ApiRoutes.FunctionKeyParameter, StringComparison.OrdinalIgnoreCase))
                .ToDictionary(q => q.Key, q => q.Value.ToString(), StringComparer.OrdinalIgnoreCase);
            result = await csvIntake.SubmitAsync(csv, options, caller, key, cancellationToken);
        }
        else
        {
            var read = await JobSubmissionJson.ReadAsync(request.Body, JobLimits.Default, cancellationToken);
            if (read.Submission is null) return new BadRequestObjectResult(new ApiErrors(read.Problems));
            result = await intake.SubmitAsync(read.Submission, caller, key, cancellationToken);
        }

        return result.Outcome switch
        {
            SubmitOutcome.Accepted or SubmitOutcome.Repeated => Accepted(result),
            SubmitOutcome.IdempotencyKeyReused => new ConflictObjectResult(new ApiErrors(result.Problems)),
            _ => new BadRequestObjectResult(new ApiErrors(result.Problems)),
        };
    }

    /// <summary>A prompt CSV in the body (<c>text/csv</c>), its options in the query; anything else is the JSON submission.</summary>
    private static bool IsCsv(HttpRequest request) =>
        request.ContentType is { } type && type.Split(';')[0].Trim().Equals(CsvMediaType, StringComparison.OrdinalIgnoreCase);

    public const string CsvMediaType = "text/csv";

    [Function(FunctionNames.CsvJobUploaded)]
    public async Task CsvJobUploaded(
        [BlobTrigger(BlobPaths.JobCsvTrigger, Source = BlobTriggerSource.EventGrid, Connection = StorageConnection.SettingName)] BlobClient blob,
        string name,
        CancellationToken cancellationToken)
    {
        var result = await csvIntake.ProcessBlobAsync(name, cancellationToken);
        logger.LogInformation("CSV job {Name}: job {JobId}, {Tasks} tasks, {Invalid} invalid rows, {Status}", name, result.JobId, result.TaskCount, result.InvalidRowCount, result.Status);
    }

    [Function(FunctionNames.ListJobs)]
    public async Task<IActionResult> ListJobs([HttpTrigger(AuthorizationLevel.Function, "get", Route = ApiRoutes.Jobs)] HttpRequest request, CancellationToken cancellationToken)
    {
        var (caller, refusal) = gate.Admit(request, RequestKind.Read);
        if (caller is null) return refusal!;
        var (continuation, pageSize, badPaging) = ApiRequests.PagingOf(request);
        if (badPaging is not null) return badPaging;
        try
        {
            var page = await jobs.ListAsync(caller, continuation, pageSize, cancellationToken);
            return new OkObjectResult(new JobListPage([.. page.Items.Select(JobSummary.From)], page.Continuation));
        }
        catch (ArgumentException)
        {
            return ApiRequests.BadContinuation();
        }
    }

    [Function(FunctionNames.GetJob)]
    public async Task<IActionResult> GetJob([HttpTrigger(AuthorizationLevel.Function, "get", Route = ApiRoutes.Job)] HttpRequest request, string id, CancellationToken cancellationToken)
    {
        var (caller, refusal) = gate.Admit(request, RequestKind.Read);
        if (caller is null) return refusal!;
        if (!ResourceId.IsValid(id)) return InvalidId(id);
        var job = await jobs.GetAsync(caller, id, cancellationToken);
        if (job is null) return ApiRequests.NoJob(id);
        var (_, pageSize, badPaging) = ApiRequests.PagingOf(request);
        if (badPaging is not null) return badPaging;
        return new OkObjectResult(new JobView(JobSummary.From(job), await TaskPageAsync(id, continuation: null, pageSize, cancellationToken)));
    }

    [Function(FunctionNames.GetJobTasks)]
    public async Task<IActionResult> GetJobTasks([HttpTrigger(AuthorizationLevel.Function, "get", Route = ApiRoutes.JobTasks)] HttpRequest request, string id, CancellationToken cancellationToken)
    {
        var (caller, refusal) = gate.Admit(request, RequestKind.Read);
        if (caller is null) return refusal!;
        if (!ResourceId.IsValid(id)) return InvalidId(id);
        if (await jobs.GetAsync(caller, id, cancellationToken) is null) return ApiRequests.NoJob(id);
        var (continuation, pageSize, badPaging) = ApiRequests.PagingOf(request);
        if (badPaging is not null) return badPaging;
        try
        {
            return new OkObjectResult(await TaskPageAsync(id, continuation, pageSize, cancellationToken));
        }
        catch (ArgumentException)
        {
            return ApiRequests.BadContinuation();
        }
    }

    [Function(FunctionNames.CancelJob)]
    public async Task<IActionResult> CancelJob([HttpTrigger(AuthorizationLevel.Function, "post", Route = ApiRoutes.JobCancel)] HttpRequest request, string id, CancellationToken cancellationToken)
    {
        var (caller, refusal) = gate.Admit(request, RequestKind.Submission);
        if (caller is null) return refusal!;
        if (!ResourceId.IsValid(id)) return InvalidId(id);
        var result = await cancellation.CancelAsync(caller, id, cancellationToken);
        return result.Outcome switch
        {
            CancelOutcome.NotFound => ApiRequests.NoJob(id),
            CancelOutcome.AlreadyFinished => new ConflictObjectResult(ApiErrors.One("id", $"job {id} has already ended ({result.Job!.Status}): there is nothing to cancel")),
            _ => new AcceptedResult(StatusLink(id), JobSummary.From(result.Job!)),
        };
    }

    [Function(FunctionNames.RedeliverJobWebhook)]
    public async Task<IActionResult> RedeliverJobWebhook(
        [HttpTrigger(AuthorizationLevel.Function, "post", Route = ApiRoutes.JobWebhookRedeliver)] HttpRequest request, string id, CancellationToken cancellationToken)
    {
        var (caller, refusal) = gate.Admit(request, RequestKind.Submission);
        if (caller is null) return refusal!;
        if (!ResourceId.IsValid(id)) return InvalidId(id);
        var job = await jobs.GetAsync(caller, id, cancellationToken);
        if (job is null) return ApiRequests.NoJob(id);
        if (!job.Wants(WebhookEvents.JobCompleted)) return new ConflictObjectResult(ApiErrors.One("id", $"job {id} has no completion webhook"));
        if (!job.IsFinal) return new ConflictObjectResult(ApiErrors.One("id", $"job {id} has not ended: its webhook is sent when it does"));
        await events.RedeliverAsync(job, cancellationToken);
        return new AcceptedResult(StatusLink(id), null);
    }

    /// <summary>A page of the job's tasks, with read links for this page's results only.</summary>
    private async Task<TaskPage> TaskPageAsync(string jobId, string? continuation, int pageSize, CancellationToken cancellationToken)
    {
        var page = await jobs.TasksAsync(jobId, continuation, pageSize, cancellationToken);
        var link = await links.ResultReaderAsync(cancellationToken);
        return TaskPage.From(page, blob => link(blob).Uri.AbsoluteUri, retention);
    }

    private static BadRequestObjectResult InvalidId(string id) => new(ApiErrors.One("id", $"'{id}' is not a valid job id"));

    private static string StatusLink(string jobId) => "/" + ApiRoutes.Prefix + ApiRoutes.JobPath(jobId);

    private static AcceptedResult Accepted(JobSubmitResult result)
    {
        var status = StatusLink(result.JobId!);
        return new AcceptedResult(status, new JobAccepted(result.JobId!, result.TaskCount, result.Outcome == SubmitOutcome.Repeated, status));
    }
}
