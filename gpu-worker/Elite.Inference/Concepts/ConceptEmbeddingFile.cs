using System.Runtime.InteropServices;
using System.Security.Cryptography;
using System.Text;

namespace Elite.Inference.Concepts;

/// <summary>
/// The <c>.elite</c> file of a concept embedding. Little-endian:
/// magic "ELITECPT", format version (u16), pack id, mask source (each: u16 byte length + UTF-8),
/// width, word count, local token count (i32 each), the words then the local embeddings (float32),
/// and the SHA-256 of everything before it.
/// </summary>
public static class ConceptEmbeddingFile
{
    public const ushort FormatVersion = 1;
    public const string Extension = ".elite";
    private static readonly byte[] Magic = "ELITECPT"u8.ToArray();

    public static byte[] Write(ConceptEmbedding embedding)
    {
        using var stream = new MemoryStream();
        using (var writer = new BinaryWriter(stream, Encoding.UTF8, leaveOpen: true))
        {
            writer.Write(Magic);
            writer.Write(FormatVersion);
            WriteString(writer, embedding.PackId);
            WriteString(writer, embedding.MaskSource);
            writer.Write(embedding.Width);
            writer.Write(ConceptEmbedding.WordCount);
            writer.Write(ConceptEmbedding.LocalTokens);
            writer.Write(MemoryMarshal.AsBytes(embedding.Words.AsSpan()));
            writer.Write(MemoryMarshal.AsBytes(embedding.LocalEmbeds.AsSpan()));
        }

        stream.Write(SHA256.HashData(stream.GetBuffer().AsSpan(0, (int)stream.Length)));
        return stream.ToArray();
    }

    /// <summary>Reads an embedding; refuses a damaged file, another format version, or one made with another pack than <paramref name="expectedPackId"/>.</summary>
    public static ConceptEmbedding Read(ReadOnlySpan<byte> bytes, string expectedPackId)
    {
        const int hashLength = 32;
        if (bytes.Length < Magic.Length + 2 + hashLength || !bytes[..Magic.Length].SequenceEqual(Magic))
        {
            throw new ConceptFormatException("not an ELITE concept embedding file.");
        }

        if (!SHA256.HashData(bytes[..^hashLength]).AsSpan().SequenceEqual(bytes[^hashLength..]))
        {
            throw new ConceptFormatException("the concept embedding file is damaged (checksum mismatch).");
        }

        var reader = new BinaryReader(new MemoryStream(bytes[..^hashLength].ToArray()));
        reader.ReadBytes(Magic.Length);
        var version = reader.ReadUInt16();
        if (version != FormatVersion) throw new ConceptFormatException($"concept embedding format {version} is not supported (this runtime reads {FormatVersion}).");
        var packId = ReadString(reader);
        if (packId != expectedPackId)
        {
            throw new ConceptFormatException($"the concept was encoded with model pack {packId}, not {expectedPackId}: encode it again with this pack.");
        }

        var maskSource = ReadString(reader);
        var width = reader.ReadInt32();
        var words = reader.ReadInt32();
        var tokens = reader.ReadInt32();
        if (width <= 0 || words != ConceptEmbedding.WordCount || tokens != ConceptEmbedding.LocalTokens
            || reader.BaseStream.Length - reader.BaseStream.Position != 4L * width * (words + tokens))
        {
            throw new ConceptFormatException("the concept embedding file has inconsistent sizes.");
        }

        return new ConceptEmbedding(packId, width, ReadFloats(reader, words * width), ReadFloats(reader, tokens * width), maskSource);
    }

    private static void WriteString(BinaryWriter writer, string value)
    {
        var bytes = Encoding.UTF8.GetBytes(value);
        writer.Write(checked((ushort)bytes.Length));
        writer.Write(bytes);
    }

    private static string ReadString(BinaryReader reader) => Encoding.UTF8.GetString(reader.ReadBytes(reader.ReadUInt16()));

    private static float[] ReadFloats(BinaryReader reader, int count)
    {
        var values = new float[count];
        reader.BaseStream.ReadExactly(MemoryMarshal.AsBytes(values.AsSpan()));
        return values;
    }
}

/// <summary>A concept embedding file that cannot be used: damaged, another format, or another model pack.</summary>
public sealed class ConceptFormatException(string message) : Exception(message);
