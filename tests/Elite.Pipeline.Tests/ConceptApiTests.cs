using System.Text.Json;
using System.Net;
using CliRunner = Elite.Cli.Tests.Cli;
using Elite.Cli;
using Elite.Core.Rows;
using Elite.Core.Storage;

namespace Elite.Pipeline.Tests;

/// <summary>A concept made through the API, as a caller without storage credentials makes one: upload links, encoding, a job, deletion.</summary>
[Collection(PipelineCollection.Name)]
public sealed class ConceptApiTests(PipelineFixture fixture)
{
    [Fact]
    public async Task A_photo_uploaded_through_the_api_links_is_encoded_used_by_a_job_and_deleted_with_its_files()
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(4));
        var api = fixture.FunctionsUrl.ToString();
        await Task.Delay(TimeSpan.FromSeconds(1.1), timeout.Token); // the polling trigger's one-second watermark (see Uploads): not in the second of an earlier upload
        var upload = await CliRunner.RunAsync("concepts", "upload", "--api", api, CommandHelpers.AssetPath("chelsea.png"), "--wait");
        Assert.True(upload.ExitCode == 0, upload.Output + upload.Error);
        var conceptId = upload.Output.Split(' ', ':')[1];
        Assert.Contains($"concept {conceptId}: Ready", upload.Output);

        var job = await CliRunner.RunAsync(new StringWriter(), timeout.Token, "jobs", "submit", "--api", api, "--concept", conceptId, "--prompt", "a photo of S", "--steps", "2", "--watch");
        Assert.True(job.ExitCode == 0, job.Output + job.Error);

        var embeddings = fixture.Clients.Container(StorageNames.Containers.Embeddings);
        Assert.True(await ExistsAsync(embeddings, conceptId));
        var deleted = await CliRunner.RunAsync("concepts", "delete", "--api", api, conceptId);
        Assert.True(deleted.ExitCode == 0, deleted.Error);
        Assert.False(await ExistsAsync(embeddings, conceptId));
        Assert.False(await ExistsAsync(fixture.Clients.Container(StorageNames.Containers.Concepts), conceptId));
        var gone = await Assert.ThrowsAsync<PipelineApiException>(() => fixture.Api.GetConceptAsync(conceptId, timeout.Token));
        Assert.Equal(HttpStatusCode.NotFound, gone.Status);
        Assert.Null(await fixture.Clients.Table(StorageNames.Tables.Concepts).GetOrDefaultAsync<ConceptRow>(conceptId, ConceptRow.RowKeyValue));
    }

    [Fact]
    public async Task A_concept_with_a_webhook_is_told_when_it_is_ready_and_when_an_upload_is_rejected()
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(4));
        var good = await fixture.Api.CreateConceptAsync("png", null, timeout.Token, fixture.Webhooks.Url);
        var bad = await fixture.Api.CreateConceptAsync("png", null, timeout.Token, fixture.Webhooks.Url);
        await Task.Delay(TimeSpan.FromSeconds(1.1), timeout.Token); // the polling trigger's one-second watermark (see Uploads)
        await PipelineApi.UploadAsync(good.PhotoUploadUrl, await File.ReadAllBytesAsync(CommandHelpers.AssetPath("chelsea.png"), timeout.Token), timeout.Token);
        await Task.Delay(TimeSpan.FromSeconds(1.1), timeout.Token);
        await PipelineApi.UploadAsync(bad.PhotoUploadUrl, "this is not an image"u8.ToArray(), timeout.Token);

        var ready = JsonDocument.Parse((await Uploads.WebhookNamingAsync(fixture, good.Id, timeout.Token)).Body).RootElement;
        var rejected = JsonDocument.Parse((await Uploads.WebhookNamingAsync(fixture, bad.Id, timeout.Token)).Body).RootElement;

        Assert.Equal(("concept.ready", "ready", "auto"), (ready.GetProperty("type").GetString(), ready.GetProperty("data").GetProperty("status").GetString(), ready.GetProperty("data").GetProperty("maskSource").GetString()));
        Assert.Equal(("concept.rejected", "rejected"), (rejected.GetProperty("type").GetString(), rejected.GetProperty("data").GetProperty("status").GetString()));
        Assert.Contains("photo.png", rejected.GetProperty("data").GetProperty("reason").GetString());
        Assert.Equal(ConceptStatus.Rejected, (await fixture.Api.GetConceptAsync(bad.Id, timeout.Token)).Status);
    }

    private static async Task<bool> ExistsAsync(Azure.Storage.Blobs.BlobContainerClient container, string conceptId)
    {
        await foreach (var _ in container.GetBlobsAsync(Azure.Storage.Blobs.Models.BlobTraits.None, Azure.Storage.Blobs.Models.BlobStates.None, conceptId + "/", default)) return true;
        return false;
    }
}
