using System.Text.Json;
using System.Text.Json.Serialization;

namespace Elite.Contracts.Generation;

/// <summary>The samplers the worker implements. Requests, messages and rows name them by <see cref="SchedulerNames"/>.</summary>
[JsonConverter(typeof(SchedulerKindJsonConverter))]
public enum SchedulerKind
{
    Lms,
    Ddim,
    EulerAncestral,
    DpmPlusPlus2M,
}

/// <summary>The one list of scheduler names: what validation accepts and what the worker creates.</summary>
public static class SchedulerNames
{
    private static readonly (SchedulerKind Kind, string Name)[] Table =
    [
        (SchedulerKind.Lms, "lms"),
        (SchedulerKind.Ddim, "ddim"),
        (SchedulerKind.EulerAncestral, "euler_a"),
        (SchedulerKind.DpmPlusPlus2M, "dpmpp_2m"),
    ];

    /// <summary>Every name, in the order of <see cref="SchedulerKind"/>.</summary>
    public static IReadOnlyList<string> All { get; } = [.. Table.Select(entry => entry.Name)];

    /// <summary>"lms, ddim, euler_a, dpmpp_2m": for help texts and refusals.</summary>
    public static string Listed { get; } = string.Join(", ", All);

    public static string Of(SchedulerKind kind) => Table.Single(entry => entry.Kind == kind).Name;

    /// <summary>A scheduler by name, matched without case and surrounding white space.</summary>
    public static bool TryParse(string? name, out SchedulerKind kind)
    {
        var wanted = name?.Trim();
        foreach (var entry in Table)
        {
            if (string.Equals(entry.Name, wanted, StringComparison.OrdinalIgnoreCase))
            {
                kind = entry.Kind;
                return true;
            }
        }

        kind = default;
        return false;
    }

    /// <exception cref="ArgumentException">The name is none of <see cref="All"/>.</exception>
    public static SchedulerKind Parse(string name) =>
        TryParse(name, out var kind) ? kind : throw new ArgumentException($"unknown scheduler \"{name}\"; known: {Listed}", nameof(name));
}

/// <summary>Writes and reads a <see cref="SchedulerKind"/> as its name (<c>"euler_a"</c>).</summary>
public sealed class SchedulerKindJsonConverter : JsonConverter<SchedulerKind>
{
    public override SchedulerKind Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) =>
        reader.TokenType == JsonTokenType.String && SchedulerNames.TryParse(reader.GetString(), out var kind)
            ? kind
            : throw new JsonException($"a scheduler is one of {SchedulerNames.Listed}");

    public override void Write(Utf8JsonWriter writer, SchedulerKind value, JsonSerializerOptions options) =>
        writer.WriteStringValue(SchedulerNames.Of(value));
}
