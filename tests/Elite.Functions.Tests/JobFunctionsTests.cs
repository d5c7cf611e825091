using System.Text;
using System.Text.Json;
using Elite.Core.Api;
using Elite.Core.Jobs;
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

    public JobFunctionsTests()
    {
        new StorageInitializer(clients).InitializeAsync().GetAwaiter().GetResult();
        var urls = new WebhookUrlPolicy(allowPrivateAddresses: false);
        functions = new JobFunctions(new JobIntake(clients, webhookUrls: urls), new CsvJobIntake(clients, webhookUrls: urls), clients, new ResultLinks(clients), NullLogger<JobFunctions>.Instance);
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
        var status = Assert.IsType<OkObjectResult>(await functions.GetJob(new DefaultHttpContext().Request, accepted.JobId, default));
        var job = Assert.IsType<JobView>(status.Value);
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
        Assert.IsType<NotFoundObjectResult>(await functions.GetJob(new DefaultHttpContext().Request, "no-such-job", default));
        Assert.IsType<BadRequestObjectResult>(await functions.GetJob(new DefaultHttpContext().Request, "bad/id", default));
    }

    private async Task<string> ConceptAsync(ConceptStatus status)
    {
        var conceptId = Guid.NewGuid().ToString("N")[..12];
        await clients.Table(StorageNames.Tables.Concepts).UpsertEntityAsync(new ConceptRow(conceptId) { Status = status, ImageBlob = BlobPaths.ConceptFile(conceptId, "photo.png") });
        return conceptId;
    }

    private static HttpRequest Request(string body, string? idempotencyKey = null)
    {
        var context = new DefaultHttpContext();
        context.Request.Method = "POST";
        context.Request.ContentType = "application/json";
        context.Request.Body = new MemoryStream(Encoding.UTF8.GetBytes(body));
        if (idempotencyKey is not null) context.Request.Headers[ApiRoutes.IdempotencyHeader] = idempotencyKey;
        return context.Request;
    }
}
