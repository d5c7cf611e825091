using System.Text;
using System.Text.Json;
using Elite.Core.Api;
using Elite.Core.Callers;
using Elite.Core.Concepts;
using Elite.Core.Jobs;
using Elite.Core.Messages;
using Elite.Core.Rows;
using Elite.Core.Storage;
using Elite.Core.Webhooks;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Logging.Abstractions;

namespace Elite.Functions.Tests;

/// <summary>The HTTP functions as a caller meets them, on the Azurite of <c>./run.sh test</c>.</summary>
public sealed class JobFunctionsTests
{
    private readonly StorageClients clients = new(StorageConnection.FromConfiguration(new ConfigurationBuilder().AddEnvironmentVariables().Build()));
    private readonly JobFunctions functions;
    private readonly ConceptFunctions concepts;

    public JobFunctionsTests()
    {
        new StorageInitializer(clients).InitializeAsync().GetAwaiter().GetResult();
        var urls = new WebhookUrlPolicy(allowPrivateAddresses: false);
        var callers = new CallerOptions { DefaultCaller = "team" };
        functions = new JobFunctions(
            new JobIntake(clients, webhookUrls: urls), new CsvJobIntake(clients, webhookUrls: urls, callers: callers), new JobList(clients), new JobCancellation(clients),
            Events(), new BlobLinks(clients), Retention, Gate(callers), NullLogger<JobFunctions>.Instance);
        concepts = new ConceptFunctions(new ConceptIntake(clients), new ConceptLifecycle(clients), new ConceptImages(clients, new BlobLinks(clients)), new BlobLinks(clients), new WebhookUrlPolicy(allowPrivateAddresses: true), Gate(callers), NullLogger<ConceptFunctions>.Instance);
    }

    [Fact]
    public async Task A_job_is_accepted_with_its_status_link_and_an_idempotent_repeat_returns_the_same_job()
    {
        var conceptId = await ConceptAsync(ConceptStatus.Ready);
        var body = $$"""{"conceptId":"{{conceptId}}","prompts":[{"prompt":"a photo of S on the beach","count":2}],"steps":20}""";

        var first = Assert.IsType<AcceptedResult>(await functions.SubmitJob(Request(body, "key-" + conceptId), default));
        var second = Assert.IsType<AcceptedResult>(await functions.SubmitJob(Request(body, "key-" + conceptId), default));

        var accepted = Assert.IsType<JobAccepted>(first.Value);
        Assert.Equal(accepted with { Repeated = true }, second.Value);
        Assert.Equal($"/api/jobs/{accepted.JobId}", first.Location);
        Assert.Equal(first.Location, accepted.Status);
        var found = Assert.IsType<OkObjectResult>(await functions.GetJob(Get(), accepted.JobId, default));
        var job = Assert.IsType<JobView>(found.Value);
        Assert.Equal(2, job.TaskCount);
        Assert.Equal([0L, 1L], job.Tasks.Select(t => t.Seed).Order());
    }

    [Theory]
    [InlineData("{\"conceptId\": \"x\", \"prompts\": [", "prompts")]
    [InlineData("{\"conceptId\": \"has space\", \"prompts\": [], \"steps\": 9999}", "steps")]
    [InlineData("{\"conceptId\": \"c\", \"prompts\": [{\"prompt\": \"a photo of S\"}], \"negative_prompt\": \"x\"}", "negative_prompt")]
    public async Task A_bad_request_gets_400_with_every_problem(string body, string mentioned)
    {
        var result = Assert.IsType<BadRequestObjectResult>(await functions.SubmitJob(Request(body), default));
        Assert.Contains(mentioned, JsonSerializer.Serialize(result.Value));
    }

    [Fact]
    public async Task A_webhook_on_a_private_address_is_refused()
    {
        var conceptId = await ConceptAsync(ConceptStatus.Ready);
        foreach (var url in new[] { "http://127.0.0.1:8080/hook", "http://10.0.0.5/hook", "http://169.254.169.254/latest" })
        {
            var body = $$"""{"conceptId":"{{conceptId}}","prompts":[{"prompt":"a photo of S"}],"webhookUrl":"{{url}}"}""";
            var result = Assert.IsType<BadRequestObjectResult>(await functions.SubmitJob(Request(body), default));
            Assert.Contains("webhookUrl", JsonSerializer.Serialize(result.Value));
        }
    }

