using Azure.Storage.Blobs;
using Elite.Core;
using Elite.Core.Api;
using Elite.Core.Jobs;
using Elite.Core.Rows;
using Elite.Core.Storage;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Azure.Functions.Worker;
using Microsoft.Extensions.Logging;

namespace Elite.Functions;

/// <summary>Jobs: submitted over HTTP or as a CSV upload, and their status.</summary>
public sealed class JobFunctions(JobIntake intake, CsvJobIntake csvIntake, StorageClients clients, ResultLinks links, ILogger<JobFunctions> logger)
{
    [Function(FunctionNames.SubmitJob)]
    public async Task<IActionResult> SubmitJob([HttpTrigger(AuthorizationLevel.Function, "post", Route = ApiRoutes.Jobs)] HttpRequest request, CancellationToken cancellationToken)
    {
        var read = await JobSubmissionJson.ReadAsync(request.Body, JobLimits.Default, cancellationToken);
        if (read.Submission is null) return new BadRequestObjectResult(new ApiErrors(read.Problems));
        var key = request.Headers[ApiRoutes.IdempotencyHeader].FirstOrDefault();
        var result = await intake.SubmitAsync(read.Submission, key, cancellationToken);
        return result.Outcome switch
        {
            SubmitOutcome.Accepted or SubmitOutcome.Repeated => Accepted(result),
            SubmitOutcome.IdempotencyKeyReused => new ConflictObjectResult(new ApiErrors(result.Problems)),
            _ => new BadRequestObjectResult(new ApiErrors(result.Problems)),
        };
    }

    [Function(FunctionNames.CsvJobUploaded)]
    public async Task CsvJobUploaded(
        [BlobTrigger(BlobPaths.JobCsvTrigger, Source = BlobTriggerSource.EventGrid, Connection = StorageConnection.SettingName)] BlobClient blob,
        string name,
        CancellationToken cancellationToken)
    {
        var result = await csvIntake.ProcessBlobAsync(name, cancellationToken);
        logger.LogInformation("CSV job {Name}: job {JobId}, {Tasks} tasks, {Invalid} invalid rows, {Status}", name, result.JobId, result.TaskCount, result.InvalidRowCount, result.Status);
    }

    [Function(FunctionNames.GetJob)]
    public async Task<IActionResult> GetJob([HttpTrigger(AuthorizationLevel.Function, "get", Route = ApiRoutes.Job)] HttpRequest request, string id, CancellationToken cancellationToken)
    {
        if (!ResourceId.IsValid(id)) return new BadRequestObjectResult(ApiErrors.One("id", $"'{id}' is not a valid job id"));
        var job = await clients.Table(StorageNames.Tables.Jobs).GetEntityIfExistsAsync<JobRow>(id, JobRow.RowKeyValue, cancellationToken: cancellationToken);
        if (!job.HasValue) return new NotFoundObjectResult(ApiErrors.One("id", $"no job {id}"));
        var tasks = new List<TaskRow>();
        await foreach (var task in clients.Table(StorageNames.Tables.Tasks).QueryAsync<TaskRow>(t => t.PartitionKey == id, cancellationToken: cancellationToken))
        {
            tasks.Add(task);
        }

        var link = await links.SignerAsync(cancellationToken);
        return new OkObjectResult(JobView.From(job.Value!, tasks, blob => link(blob).AbsoluteUri));
    }

    private static AcceptedResult Accepted(JobSubmitResult result)
    {
        var status = "/" + ApiRoutes.Prefix + ApiRoutes.JobPath(result.JobId!);
        return new AcceptedResult(status, new JobAccepted(result.JobId!, result.TaskCount, result.Outcome == SubmitOutcome.Repeated, status));
    }
}
