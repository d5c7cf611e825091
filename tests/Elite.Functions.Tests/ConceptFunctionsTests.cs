using Elite.Core.Webhooks;
using System.Net;
using Elite.Core.Api;
using Elite.Core.Callers;
using Elite.Core.Concepts;
using Elite.Core.Jobs;
using Elite.Core.Rows;
using Elite.Core.Storage;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Logging.Abstractions;

namespace Elite.Functions.Tests;

/// <summary>Concepts through the API: created with upload links, read, and deleted, by the caller they belong to.</summary>
[Collection(ConceptUploadsCollection.Name)]
public sealed class ConceptFunctionsTests
{
    private readonly StorageClients clients = new(StorageConnection.FromConfiguration(new ConfigurationBuilder().AddEnvironmentVariables().Build()));
    private readonly ConceptIntake intake;
    private readonly ConceptFunctions functions;

    public ConceptFunctionsTests()
    {
        new StorageInitializer(clients).InitializeAsync().GetAwaiter().GetResult();
        intake = new ConceptIntake(clients);
        functions = new ConceptFunctions(intake, new ConceptLifecycle(clients), new ConceptImages(clients, new BlobLinks(clients)), new BlobLinks(clients), new WebhookUrlPolicy(allowPrivateAddresses: true), new ApiGate(new CallerOptions { DefaultCaller = "team" }, new ApiRateLimits(new RateLimitOptions())), NullLogger<ConceptFunctions>.Instance);
    }

    [Fact]
    public async Task A_concept_created_through_the_api_takes_its_photo_and_mask_through_write_only_links_and_is_its_callers_alone()
    {
        var created = Assert.IsType<ConceptCreated>(Assert.IsType<CreatedResult>(await functions.CreateConcept(Request("POST", "?photo=JPG&mask=png", caller: "alice"), default)).Value);
        Assert.Equal(nameof(ConceptStatus.Pending), created.Status);
        var waiting = View(await functions.GetConcept(Request("GET", caller: "alice"), created.Id, default));
        Assert.Equal(ConceptLifecycle.AwaitingPhoto, waiting.Reason);
        Assert.IsType<NotFoundObjectResult>(await functions.GetConcept(Request("GET", caller: "bob"), created.Id, default));

        using var anonymous = new HttpClient();
        var photo = await File.ReadAllBytesAsync(TestAssets.Path("chelsea.png"));
        Assert.Equal(HttpStatusCode.Created, (await anonymous.PutAsync(created.PhotoUploadUrl, BlockBlob(photo))).StatusCode);
        Assert.Equal(HttpStatusCode.Created, (await anonymous.PutAsync(created.MaskUploadUrl, BlockBlob(photo))).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await anonymous.GetAsync(created.PhotoUploadUrl)).StatusCode); // write-only
        var elsewhere = created.PhotoUploadUrl.Replace(created.Id + "/photo.jpg", created.Id + "/other.png", StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.Forbidden, (await anonymous.PutAsync(elsewhere, BlockBlob(photo))).StatusCode); // that one blob only

