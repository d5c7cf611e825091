using System.Runtime.InteropServices;
using System.Text;

namespace Elite.Cli;

/// <summary>Writes NumPy <c>.npy</c> files (format 1.0, little-endian float32), so dumped tensors open with <c>numpy.load</c>.</summary>
internal static class NpyFile
{
    public static void Write(string path, ReadOnlySpan<float> values, params int[] shape)
    {
        var header = $"{{'descr': '<f4', 'fortran_order': False, 'shape': ({string.Join(", ", shape)}{(shape.Length == 1 ? "," : "")}), }}";
        const int preamble = 10; // magic (6) + version (2) + header length (2)
        var padded = header.PadRight(((preamble + header.Length + 1 + 63) / 64 * 64) - preamble - 1) + "\n";
        using var file = File.Create(path);
        file.Write([0x93, (byte)'N', (byte)'U', (byte)'M', (byte)'P', (byte)'Y', 1, 0]);
        file.Write(BitConverter.GetBytes((ushort)padded.Length));
        file.Write(Encoding.ASCII.GetBytes(padded));
        file.Write(MemoryMarshal.AsBytes(values));
    }
}
