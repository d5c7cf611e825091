using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Elite.Core.Api;
using Elite.Core.Jobs;
using Elite.Core.Rows;

namespace Elite.Cli;

/// <summary>The pipeline's HTTP API answered with an error: its status and every problem it named.</summary>
internal sealed class PipelineApiException(HttpStatusCode status, ApiErrors errors)
    : Exception($"{(int)status} {status}: {errors}")
{
    public HttpStatusCode Status { get; } = status;
    public ApiErrors Errors { get; } = errors;
}

/// <summary>A typed client of the functions' HTTP API (<c>/api/jobs</c>, <c>/api/concepts</c>), in Azure or on the local host.</summary>
internal sealed class PipelineApi : IDisposable
{
    /// <summary>How long one request may take.</summary>
    public static readonly TimeSpan Timeout = TimeSpan.FromSeconds(100);

    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);
    private readonly HttpClient http;

    /// <param name="baseUrl">The host, e.g. <c>https://app.azurewebsites.net</c> or <c>http://127.0.0.1:7071</c>; <c>/api/</c> is added when missing.</param>
    /// <param name="functionKey">The function key in Azure; the local host needs none.</param>
    public PipelineApi(Uri baseUrl, string? functionKey)
    {
        var root = baseUrl.AbsoluteUri.TrimEnd('/') + "/";
        if (!root.EndsWith("/" + ApiRoutes.Prefix, StringComparison.Ordinal)) root += ApiRoutes.Prefix;
        http = new HttpClient { BaseAddress = new Uri(root), Timeout = Timeout };
        if (!string.IsNullOrEmpty(functionKey)) http.DefaultRequestHeaders.Add(ApiRoutes.FunctionKeyHeader, functionKey);
    }

    public Uri BaseAddress => http.BaseAddress!;

    public async Task<JobAccepted> SubmitAsync(JobSubmission submission, string? idempotencyKey, CancellationToken cancellationToken)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, ApiRoutes.Jobs)
        {
            Content = JsonContent.Create(submission, options: JobSubmissionJson.Options),
        };
        if (idempotencyKey is not null) request.Headers.Add(ApiRoutes.IdempotencyHeader, idempotencyKey);
        using var response = await http.SendAsync(request, cancellationToken);
        return await ReadAsync<JobAccepted>(response, cancellationToken);
    }

    public async Task<JobView> GetJobAsync(string jobId, CancellationToken cancellationToken)
    {
        using var response = await http.GetAsync(ApiRoutes.JobPath(jobId), cancellationToken);
        return await ReadAsync<JobView>(response, cancellationToken);
    }

    /// <summary>The caller's jobs, newest first, a page at a time.</summary>
    public async Task<JobListPage> ListJobsAsync(string? continuation, int? pageSize, CancellationToken cancellationToken)
    {
        using var response = await http.GetAsync(ApiRoutes.JobsPath(continuation, pageSize), cancellationToken);
        return await ReadAsync<JobListPage>(response, cancellationToken);
    }

    public async Task<TaskPage> GetTasksAsync(string jobId, string? continuation, int? pageSize, CancellationToken cancellationToken)
    {
        using var response = await http.GetAsync(ApiRoutes.JobTasksPath(jobId, continuation, pageSize), cancellationToken);
        return await ReadAsync<TaskPage>(response, cancellationToken);
    }

    /// <summary>Every task of the job, page after page.</summary>
    public async IAsyncEnumerable<TaskView> AllTasksAsync(string jobId, [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken cancellationToken)
    {
        string? continuation = null;
        do
        {
            var page = await GetTasksAsync(jobId, continuation, JobList.MaxPageSize, cancellationToken);
            foreach (var task in page.Tasks) yield return task;
            continuation = page.Continuation;
        }
        while (continuation is not null);
    }

    /// <summary>Cancels the job: the answer is its state after the request (Canceled, or still finishing a batch in hand).</summary>
    public async Task<JobSummary> CancelAsync(string jobId, CancellationToken cancellationToken)
    {
        using var response = await http.PostAsync(ApiRoutes.JobCancelPath(jobId), content: null, cancellationToken);
        return await ReadAsync<JobSummary>(response, cancellationToken);
    }

    /// <summary>A new concept of this caller, with write-only upload links for its photo (and mask) of these file types.</summary>
    /// <param name="webhookUrl">Where the concept's Ready, Rejected and Failed webhooks go, or null.</param>
    public async Task<ConceptCreated> CreateConceptAsync(string photoType, string? maskType, CancellationToken cancellationToken, string? webhookUrl = null)
    {
        var query = $"?{ApiRoutes.PhotoTypeParameter}={Uri.EscapeDataString(photoType)}" + (maskType is null ? "" : $"&{ApiRoutes.MaskTypeParameter}={Uri.EscapeDataString(maskType)}")
            + (webhookUrl is null ? "" : $"&{ApiRoutes.WebhookUrlParameter}={Uri.EscapeDataString(webhookUrl)}");
        using var response = await http.PostAsync(ApiRoutes.Concepts + query, content: null, cancellationToken);
        return await ReadAsync<ConceptCreated>(response, cancellationToken);
    }

    /// <summary>Puts a file to an upload link (a SAS URL: no key or sign-in goes with it).</summary>
    public static async Task UploadAsync(string uploadUrl, byte[] content, CancellationToken cancellationToken)
    {
        using var storage = new HttpClient { Timeout = Timeout };
        using var body = new ByteArrayContent(content) { Headers = { { "x-ms-blob-type", "BlockBlob" } } };
        using var response = await storage.PutAsync(uploadUrl, body, cancellationToken);
        if (!response.IsSuccessStatusCode)
        {
            throw new PipelineApiException(response.StatusCode, ApiErrors.One("upload", $"storage answered {(int)response.StatusCode} {response.ReasonPhrase}"));
        }
    }

    public async Task DeleteConceptAsync(string conceptId, CancellationToken cancellationToken)
    {
        using var response = await http.DeleteAsync(ApiRoutes.ConceptPath(conceptId), cancellationToken);
        if (!response.IsSuccessStatusCode) await ReadAsync<ApiErrors>(response, cancellationToken); // throws with the API's problems
    }

    /// <summary>Asks for the job's completion webhook again (same <c>webhook-id</c>, attempts from the start).</summary>
    public async Task RedeliverWebhookAsync(string jobId, CancellationToken cancellationToken)
    {
        using var response = await http.PostAsync(ApiRoutes.JobWebhookRedeliverPath(jobId), content: null, cancellationToken);
        if (!response.IsSuccessStatusCode) await ReadAsync<ApiErrors>(response, cancellationToken); // throws with the API's problems
    }

    public async Task<ServiceStatus> GetStatusAsync(CancellationToken cancellationToken)
    {
        using var response = await http.GetAsync(ApiRoutes.Status, cancellationToken);
        return await ReadAsync<ServiceStatus>(response, cancellationToken);
    }

    public async Task<ConceptView> GetConceptAsync(string conceptId, CancellationToken cancellationToken)
    {
        using var response = await http.GetAsync(ApiRoutes.ConceptPath(conceptId), cancellationToken);
        return await ReadAsync<ConceptView>(response, cancellationToken);
    }

    /// <summary>Polls the concept until it leaves Pending; an upload not registered yet (404) is waited for too.</summary>
    public async Task<ConceptView> WaitForConceptAsync(string conceptId, TimeSpan interval, CancellationToken cancellationToken)
    {
        while (true)
        {
            try
            {
                var concept = await GetConceptAsync(conceptId, cancellationToken);
                if (concept.Status != ConceptStatus.Pending) return concept;
            }
            catch (PipelineApiException e) when (e.Status == HttpStatusCode.NotFound)
            {
            }

            await Task.Delay(interval, cancellationToken);
        }
    }

    /// <summary>
    /// Polls the job until it is final, reporting each state that differs from the last. With
    /// <paramref name="waitUntilExists"/> a job not found yet (a CSV job before its trigger has read the file) is waited for.
    /// </summary>
    public async Task<JobView> WatchJobAsync(string jobId, TimeSpan interval, Action<JobView> onChange, CancellationToken cancellationToken, bool waitUntilExists = false)
    {
        JobView? last = null;
        while (true)
        {
            JobView? job = null;
            try
            {
                job = await GetJobAsync(jobId, cancellationToken);
            }
            catch (PipelineApiException e) when (waitUntilExists && e.Status == HttpStatusCode.NotFound)
            {
            }

            if (job is not null)
            {
                if (last is null || job.Status != last.Status || job.SucceededCount != last.SucceededCount || job.FailedCount != last.FailedCount || job.CanceledCount != last.CanceledCount || job.Webhook != last.Webhook)
                {
                    onChange(job);
                }

                if (job.IsFinal) return job;
                last = job;
            }

            await Task.Delay(interval, cancellationToken);
        }
    }

    public void Dispose() => http.Dispose();

    private static async Task<T> ReadAsync<T>(HttpResponseMessage response, CancellationToken cancellationToken)
    {
        if (response.IsSuccessStatusCode)
        {
            try
            {
                return await response.Content.ReadFromJsonAsync<T>(Json, cancellationToken)
                    ?? throw new InvalidDataException($"{response.RequestMessage?.RequestUri} answered {(int)response.StatusCode} without a body.");
            }
            catch (JsonException e)
            {
                throw new InvalidDataException($"{response.RequestMessage?.RequestUri} did not answer as the pipeline's API does ({e.Message}); check --api.");
            }
        }

        var text = await response.Content.ReadAsStringAsync(cancellationToken);
        ApiErrors? errors = null;
        try
        {
            errors = JsonSerializer.Deserialize<ApiErrors>(text, Json);
        }
        catch (JsonException)
        {
        }

        throw new PipelineApiException(response.StatusCode, errors is { Errors.Count: > 0 } ? errors : ApiErrors.One("response", text.Length > 0 ? text : response.ReasonPhrase ?? "no body"));
    }
}
