using System.Buffers;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace Elite.Core.Jobs;

/// <summary>A request body read as a <see cref="JobSubmission"/>, or why it could not be.</summary>
public sealed record JobSubmissionRead(JobSubmission? Submission, IReadOnlyList<ValidationProblem> Problems);

/// <summary>Reads the JSON body of <c>POST /api/jobs</c>, with a size limit, refusing fields the contract does not have.</summary>
public static class JobSubmissionJson
{
    public static JsonSerializerOptions Options { get; } = new(JsonSerializerDefaults.Web)
    {
        // A misspelt field ("negative_prompt") would otherwise be dropped without a word.
        UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    };

    /// <summary>
    /// Reads at most <see cref="JobLimits.MaxRequestBytes"/> from <paramref name="body"/>. Malformed JSON stops
    /// at its first error, so it gives one problem; the rules of <see cref="JobValidator"/> give all of theirs.
    /// </summary>
    public static async Task<JobSubmissionRead> ReadAsync(Stream body, JobLimits? limits, CancellationToken cancellationToken)
    {
        limits ??= JobLimits.Default;
        var buffer = ArrayPool<byte>.Shared.Rent(Math.Min(limits.MaxRequestBytes + 1, 64 * 1024));
        try
        {
            var length = 0;
            while (true)
            {
                if (length == buffer.Length)
                {
                    if (length > limits.MaxRequestBytes)
                    {
                        return Refused("body", $"is larger than {limits.MaxRequestBytes} bytes");
                    }

                    var larger = ArrayPool<byte>.Shared.Rent(Math.Min(buffer.Length * 2, limits.MaxRequestBytes + 1));
                    buffer.AsSpan(0, length).CopyTo(larger);
                    ArrayPool<byte>.Shared.Return(buffer);
                    buffer = larger;
                }

                var read = await body.ReadAsync(buffer.AsMemory(length), cancellationToken);
                if (read == 0)
                {
                    break;
                }

                length += read;
            }

            if (length > limits.MaxRequestBytes)
            {
                return Refused("body", $"is larger than {limits.MaxRequestBytes} bytes");
            }

            return Parse(buffer.AsSpan(0, length));
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    public static JobSubmissionRead Parse(ReadOnlySpan<byte> json)
    {
        if (json.IsEmpty)
        {
            return Refused("body", "is empty: send the job as JSON");
        }

        try
        {
            var submission = JsonSerializer.Deserialize<JobSubmission>(json, Options);
            return submission is null ? Refused("body", "is null: send the job as a JSON object") : new(submission, []);
        }
        catch (JsonException e) when (e.Message.Contains("could not be mapped", StringComparison.Ordinal) && e.Path is { Length: > 1 } unknownPath)
        {
            // A misspelt field: name it and the fields the contract has, not .NET's type names.
            var field = unknownPath.TrimStart('$', '.');
            var (owner, fields) = field.Contains("prompts[", StringComparison.Ordinal) ? ("a prompt", PromptFields) : ("a job", JobFields);
            return Refused(field, $"is not a field of {owner}; the fields are {fields}");
        }
        catch (JsonException e)
        {
            var field = e.Path is { Length: > 1 } path ? path.TrimStart('$', '.') : "body";
            var reason = e.Message.Split(". ", 2)[0];
            return Refused(field, $"is not valid here ({reason})");
        }
    }

    private static readonly string JobFields = FieldsOf<JobSubmission>();
    private static readonly string PromptFields = FieldsOf<PromptRequest>();

    private static string FieldsOf<T>() => string.Join(", ", typeof(T).GetProperties().Select(p => JsonNamingPolicy.CamelCase.ConvertName(p.Name)));

    private static JobSubmissionRead Refused(string field, string message) => new(null, [new ValidationProblem(field, message)]);
}
