using Azure.Storage.Blobs;
using Elite.Core;
using Elite.Core.Storage;
using Microsoft.Azure.WebJobs;

namespace Elite.Functions.LocalHost;

/// <summary>
/// The storage-triggered functions as the WebJobs SDK declares them, each forwarding to the very same
/// function class of Elite.Functions. Locally the blob triggers poll (Event Grid never fires on Azurite).
/// </summary>
public sealed class LocalTriggers(ConceptFunctions concepts, JobFunctions jobs, WebhookFunctions webhooks)
{
    [FunctionName(FunctionNames.ConceptUploaded)]
    public Task ConceptUploaded([BlobTrigger(BlobPaths.ConceptUploadTrigger, Connection = StorageConnection.SettingName)] BlobClient blob, string conceptId, string file, CancellationToken cancellationToken) =>
        concepts.ConceptUploaded(blob, conceptId, file, cancellationToken);

    [FunctionName(FunctionNames.CsvJobUploaded)]
    public Task CsvJobUploaded([BlobTrigger(BlobPaths.JobCsvTrigger, Connection = StorageConnection.SettingName)] BlobClient blob, string name, CancellationToken cancellationToken) =>
        jobs.CsvJobUploaded(blob, name, cancellationToken);

    [FunctionName(FunctionNames.JobEvents)]
    public Task JobEvents([QueueTrigger(StorageNames.Queues.JobEvents, Connection = StorageConnection.SettingName)] string message, long dequeueCount, CancellationToken cancellationToken) =>
        webhooks.JobEvents(message, dequeueCount, cancellationToken);

    [FunctionName(FunctionNames.ConceptEvents)]
    public Task ConceptEvents([QueueTrigger(StorageNames.Queues.ConceptEvents, Connection = StorageConnection.SettingName)] string message, long dequeueCount, CancellationToken cancellationToken) =>
        webhooks.ConceptEvents(message, dequeueCount, cancellationToken);
}