    [Fact]
    public async Task An_unknown_concept_or_job_is_reported_plainly()
    {
        var body = """{"conceptId":"no-such-concept-0","prompts":[{"prompt":"a photo of S"}]}""";
        Assert.Contains("no-such-concept-0", JsonSerializer.Serialize(Assert.IsType<BadRequestObjectResult>(await functions.SubmitJob(Request(body), default)).Value));
        Assert.IsType<NotFoundObjectResult>(await functions.GetJob(Get(), "no-such-job", default));
        Assert.IsType<BadRequestObjectResult>(await functions.GetJob(Get(), "bad/id", default));
    }

    [Fact]
    public async Task A_job_a_concept_and_an_idempotency_key_belong_to_their_caller()
    {
        var shared = await ConceptAsync(ConceptStatus.Ready);
        var ownConcept = await ConceptAsync(ConceptStatus.Ready, owner: "alice");
        var body = $$"""{"conceptId":"{{ownConcept}}","prompts":[{"prompt":"a photo of S"}]}""";
        var key = "key-" + ownConcept;
        var alices = Assert.IsType<JobAccepted>(Assert.IsType<AcceptedResult>(await functions.SubmitJob(Request(body, key, caller: "alice"), default)).Value);

        // Bob meets none of Alice's: her job, its tasks, its cancel, her concept (in a job too) all do not exist for him.
        Assert.IsType<NotFoundObjectResult>(await functions.GetJob(Get(caller: "bob"), alices.JobId, default));
        Assert.IsType<NotFoundObjectResult>(await functions.GetJobTasks(Get(caller: "bob"), alices.JobId, default));
        Assert.IsType<NotFoundObjectResult>(await functions.CancelJob(Request("", caller: "bob"), alices.JobId, default));
        Assert.IsType<NotFoundObjectResult>(await concepts.GetConcept(Get(caller: "bob"), ownConcept, default));
        var refused = Assert.IsType<BadRequestObjectResult>(await functions.SubmitJob(Request(body, caller: "bob"), default));
        Assert.Contains(ownConcept, JsonSerializer.Serialize(refused.Value));
        Assert.DoesNotContain(ListedJobIds(await functions.ListJobs(Get(caller: "bob"), default)), id => id == alices.JobId);

        // The same idempotency key is Bob's own: a new job, not Alice's.
        var sharedBody = $$"""{"conceptId":"{{shared}}","prompts":[{"prompt":"a photo of S"}]}""";
        var bobs = Assert.IsType<JobAccepted>(Assert.IsType<AcceptedResult>(await functions.SubmitJob(Request(sharedBody, key, caller: "bob"), default)).Value);
        Assert.NotEqual(alices.JobId, bobs.JobId);
        Assert.False(bobs.Repeated);

        // Alice sees hers, listed newest first; a request without a principal is the deployment's default caller, not Alice.
        Assert.IsType<OkObjectResult>(await functions.GetJob(Get(caller: "alice"), alices.JobId, default));
        Assert.IsType<OkObjectResult>(await concepts.GetConcept(Get(caller: "alice"), ownConcept, default));
        Assert.IsType<OkObjectResult>(await concepts.GetConcept(Get(caller: "bob"), shared, default));
        var second = Assert.IsType<JobAccepted>(Assert.IsType<AcceptedResult>(await functions.SubmitJob(Request(sharedBody, caller: "alice"), default)).Value);
        Assert.Equal([second.JobId, alices.JobId], ListedJobIds(await functions.ListJobs(Get(caller: "alice"), default)).Take(2));
        Assert.IsType<NotFoundObjectResult>(await functions.GetJob(Get(), alices.JobId, default));
        foreach (var lane in JobLanes.QueuesInOrder) await clients.Queue(lane).ClearMessagesAsync();
    }

    [Fact]
    public async Task Without_a_default_caller_a_request_without_a_signed_in_principal_gets_401()
    {
        var strict = new JobFunctions(
            new JobIntake(clients), new CsvJobIntake(clients), new JobList(clients), new JobCancellation(clients), Events(), new BlobLinks(clients), Retention, Gate(new CallerOptions()), NullLogger<JobFunctions>.Instance);
        Assert.IsType<UnauthorizedObjectResult>(await strict.ListJobs(Get(), default));
        Assert.IsType<OkObjectResult>(await strict.ListJobs(Get(caller: "carol"), default));
    }

