using System.Text.Json;
using Elite.Contracts.Generation;

namespace Elite.Core.Messages;

/// <summary>Asks the worker to encode an uploaded concept photo (queue <c>encode</c>).</summary>
public sealed record EncodeRequest(string ConceptId, string ImageBlob, string? MaskBlob);

/// <summary>
/// One image to generate (queue <c>generate</c>). It carries everything the worker needs, so a batch
/// is formed from messages alone; the task row in table <c>Tasks</c> holds its state.
/// <see cref="WaitingSince"/> is set by the worker when it puts the task back to wait for its concept's encoding.
/// </summary>
public sealed record GenerateTask(
    string JobId,
    string TaskId,
    string ConceptId,
    GenerationParameters Parameters,
    DateTimeOffset? WaitingSince = null);

/// <summary>
/// A webhook event of a job is due (queue <c>job-events</c>): the job finished, started, or a window of its tasks
/// ended (<see cref="Sequence"/> from <see cref="Since"/> to <see cref="Until"/>). <see cref="Attempt"/> counts the
/// failed attempts of a progress event that was sent again to be retried.
/// </summary>
public sealed record JobEvent(string JobId, string Kind, int Attempt = 0, int? Sequence = null, DateTimeOffset? Since = null, DateTimeOffset? Until = null)
{
    public const string Completed = "completed";
    public const string Started = "started";
    public const string TasksCompleted = "tasks";
}

/// <summary>
/// A concept with a webhook reached <see cref="Status"/> (Ready, Rejected or Failed) for photo and mask
/// <see cref="Version"/> (queue <c>concept-events</c>); <see cref="Attempt"/> as in <see cref="JobEvent"/>.
/// </summary>
public sealed record ConceptEvent(string ConceptId, Rows.ConceptStatus Status, string? Version, int Attempt = 0);

/// <summary>The JSON of every queue message, written and read in one way.</summary>
public static class QueueMessages
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    public static string Serialize<T>(T message) => JsonSerializer.Serialize(message, Json);

    /// <summary>Reads a message; a body that is not this message's JSON is an <see cref="InvalidMessageException"/> (the poison queue's reason).</summary>
    public static T Deserialize<T>(string body)
    {
        try
        {
            return JsonSerializer.Deserialize<T>(body, Json) ?? throw new InvalidMessageException($"empty {typeof(T).Name} message");
        }
        catch (JsonException e)
        {
            throw new InvalidMessageException($"not a {typeof(T).Name} message: {e.Message}");
        }
    }
}

/// <summary>A queue message that can never be processed; it goes to the poison queue with this reason.</summary>
public sealed class InvalidMessageException(string message) : Exception(message);
