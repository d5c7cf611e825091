using System.Runtime.InteropServices;

namespace Elite.ModelBuilder.Graph;

/// <summary>Little-endian bytes of float values in a graph's float type.</summary>
public static class TensorBytes
{
    public static byte[] Encode(float[] values, ElementType type)
    {
        switch (type)
        {
            case ElementType.Float:
                return MemoryMarshal.AsBytes(values.AsSpan()).ToArray();
            case ElementType.Float16:
                var halves = new Half[values.Length];
                for (var i = 0; i < values.Length; i++) halves[i] = (Half)values[i];
                return MemoryMarshal.AsBytes(halves.AsSpan()).ToArray();
            default:
                throw new ArgumentOutOfRangeException(nameof(type), type, "weights are float or float16");
        }
    }

    public static int Size(ElementType type) => type switch
    {
        ElementType.Float => 4,
        ElementType.Float16 => 2,
        ElementType.Int64 => 8,
        ElementType.Bool => 1,
        _ => throw new ArgumentOutOfRangeException(nameof(type)),
    };
}