    [Fact]
    public async Task A_1200_task_job_pages_through_every_task_once_and_bad_paging_is_refused()
    {
        var conceptId = await ConceptAsync(ConceptStatus.Ready);
        var body = $$"""{"conceptId":"{{conceptId}}","prompts":[{"prompt":"a photo of S","count":600},{"prompt":"S in the snow","count":600}]}""";
        var accepted = Assert.IsType<JobAccepted>(Assert.IsType<AcceptedResult>(await functions.SubmitJob(Request(body), default)).Value);

        var first = Assert.IsType<JobView>(Assert.IsType<OkObjectResult>(await functions.GetJob(Get(), accepted.JobId, default)).Value);
        Assert.Equal(1200, first.TaskCount);
        Assert.InRange(first.Tasks.Count, 1, JobList.DefaultPageSize);
        var seen = first.Tasks.Select(t => t.Id).ToList();
        var continuation = first.TasksContinuation;
        var pages = 1;
        while (continuation is not null)
        {
            var page = Assert.IsType<TaskPage>(Assert.IsType<OkObjectResult>(
                await functions.GetJobTasks(Get($"?continuation={Uri.EscapeDataString(continuation)}&pageSize=350"), accepted.JobId, default)).Value);
            Assert.InRange(page.Tasks.Count, 1, 350);
            seen.AddRange(page.Tasks.Select(t => t.Id));
            continuation = page.Continuation;
            pages++;
        }

        Assert.Equal(Enumerable.Range(0, 1200).Select(TaskIds.Format), seen);
        Assert.InRange(pages, 5, 20);
        Assert.IsType<BadRequestObjectResult>(await functions.GetJobTasks(Get("?pageSize=0"), accepted.JobId, default));
        Assert.IsType<BadRequestObjectResult>(await functions.GetJobTasks(Get("?pageSize=5000"), accepted.JobId, default));
        Assert.IsType<BadRequestObjectResult>(await functions.GetJobTasks(Get("?continuation=other-job%20000100"), accepted.JobId, default));
        foreach (var lane in JobLanes.QueuesInOrder) await clients.Queue(lane).ClearMessagesAsync();
    }

    [Fact]
    public async Task Canceling_a_queued_job_cancels_every_task_ends_it_Canceled_with_one_event_and_is_idempotent()
    {
        var conceptId = await ConceptAsync(ConceptStatus.Ready);
        var body = $$"""{"conceptId":"{{conceptId}}","prompts":[{"prompt":"a photo of S","count":250}]}""";
        var accepted = Assert.IsType<JobAccepted>(Assert.IsType<AcceptedResult>(await functions.SubmitJob(Request(body), default)).Value);

        var canceled = Assert.IsType<JobSummary>(Assert.IsType<AcceptedResult>(await functions.CancelJob(Request(""), accepted.JobId, default)).Value);
        var again = Assert.IsType<JobSummary>(Assert.IsType<AcceptedResult>(await functions.CancelJob(Request(""), accepted.JobId, default)).Value);

        Assert.Equal((JobStatus.Canceled, 250, 0), (canceled.Status, canceled.CanceledCount, canceled.SucceededCount));
        Assert.Equal(canceled, again);
        var tasks = new List<TaskRow>();
        await foreach (var task in clients.Table(StorageNames.Tables.Tasks).QueryAsync<TaskRow>(t => t.PartitionKey == accepted.JobId)) tasks.Add(task);
        Assert.Equal(250, tasks.Count);
        Assert.All(tasks, t => Assert.Equal((ImageTaskStatus.Canceled, JobCancellation.CanceledReason), (t.Status, t.Reason)));
        var events = (await clients.Queue(StorageNames.Queues.JobEvents).PeekMessagesAsync(32)).Value
            .Select(m => QueueMessages.Deserialize<JobEvent>(m.Body.ToString())).Where(e => e.JobId == accepted.JobId);
        Assert.Single(events);

        // A job that ended otherwise has nothing to cancel.
        var done = await ConceptAsync(ConceptStatus.Ready);
        var finished = Assert.IsType<JobAccepted>(Assert.IsType<AcceptedResult>(await functions.SubmitJob(Request($$"""{"conceptId":"{{done}}","prompts":[{"prompt":"S"}]}"""), default)).Value);
        await new JobAccounting(clients).RecordTaskResultAsync(finished.JobId, TaskIds.Format(0), ImageTaskStatus.Succeeded, null, null, default);
        Assert.IsType<ConflictObjectResult>(await functions.CancelJob(Request(""), finished.JobId, default));

        // Its image is kept for the retention period, and its task says until when.
        var image = Assert.Single(Assert.IsType<JobView>(Assert.IsType<OkObjectResult>(await functions.GetJob(Get(), finished.JobId, default)).Value).Tasks);
        Assert.InRange(image.ResultExpiresOn!.Value - DateTimeOffset.UtcNow, TimeSpan.FromDays(30) - TimeSpan.FromMinutes(5), TimeSpan.FromDays(30));
        foreach (var lane in JobLanes.QueuesInOrder) await clients.Queue(lane).ClearMessagesAsync();
    }

