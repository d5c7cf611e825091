using System.Text.Json.Serialization;
using Elite.Core.Rows;

namespace Elite.Core.Api;

/// <summary>
/// The body of <c>GET /api/concepts/{id}</c>. <see cref="Photo"/> and <see cref="Mask"/> are read links valid for an hour:
/// the uploaded photo, and once the concept is encoded, the object mask its encoding used (uploaded, from the photo's
/// alpha, or automatic), white on black; null where there is none to show.
/// </summary>
public sealed record ConceptView(
    string Id,
    [property: JsonConverter(typeof(JsonStringEnumConverter<ConceptStatus>))] ConceptStatus Status,
    string? MaskSource,
    string? PackId,
    string? Reason,
    string? Photo = null,
    string? Mask = null)
{
    public static ConceptView From(ConceptRow row) => new(row.ConceptId, row.Status, row.MaskSource, row.PackId, row.Reason);
}
