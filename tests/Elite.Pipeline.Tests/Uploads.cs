using Azure;
using Azure.Storage.Blobs.Models;
using Elite.Cli;
using Elite.Core.Api;
using Elite.Core.Jobs;
using Elite.Core.Rows;
using Elite.Core.Storage;
using Elite.Core.Webhooks;

namespace Elite.Pipeline.Tests;

/// <summary>
/// What a user puts into the pipeline's storage: concept photos and prompt CSVs. Uploads are made at least one
/// wall-clock second apart: the local host's polling blob trigger (WebJobs on Azurite) keeps a Last-Modified
/// watermark of one-second resolution and misses a blob stamped in the same second as one its last scan saw.
/// </summary>
internal static class Uploads
{
    private static readonly SemaphoreSlim Gate = new(1, 1);
    private static DateTimeOffset lastUpload = DateTimeOffset.MinValue;

    public static string NewId(string prefix) => $"{prefix}-{Guid.NewGuid():N}"[..(prefix.Length + 13)];

    public static async Task<string> ConceptAsync(PipelineFixture fixture, byte[] photo, string fileName = "photo.png", CancellationToken cancellationToken = default)
    {
        var conceptId = NewId("concept");
        var blob = fixture.Clients.Container(StorageNames.Containers.Concepts).GetBlobClient(BlobPaths.ConceptFile(conceptId, fileName));
        await SpacedAsync(() => blob.UploadAsync(new BinaryData(photo), cancellationToken), cancellationToken);
        return conceptId;
    }

    /// <summary>Uploads chelsea.png and waits until the worker has encoded it.</summary>
    public static async Task<string> ReadyConceptAsync(PipelineFixture fixture, CancellationToken cancellationToken)
    {
        var conceptId = await ConceptAsync(fixture, await File.ReadAllBytesAsync(CommandHelpers.AssetPath("chelsea.png"), cancellationToken), cancellationToken: cancellationToken);
        var concept = await fixture.Api.WaitForConceptAsync(conceptId, TimeSpan.FromMilliseconds(300), cancellationToken);
        Assert.Equal(ConceptStatus.Ready, concept.Status);
        return conceptId;
    }

    /// <summary>Uploads <c>jobs/{name}.csv</c> and returns the id its job will have.</summary>
    public static async Task<string> CsvJobAsync(PipelineFixture fixture, string name, string csv, IDictionary<string, string>? metadata = null, CancellationToken cancellationToken = default)
    {
        var blob = fixture.Clients.Container(StorageNames.Containers.Jobs).GetBlobClient(name + ".csv");
        var uploaded = await SpacedAsync(() => blob.UploadAsync(new BinaryData(csv), new BlobUploadOptions { Metadata = metadata }, cancellationToken), cancellationToken);
        return CsvJobIntake.JobIdFor(name, uploaded.Value.ETag.ToString());
    }

    public static async Task<JobView> FinishedJobAsync(PipelineFixture fixture, string jobId, CancellationToken cancellationToken) =>
        await fixture.Api.WatchJobAsync(jobId, TimeSpan.FromMilliseconds(300), _ => { }, cancellationToken, waitUntilExists: true);

    /// <summary>The next verified webhook of <paramref name="jobId"/> (the fixture's receiver serves every test of the collection).</summary>
    public static async Task<ReceivedWebhook> NextWebhookAsync(PipelineFixture fixture, string jobId, CancellationToken cancellationToken)
    {
        while (true)
        {
            var webhook = await fixture.Webhooks.NextAsync(cancellationToken);
            if (webhook.Text.Contains(jobId, StringComparison.Ordinal)) return webhook;
        }
    }

    /// <summary>The first verified, accepted webhook that names <paramref name="id"/>, whenever it came (the channel of <see cref="NextWebhookAsync"/> is not read).</summary>
    public static async Task<ReceivedWebhook> WebhookNamingAsync(PipelineFixture fixture, string id, CancellationToken cancellationToken)
    {
        ReceivedWebhook? found = null;
        await UntilAsync(() => Task.FromResult((found = fixture.Webhooks.Received.FirstOrDefault(
            w => w.AnsweredWith is >= 200 and < 300 && w.Text.Contains(id, StringComparison.Ordinal))) is not null), cancellationToken);
        return found!;
    }

    public static async Task UntilAsync(Func<Task<bool>> condition, CancellationToken cancellationToken)
    {
        while (!await condition()) await Task.Delay(TimeSpan.FromMilliseconds(300), cancellationToken);
    }

    private static async Task<Response<BlobContentInfo>> SpacedAsync(Func<Task<Response<BlobContentInfo>>> upload, CancellationToken cancellationToken)
    {
        await Gate.WaitAsync(cancellationToken);
        try
        {
            var nextSecond = new DateTimeOffset(lastUpload.UtcTicks - (lastUpload.UtcTicks % TimeSpan.TicksPerSecond), TimeSpan.Zero).AddSeconds(1.05);
            if (DateTimeOffset.UtcNow < nextSecond) await Task.Delay(nextSecond - DateTimeOffset.UtcNow, cancellationToken);
            var uploaded = await upload();
            lastUpload = uploaded.Value.LastModified > DateTimeOffset.UtcNow ? uploaded.Value.LastModified : DateTimeOffset.UtcNow;
            return uploaded;
        }
        finally
        {
            Gate.Release();
        }
    }
}