    [Fact]
    public async Task A_caller_past_their_limit_gets_429_with_retry_after_and_other_callers_do_not()
    {
        var limited = new JobFunctions(
            new JobIntake(clients), new CsvJobIntake(clients), new JobList(clients), new JobCancellation(clients), Events(), new BlobLinks(clients), Retention,
            new ApiGate(new CallerOptions { DefaultCaller = "team" }, new ApiRateLimits(new RateLimitOptions { SubmissionsPerMinute = 2, ReadsPerMinute = 3 })), NullLogger<JobFunctions>.Instance);
        var conceptId = await ConceptAsync(ConceptStatus.Ready);
        var body = $$"""{"conceptId":"{{conceptId}}","prompts":[{"prompt":"a photo of S"}]}""";

        Assert.IsType<AcceptedResult>(await limited.SubmitJob(Request(body, caller: "dave"), default));
        Assert.IsType<AcceptedResult>(await limited.SubmitJob(Request(body, caller: "dave"), default));
        var third = Request(body, caller: "dave");
        var refused = Assert.IsType<ObjectResult>(await limited.SubmitJob(third, default));
        Assert.Equal(StatusCodes.Status429TooManyRequests, refused.StatusCode);
        Assert.InRange(int.Parse(third.HttpContext.Response.Headers.RetryAfter!), 1, 60);
        Assert.IsType<AcceptedResult>(await limited.SubmitJob(Request(body, caller: "erin"), default));

        // Reads have their own budget: polling is not stopped by submissions, and is limited on its own.
        for (var i = 0; i < 3; i++) Assert.IsType<OkObjectResult>(await limited.ListJobs(Get(caller: "dave"), default));
        Assert.Equal(StatusCodes.Status429TooManyRequests, Assert.IsType<ObjectResult>(await limited.ListJobs(Get(caller: "dave"), default)).StatusCode);
        foreach (var lane in JobLanes.QueuesInOrder) await clients.Queue(lane).ClearMessagesAsync();
    }

    private static readonly ResultRetention Retention = new(ResultDays: 30);

    private static ApiGate Gate(CallerOptions callers) => new(callers, new ApiRateLimits(new RateLimitOptions()));

    private JobEventHandler Events()
    {
        var options = new WebhookOptions { SigningSecret = WebhookSecret.Generate() };
        var policy = new WebhookUrlPolicy(options);
        return new JobEventHandler(clients, new WebhookDelivery(WebhookDelivery.CreateHttpClient(policy, options), WebhookSigner.FromOptions(options), policy, options), options, new BlobLinks(clients));
    }

    private static IEnumerable<string> ListedJobIds(IActionResult result) =>
        Assert.IsType<JobListPage>(Assert.IsType<OkObjectResult>(result).Value).Jobs.Select(j => j.Id);

