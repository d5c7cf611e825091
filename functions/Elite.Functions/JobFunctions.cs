using Azure.Storage.Blobs;
using Elite.Core;
using Elite.Core.Jobs;
using Elite.Core.Rows;
using Elite.Core.Storage;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Azure.Functions.Worker;
using Microsoft.Extensions.Logging;

namespace Elite.Functions;

/// <summary>Jobs: submitted over HTTP or as a CSV upload, and their status.</summary>
public sealed class JobFunctions(JobIntake intake, CsvJobIntake csvIntake, StorageClients clients, ILogger<JobFunctions> logger)
{
    public const string IdempotencyHeader = "Idempotency-Key";

    [Function(FunctionNames.SubmitJob)]
    public async Task<IActionResult> SubmitJob([HttpTrigger(AuthorizationLevel.Function, "post", Route = "jobs")] HttpRequest request, CancellationToken cancellationToken)
    {
        var read = await JobSubmissionJson.ReadAsync(request.Body, JobLimits.Default, cancellationToken);
        if (read.Submission is null) return new BadRequestObjectResult(new { errors = read.Problems });
        var key = request.Headers[IdempotencyHeader].FirstOrDefault();
        var result = await intake.SubmitAsync(read.Submission, key, cancellationToken);
        return result.Outcome switch
        {
            SubmitOutcome.Accepted or SubmitOutcome.Repeated => new AcceptedResult($"/api/jobs/{result.JobId}", new { jobId = result.JobId, tasks = result.TaskCount, repeated = result.Outcome == SubmitOutcome.Repeated, status = $"/api/jobs/{result.JobId}" }),
            SubmitOutcome.IdempotencyKeyReused => new ConflictObjectResult(new { errors = result.Problems }),
            _ => new BadRequestObjectResult(new { errors = result.Problems }),
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
    public async Task<IActionResult> GetJob([HttpTrigger(AuthorizationLevel.Function, "get", Route = "jobs/{id}")] HttpRequest request, string id, CancellationToken cancellationToken)
    {
        if (!ResourceId.IsValid(id)) return new BadRequestObjectResult(new { error = $"'{id}' is not a valid job id" });
        var job = await clients.Table(StorageNames.Tables.Jobs).GetEntityIfExistsAsync<JobRow>(id, JobRow.RowKeyValue, cancellationToken: cancellationToken);
        if (!job.HasValue) return new NotFoundObjectResult(new { error = $"no job {id}" });
        var tasks = new List<object>();
        await foreach (var task in clients.Table(StorageNames.Tables.Tasks).QueryAsync<TaskRow>(t => t.PartitionKey == id, cancellationToken: cancellationToken))
        {
            tasks.Add(new { id = task.TaskId, status = task.Status.ToString(), task.Prompt, task.Seed, result = task.ResultBlob is null ? null : ResultUri(task.ResultBlob), task.Reason });
        }

        var row = job.Value!;
        return new OkObjectResult(new
        {
            id,
            status = row.Status.ToString(),
            row.TaskCount,
            row.SucceededCount,
            row.FailedCount,
            row.InvalidRowCount,
            row.Reason,
            row.CompletedAt,
            webhook = row.WebhookStatus.ToString(),
            tasks,
        });
    }

    private string ResultUri(string blob) => clients.Container(StorageNames.Containers.Results).GetBlobClient(blob).Uri.ToString();
}
