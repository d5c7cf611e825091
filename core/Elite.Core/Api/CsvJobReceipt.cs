namespace Elite.Core.Api;

/// <summary>
/// <c>results/receipts/NAME.json</c>, written when the job of <c>jobs/NAME.csv</c> is created, so the uploader finds the
/// job (its id comes from the CSV's name and ETag: each new version of the file is a new job, and the receipt names
/// the latest). Not beside the CSV: another blob in <c>jobs</c> would hide uploads from the local polling trigger.
/// </summary>
/// <param name="Status">The job's status URL, relative to the host.</param>
public sealed record CsvJobReceipt(string JobId, string CsvETag, string Status)
{
    /// <summary>The receipt's blob in <see cref="Storage.StorageNames.Containers.Results"/>.</summary>
    public static string BlobName(string csvName) => $"receipts/{csvName}.json";

    public static CsvJobReceipt For(string jobId, string csvETag) => new(jobId, csvETag, "/" + ApiRoutes.Prefix + ApiRoutes.JobPath(jobId));
}