    [Fact]
    public async Task A_csv_posted_as_text_csv_is_read_as_an_uploaded_one_and_belongs_to_its_caller()
    {
        var conceptId = await ConceptAsync(ConceptStatus.Ready);
        var csv = $"concept_id,prompt,seed\n{conceptId},a photo of S,1\n{conceptId},S on the beach,2\nno-such-concept-0,a photo of S,3\n{conceptId},\"S, in the snow\",4\n";
        var key = "csv-" + conceptId;

        var first = Assert.IsType<AcceptedResult>(await functions.SubmitJob(Csv(csv, "?steps=3&scheduler=ddim", key, caller: "carol"), default));
        var again = Assert.IsType<AcceptedResult>(await functions.SubmitJob(Csv(csv, "?steps=3&scheduler=ddim", key, caller: "carol"), default));

        var accepted = Assert.IsType<JobAccepted>(first.Value);
        Assert.Equal((3, false), (accepted.Tasks, accepted.Repeated));
        Assert.Equal(accepted with { Repeated = true }, again.Value);
        var job = Assert.IsType<JobView>(Assert.IsType<OkObjectResult>(await functions.GetJob(Get(caller: "carol"), accepted.JobId, default)).Value);
        Assert.Equal((3, 1, JobLane.Interactive), (job.TaskCount, job.InvalidRowCount, job.Lane));
        Assert.Contains("line 4", job.Reason);
        await foreach (var row in clients.Table(StorageNames.Tables.Tasks).QueryAsync<TaskRow>(t => t.PartitionKey == accepted.JobId))
        {
            Assert.Equal((3, "ddim"), (row.Steps, row.Scheduler)); // the options from the query
        }

        Assert.IsType<NotFoundObjectResult>(await functions.GetJob(Get(caller: "dave"), accepted.JobId, default)); // the caller's own

        // The same key with another CSV, an option a CSV job does not have, and the owner from the query are refused.
        Assert.IsType<ConflictObjectResult>(await functions.SubmitJob(Csv(csv + $"{conceptId},S again,5\n", "?steps=3&scheduler=ddim", key, caller: "carol"), default));
        var unknown = Assert.IsType<BadRequestObjectResult>(await functions.SubmitJob(Csv(csv, "?stepz=3&owner=eve", caller: "carol"), default));
        Assert.Equal(["owner", "stepz"], Assert.IsType<ApiErrors>(unknown.Value).Errors.Select(e => e.Field).Order());
        var badSteps = Assert.IsType<BadRequestObjectResult>(await functions.SubmitJob(Csv(csv, "?steps=9999"), default));
        Assert.Equal("steps", Assert.Single(Assert.IsType<ApiErrors>(badSteps.Value).Errors).Field);
        var tooLarge = Assert.IsType<ObjectResult>(await functions.SubmitJob(Csv(new string('x', JobLimits.Default.MaxCsvRequestBytes + 1), ""), default));
        Assert.Equal(StatusCodes.Status413PayloadTooLarge, tooLarge.StatusCode);
        foreach (var lane in JobLanes.QueuesInOrder) await clients.Queue(lane).ClearMessagesAsync();
    }

    private static HttpRequest Csv(string csv, string query, string? idempotencyKey = null, string? caller = null)
    {
        var request = Request(csv, idempotencyKey, caller);
        request.ContentType = "text/csv; charset=utf-8";
        request.QueryString = new QueryString(query.Length > 0 ? query : null);
        return request;
    }

    private async Task<string> ConceptAsync(ConceptStatus status, string? owner = null)
    {
        var conceptId = Guid.NewGuid().ToString("N")[..12];
        await clients.Table(StorageNames.Tables.Concepts).UpsertEntityAsync(new ConceptRow(conceptId) { Status = status, ImageBlob = BlobPaths.ConceptFile(conceptId, "photo.png"), Owner = owner });
        return conceptId;
    }

    private static HttpRequest Get(string query = "", string? caller = null)
    {
        var context = new DefaultHttpContext();
        context.Request.Method = "GET";
        context.Request.QueryString = new QueryString(query.Length > 0 ? query : null);
        if (caller is not null) context.Request.Headers[Caller.PrincipalIdHeader] = caller;
        return context.Request;
    }

    private static HttpRequest Request(string body, string? idempotencyKey = null, string? caller = null)
    {
        var context = new DefaultHttpContext();
        if (caller is not null) context.Request.Headers[Caller.PrincipalIdHeader] = caller;
        context.Request.Method = "POST";
        context.Request.ContentType = "application/json";
        context.Request.Body = new MemoryStream(Encoding.UTF8.GetBytes(body));
        if (idempotencyKey is not null) context.Request.Headers[ApiRoutes.IdempotencyHeader] = idempotencyKey;
        return context.Request;
    }
}
