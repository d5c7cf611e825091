using System.Buffers.Binary;

namespace Elite.Inference.Imaging;

/// <summary>One chunk of a PNG file: its type and where its data lies in the file.</summary>
internal readonly record struct PngChunk(string Type, int Offset, int DataOffset, int Length)
{
    /// <summary>Length, type, data and CRC.</summary>
    public int TotalLength => Length + 12;
}

/// <summary>Low-level PNG chunk reading and writing (PNG spec §5.3).</summary>
internal static class PngChunks
{
    public static ReadOnlySpan<byte> Signature => [0x89, (byte)'P', (byte)'N', (byte)'G', 0x0D, 0x0A, 0x1A, 0x0A];

    private static readonly uint[] CrcTable = BuildCrcTable();

    /// <summary>The chunks up to and including IEND; throws <see cref="InvalidDataException"/> on a bad signature, a chunk running past the end, a CRC mismatch or a missing IEND.</summary>
    public static List<PngChunk> Read(ReadOnlySpan<byte> png)
    {
        if (!png.StartsWith(Signature)) throw new InvalidDataException("Not a PNG file (bad signature).");
        var chunks = new List<PngChunk>();
        var offset = Signature.Length;
        while (true)
        {
            if (png.Length - offset < 12) throw new InvalidDataException($"PNG truncated at byte {offset} (no IEND chunk).");
            var length = BinaryPrimitives.ReadUInt32BigEndian(png[offset..]);
            if (length > (uint)(png.Length - offset - 12)) throw new InvalidDataException($"PNG chunk at byte {offset} declares {length} bytes, past the end of the file.");
            var chunk = new PngChunk(System.Text.Encoding.ASCII.GetString(png.Slice(offset + 4, 4)), offset, offset + 8, (int)length);
            var stored = BinaryPrimitives.ReadUInt32BigEndian(png[(chunk.DataOffset + chunk.Length)..]);
            if (stored != Crc(png.Slice(offset + 4, chunk.Length + 4))) throw new InvalidDataException($"PNG chunk {chunk.Type} at byte {offset} has a bad CRC.");
            chunks.Add(chunk);
            if (chunk.Type == "IEND") return chunks;
            offset += chunk.TotalLength;
        }
    }

    /// <summary>Writes length, type, data and the CRC over type and data.</summary>
    public static void Write(Stream output, string type, ReadOnlySpan<byte> data)
    {
        Span<byte> header = stackalloc byte[8];
        BinaryPrimitives.WriteUInt32BigEndian(header, (uint)data.Length);
        System.Text.Encoding.ASCII.GetBytes(type, header[4..]);
        output.Write(header);
        output.Write(data);

        var crc = Update(0xFFFFFFFFu, header[4..]);
        crc = Update(crc, data) ^ 0xFFFFFFFFu;
        Span<byte> trailer = stackalloc byte[4];
        BinaryPrimitives.WriteUInt32BigEndian(trailer, crc);
        output.Write(trailer);
    }

    /// <summary>CRC-32 as PNG (and zlib) define it: polynomial 0xEDB88320, reflected, initial and final XOR 0xFFFFFFFF.</summary>
    public static uint Crc(ReadOnlySpan<byte> bytes) => Update(0xFFFFFFFFu, bytes) ^ 0xFFFFFFFFu;

    private static uint Update(uint crc, ReadOnlySpan<byte> bytes)
    {
        foreach (var b in bytes) crc = CrcTable[(crc ^ b) & 0xFF] ^ (crc >> 8);
        return crc;
    }

    private static uint[] BuildCrcTable()
    {
        var table = new uint[256];
        for (uint n = 0; n < 256; n++)
        {
            var c = n;
            for (var k = 0; k < 8; k++) c = (c & 1) != 0 ? 0xEDB88320u ^ (c >> 1) : c >> 1;
            table[n] = c;
        }

        return table;
    }
}
