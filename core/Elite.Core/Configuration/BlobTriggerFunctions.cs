using Elite.Core.Storage;

namespace Elite.Core.Configuration;

/// <summary>
/// A blob-triggered function that Event Grid feeds in Azure (Flex Consumption only runs blob triggers with
/// <c>Source = BlobTriggerSource.EventGrid</c>): the infrastructure subscribes it to <c>BlobCreated</c>
/// events of <paramref name="Container"/> whose blob name ends with <paramref name="NameSuffix"/>.
/// </summary>
public sealed record EventGridBlobTrigger(string FunctionName, string Container, string NameSuffix);

/// <summary>The names of the blob-triggered functions, used by their <c>[Function]</c> attributes and by the Event Grid subscriptions.</summary>
public static class BlobTriggerFunctions
{
    public const string ConceptUploaded = "ConceptUploaded";
    public const string CsvJobUploaded = "CsvJobUploaded";

    public static IReadOnlyList<EventGridBlobTrigger> All { get; } =
    [
        new(ConceptUploaded, StorageNames.Containers.Concepts, ""),
        new(CsvJobUploaded, StorageNames.Containers.Jobs, Path.GetExtension(BlobPaths.JobCsvTrigger)),
    ];
}
