using Azure.Storage.Blobs;
using Elite.Core;
using Elite.Core.Concepts;
using Elite.Core.Storage;
using Microsoft.Azure.Functions.Worker;
using Microsoft.Extensions.Logging;

namespace Elite.Functions;

/// <summary>A concept photo (or its mask) was uploaded to <c>concepts/{conceptId}/{file}</c>.</summary>
public sealed class ConceptFunctions(ConceptIntake intake, ILogger<ConceptFunctions> logger)
{
    [Function(FunctionNames.ConceptUploaded)]
    public async Task ConceptUploaded(
        [BlobTrigger(BlobPaths.ConceptUploadTrigger, Source = BlobTriggerSource.EventGrid, Connection = StorageConnection.SettingName)] BlobClient blob,
        string conceptId,
        string file,
        CancellationToken cancellationToken)
    {
        var result = await intake.RegisterBlobAsync(blob, conceptId, file, cancellationToken);
        logger.LogInformation("Concept {ConceptId} upload {File}: {Outcome} {Reason}", conceptId, file, result.Outcome, result.Reason);
    }
}
