using Azure.Storage.Blobs.Models;
using Elite.Core.Api;
using Elite.Core.Jobs;
using Elite.Core.Rows;
using Elite.Core.Storage;

namespace Elite.Pipeline.Tests;

/// <summary>What a user puts into the pipeline's storage: concept photos and prompt CSVs.</summary>
internal static class Uploads
{
    public static string NewId(string prefix) => $"{prefix}-{Guid.NewGuid():N}"[..(prefix.Length + 13)];

    public static async Task<string> ConceptAsync(PipelineFixture fixture, byte[] photo, string fileName = "photo.png", CancellationToken cancellationToken = default)
    {
        var conceptId = NewId("concept");
        await fixture.Clients.Container(StorageNames.Containers.Concepts).GetBlobClient(BlobPaths.ConceptFile(conceptId, fileName))
            .UploadAsync(new BinaryData(photo), cancellationToken);
        return conceptId;
    }

    /// <summary>Uploads chelsea.png and waits until the worker has encoded it.</summary>
    public static async Task<string> ReadyConceptAsync(PipelineFixture fixture, CancellationToken cancellationToken)
    {
        var conceptId = await ConceptAsync(fixture, await File.ReadAllBytesAsync(PipelineFixture.Asset("chelsea.png"), cancellationToken), cancellationToken: cancellationToken);
        var concept = await fixture.Api.WaitForConceptAsync(conceptId, TimeSpan.FromMilliseconds(300), cancellationToken);
        Assert.Equal(ConceptStatus.Ready, concept.Status);
        return conceptId;
    }

    /// <summary>Uploads <c>jobs/{name}.csv</c> and returns the id its job will have.</summary>
    public static async Task<string> CsvJobAsync(PipelineFixture fixture, string name, string csv, IDictionary<string, string>? metadata = null)
    {
        var uploaded = await fixture.Clients.Container(StorageNames.Containers.Jobs).GetBlobClient(name + ".csv")
            .UploadAsync(new BinaryData(csv), new BlobUploadOptions { Metadata = metadata });
        return CsvJobIntake.JobIdFor(name, uploaded.Value.ETag.ToString());
    }

    public static async Task<JobView> FinishedJobAsync(PipelineFixture fixture, string jobId, CancellationToken cancellationToken) =>
        await fixture.Api.WatchJobAsync(jobId, TimeSpan.FromMilliseconds(300), _ => { }, cancellationToken, waitUntilExists: true);

    public static async Task UntilAsync(Func<Task<bool>> condition, CancellationToken cancellationToken)
    {
        while (!await condition()) await Task.Delay(TimeSpan.FromMilliseconds(300), cancellationToken);
    }
}