        // The upload event registers it as any upload (here called as the trigger would), and it keeps its owner.
        var uploaded = clients.Container(StorageNames.Containers.Concepts).GetBlobClient(BlobPaths.ConceptFile(created.Id, "photo.jpg"));
        await intake.RegisterBlobAsync(uploaded, created.Id, "photo.jpg", default);
        var row = (await clients.Table(StorageNames.Tables.Concepts).GetEntityAsync<ConceptRow>(created.Id, ConceptRow.RowKeyValue)).Value;
        Assert.Equal((ConceptStatus.Pending, "alice", (string?)null), (row.Status, row.Owner, row.Reason));
        Assert.IsType<NoContentResult>(await functions.DeleteConcept(Request("DELETE", caller: "alice"), created.Id, default));
        await clients.Queue(StorageNames.Queues.Encode).ClearMessagesAsync();
    }

    [Fact]
    public async Task An_unsupported_file_type_or_a_caller_without_sign_in_is_refused()
    {
        var refused = Assert.IsType<BadRequestObjectResult>(await functions.CreateConcept(Request("POST", "?photo=gif&mask=bmp"), default));
        var problems = Assert.IsType<ApiErrors>(refused.Value).Errors;
        Assert.Equal(["photo", "mask"], problems.Select(p => p.Field));
        Assert.StartsWith("'.gif' is not a supported image type", problems[0].Message, StringComparison.Ordinal);
        Assert.StartsWith("'.bmp'", problems[1].Message, StringComparison.Ordinal);
        var strict = new ConceptFunctions(intake, new ConceptLifecycle(clients), new ConceptImages(clients, new BlobLinks(clients)), new BlobLinks(clients), new WebhookUrlPolicy(allowPrivateAddresses: true), new ApiGate(new CallerOptions(), new ApiRateLimits(new RateLimitOptions())), NullLogger<ConceptFunctions>.Instance);
        Assert.IsType<UnauthorizedObjectResult>(await strict.CreateConcept(Request("POST"), default));
    }

    [Fact]
    public async Task Deleting_a_concept_is_refused_while_a_job_of_it_runs_and_then_removes_its_photo_mask_embeddings_and_rows()
    {
        var created = Assert.IsType<ConceptCreated>(Assert.IsType<CreatedResult>(await functions.CreateConcept(Request("POST", "?mask=png"), default)).Value);
        var concepts = clients.Container(StorageNames.Containers.Concepts);
        var embeddings = clients.Container(StorageNames.Containers.Embeddings);
        await concepts.GetBlobClient(BlobPaths.ConceptFile(created.Id, "photo.png")).UploadAsync(new BinaryData([1, 2, 3]));
        await concepts.GetBlobClient(BlobPaths.ConceptFile(created.Id, "mask.png")).UploadAsync(new BinaryData([1, 2, 3]));
        foreach (var pack in new[] { "pack-a", "pack-b" }) await embeddings.GetBlobClient(BlobPaths.Embedding(created.Id, pack)).UploadAsync(new BinaryData([4]));
        await clients.Table(StorageNames.Tables.Concepts).UpdateAsync<ConceptRow>(created.Id, ConceptRow.RowKeyValue, c => c with { Status = ConceptStatus.Ready, ImageBlob = BlobPaths.ConceptFile(created.Id, "photo.png") });
        var job = await new JobIntake(clients).SubmitAsync(
            new JobSubmission { ConceptId = created.Id, Prompts = [new PromptRequest { Prompt = "a photo of S" }] }, new Caller("team"), null, default);

        Assert.IsType<NotFoundObjectResult>(await functions.DeleteConcept(Request("DELETE", caller: "bob"), created.Id, default));
        var refused = Assert.IsType<ConflictObjectResult>(await functions.DeleteConcept(Request("DELETE"), created.Id, default));
        Assert.Contains(job.JobId!, Assert.IsType<ApiErrors>(refused.Value).Errors.Single().Message);

        await new JobCancellation(clients).CancelAsync(new Caller("team"), job.JobId!, default);
        Assert.IsType<NoContentResult>(await functions.DeleteConcept(Request("DELETE"), created.Id, default));

        Assert.IsType<NotFoundObjectResult>(await functions.GetConcept(Request("GET"), created.Id, default));
        foreach (var container in new[] { concepts, embeddings })
        {
            await foreach (var blob in container.GetBlobsAsync(Azure.Storage.Blobs.Models.BlobTraits.None, Azure.Storage.Blobs.Models.BlobStates.None, created.Id + "/", default)) Assert.Fail($"{blob.Name} is left");
        }

        await foreach (var row in clients.Table(StorageNames.Tables.Concepts).QueryAsync<ConceptJobRow>(r => r.PartitionKey == created.Id)) Assert.Fail($"{row.RowKey} is left");
        Assert.IsType<NotFoundObjectResult>(await functions.DeleteConcept(Request("DELETE"), created.Id, default));
        foreach (var lane in JobLanes.QueuesInOrder) await clients.Queue(lane).ClearMessagesAsync();
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task An_encoded_concept_links_its_photo_and_the_mask_it_used_whether_uploaded_or_stored_by_the_worker(bool uploadedMask)
    {
        var created = Assert.IsType<ConceptCreated>(Assert.IsType<CreatedResult>(await functions.CreateConcept(Request("POST", uploadedMask ? "?mask=png" : ""), default)).Value);
        var photo = BlobPaths.ConceptFile(created.Id, "photo.png");
        var mask = uploadedMask ? BlobPaths.ConceptFile(created.Id, "mask.png") : null;
        await clients.Container(StorageNames.Containers.Concepts).GetBlobClient(photo).UploadAsync(new BinaryData("photo"u8.ToArray()));
        Assert.Null(View(await functions.GetConcept(Request("GET"), created.Id, default)).Mask); // not encoded yet
        if (mask is not null) await clients.Container(StorageNames.Containers.Concepts).GetBlobClient(mask).UploadAsync(new BinaryData("uploaded mask"u8.ToArray()));
        await clients.Table(StorageNames.Tables.Concepts).UpdateAsync<ConceptRow>(created.Id, ConceptRow.RowKeyValue,
            c => c with { Status = ConceptStatus.Ready, ImageBlob = photo, MaskBlob = mask, PackId = "pack-a", MaskSource = uploadedMask ? "upload" : "auto" });
        if (!uploadedMask)
        {
            Assert.Null(View(await functions.GetConcept(Request("GET"), created.Id, default)).Mask); // the worker kept none
            await clients.Container(StorageNames.Containers.Embeddings).GetBlobClient(BlobPaths.EncodedMask(created.Id, "pack-a")).UploadAsync(new BinaryData("automatic mask"u8.ToArray()));
        }

        var view = View(await functions.GetConcept(Request("GET"), created.Id, default));
        using var anonymous = new HttpClient();
        Assert.Equal("photo", await anonymous.GetStringAsync(view.Photo));
        Assert.Equal(uploadedMask ? "uploaded mask" : "automatic mask", await anonymous.GetStringAsync(view.Mask));
        Assert.Equal(HttpStatusCode.Forbidden, (await anonymous.PutAsync(view.Mask, BlockBlob([1]))).StatusCode); // read-only
        Assert.IsType<NoContentResult>(await functions.DeleteConcept(Request("DELETE"), created.Id, default));
        await clients.Queue(StorageNames.Queues.Encode).ClearMessagesAsync();
    }

    private static ConceptView View(IActionResult result) => Assert.IsType<ConceptView>(Assert.IsType<OkObjectResult>(result).Value);

    private static ByteArrayContent BlockBlob(byte[] bytes) => new(bytes) { Headers = { { "x-ms-blob-type", "BlockBlob" } } };

    private static HttpRequest Request(string method, string query = "", string? caller = null)
    {
        var context = new DefaultHttpContext();
        context.Request.Method = method;
        context.Request.QueryString = new QueryString(query.Length > 0 ? query : null);
        if (caller is not null) context.Request.Headers[Caller.PrincipalIdHeader] = caller;
        return context.Request;
    }
}
