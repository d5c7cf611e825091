using System.Text.Json.Serialization;

namespace Elite.Contracts.Packs;

/// <summary>
/// How a pack's graphs compute plain attention (every UNet attn1, the VAE's mid-block attention and
/// CLIP's self-attention). ELITE's attn2 is always explicit: it reads the placeholder's column of the
/// attention probabilities, which a fused kernel never materialises.
/// </summary>
[JsonConverter(typeof(JsonStringEnumConverter<AttentionKind>))]
public enum AttentionKind
{
    /// <summary>MatMul, Softmax, MatMul: runs on every execution provider, holds each attention map in memory.</summary>
    [JsonStringEnumMemberName("explicit")]
    Explicit,

    /// <summary>ONNX Runtime's <c>com.microsoft.MultiHeadAttention</c>: one kernel that never stores the whole map where it can tile it.</summary>
    [JsonStringEnumMemberName("fused")]
    Fused,
}

/// <summary>The names of <see cref="AttentionKind"/> on the command line and in logs, as the manifest writes them.</summary>
public static class AttentionNames
{
    public static IReadOnlyList<string> All { get; } = [.. Enum.GetValues<AttentionKind>().Select(Of)];

    public static string Of(AttentionKind kind) => kind.ToString().ToLowerInvariant();

    /// <exception cref="ArgumentException">No kind has that name.</exception>
    public static AttentionKind Parse(string name)
    {
        foreach (var kind in Enum.GetValues<AttentionKind>())
        {
            if (Of(kind) == name) return kind;
        }

        throw new ArgumentException($"unknown attention '{name}'; known: {string.Join(", ", All)}", nameof(name));
    }
}
