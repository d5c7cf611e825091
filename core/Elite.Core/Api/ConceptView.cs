using System.Text.Json.Serialization;
using Elite.Core.Rows;

namespace Elite.Core.Api;

/// <summary>The body of <c>GET /api/concepts/{id}</c>.</summary>
public sealed record ConceptView(
    string Id,
    [property: JsonConverter(typeof(JsonStringEnumConverter<ConceptStatus>))] ConceptStatus Status,
    string? MaskSource,
    string? PackId,
    string? Reason)
{
    public static ConceptView From(ConceptRow row) => new(row.ConceptId, row.Status, row.MaskSource, row.PackId, row.Reason);
}
