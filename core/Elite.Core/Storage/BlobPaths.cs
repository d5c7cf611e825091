namespace Elite.Core.Storage;

/// <summary>Blob names inside the containers of <see cref="StorageNames.Containers"/>, and the trigger paths over them.</summary>
public static class BlobPaths
{
    /// <summary>Blob trigger path of concept uploads: the photo, and optionally a mask beside it.</summary>
    public const string ConceptUploadTrigger = StorageNames.Containers.Concepts + "/{conceptId}/{file}";

    /// <summary>Blob trigger path of prompt CSV uploads.</summary>
    public const string JobCsvTrigger = StorageNames.Containers.Jobs + "/{name}.csv";

    /// <summary>A concept upload whose file name (without extension) is this is the object mask, not the photo.</summary>
    public const string MaskFileStem = "mask";

    /// <summary><c>{conceptId}/{fileName}</c> in <see cref="StorageNames.Containers.Concepts"/>.</summary>
    public static string ConceptFile(string conceptId, string fileName) =>
        $"{ResourceId.Require(conceptId, "concept id")}/{ResourceId.Require(fileName, "file name")}";

    public static bool IsMask(string fileName) =>
        string.Equals(Path.GetFileNameWithoutExtension(fileName), MaskFileStem, StringComparison.OrdinalIgnoreCase);

    /// <summary><c>{name}.csv</c> in <see cref="StorageNames.Containers.Jobs"/>.</summary>
    public static string JobCsv(string name) => $"{ResourceId.Require(name, "job name")}.csv";

    /// <summary><c>{conceptId}/{packId}.elite</c> in <see cref="StorageNames.Containers.Embeddings"/>: one encoding per model pack.</summary>
    public static string Embedding(string conceptId, string packId) =>
        $"{ResourceId.Require(conceptId, "concept id")}/{ResourceId.Require(packId, "model pack id")}.elite";

    /// <summary>
    /// <c>{conceptId}/{packId}.mask.png</c> in <see cref="StorageNames.Containers.Embeddings"/>: the object mask an encoding
    /// was made with when it was not uploaded (the photo's alpha or the automatic mask), white on black, the photo's size.
    /// </summary>
    public static string EncodedMask(string conceptId, string packId) =>
        $"{ResourceId.Require(conceptId, "concept id")}/{ResourceId.Require(packId, "model pack id")}.mask.png";

    /// <summary><c>{jobId}/{taskId}.png</c> in <see cref="StorageNames.Containers.Results"/>: deterministic, so a retried task overwrites rather than duplicates.</summary>
    public static string Result(string jobId, string taskId) =>
        $"{ResourceId.Require(jobId, "job id")}/{ResourceId.Require(taskId, "task id")}.png";
}
