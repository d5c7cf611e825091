using System.Buffers.Binary;
using System.IO.Compression;
using System.Runtime.InteropServices;
using System.Text;
using System.Text.Json;

namespace Elite.ModelBuilder.Tests;

/// <summary>A tensor of a hand-made checkpoint: a view of storage <paramref name="Key"/> (offsets and strides in elements).</summary>
internal sealed record PickledTensor(
    string Name, string StorageType, string Key, long StorageNumel, long Offset, long[] Shape, long[] Strides, bool AsParameter = false);

/// <summary>Writes the pickle opcodes torch.save (protocol 2) writes for a state dict, for tests that need no fixture file.</summary>
internal sealed class PickleWriter
{
    private readonly MemoryStream bytes = new();

    public PickleWriter() => Op(0x80).Op(2);

    public PickleWriter Op(byte code)
    {
        bytes.WriteByte(code);
        return this;
    }

    public PickleWriter Op(char code) => Op((byte)code);

    public PickleWriter Global(string module, string name) => Raw($"c{module}\n{name}\n");

    public PickleWriter Str(string value)
    {
        var utf8 = Encoding.UTF8.GetBytes(value);
        Op('X').Int32(utf8.Length);
        bytes.Write(utf8);
        return this;
    }

    public PickleWriter Int(long value) => Op('J').Int32(checked((int)value));

    public PickleWriter Tuple(long[] values)
    {
        Op('(');
        foreach (var v in values)
            Int(v);
        return Op('t');
    }

    public PickleWriter EmptyOrderedDict() => Global("collections", "OrderedDict").Op(')').Op('R');

    public PickleWriter Tensor(PickledTensor t)
    {
        if (t.AsParameter)
            Global("torch._utils", "_rebuild_parameter").Op('(');
        Global("torch._utils", "_rebuild_tensor_v2").Op('(');
        // persistent id ('storage', storage_type, key, location, numel)
        Op('(').Str("storage").Global("torch", t.StorageType).Str(t.Key).Str("cpu").Int(t.StorageNumel).Op('t').Op('Q');
        Int(t.Offset).Tuple(t.Shape).Tuple(t.Strides).Op(0x89).EmptyOrderedDict();
        Op('t').Op('R');
        if (t.AsParameter)
            Op(0x89).EmptyOrderedDict().Op('t').Op('R');
        return this;
    }

    /// <summary>
    /// An OrderedDict of the tensors with a <c>_metadata</c> attribute, as <c>module.state_dict()</c> pickles: items in
    /// batches of 1000, a batch of several as MARK ... SETITEMS, a batch of one as SETITEM.
    /// </summary>
    public PickleWriter StateDict(IEnumerable<PickledTensor> tensors)
    {
        EmptyOrderedDict();
        foreach (var batch in tensors.Chunk(1000))
        {
            if (batch.Length > 1)
                Op('(');
            foreach (var t in batch)
                Str(t.Name).Tensor(t);
            Op(batch.Length > 1 ? 'u' : 's');
        }
        return Op('}').Str("_metadata").EmptyOrderedDict().Op('s').Op('b');
    }

    public byte[] Stop()
    {
        Op('.');
        return bytes.ToArray();
    }

    private PickleWriter Raw(string ascii)
    {
        bytes.Write(Encoding.ASCII.GetBytes(ascii));
        return this;
    }

    private PickleWriter Int32(int value)
    {
        Span<byte> b = stackalloc byte[4];
        BinaryPrimitives.WriteInt32LittleEndian(b, value);
        bytes.Write(b);
        return this;
    }
}

internal static class TorchZip
{
    /// <summary>Writes a zip laid out as torch.save writes it: <c>{archive}/data.pkl</c>, <c>{archive}/data/{key}</c>, ...</summary>
    public static void Write(string path, string archive, byte[]? pickle, IEnumerable<(string Key, byte[] Bytes)> storages, string? byteOrder = "little")
    {
        using var zip = new ZipArchive(File.Create(path), ZipArchiveMode.Create);
        if (pickle is not null)
            Add(zip, $"{archive}/data.pkl", pickle);
        if (byteOrder is not null)
            Add(zip, $"{archive}/byteorder", Encoding.ASCII.GetBytes(byteOrder));
        foreach (var (key, bytes) in storages)
            Add(zip, $"{archive}/data/{key}", bytes);
        Add(zip, $"{archive}/version", "3\n"u8.ToArray());
    }

    public static byte[] Floats(params float[] values) => MemoryMarshal.AsBytes(values.AsSpan()).ToArray();

    private static void Add(ZipArchive zip, string name, byte[] bytes)
    {
        using var stream = zip.CreateEntry(name, CompressionLevel.NoCompression).Open();
        stream.Write(bytes);
    }
}

/// <summary>Reads a safetensors file of float32 tensors (8-byte little-endian header length, JSON header, raw data).</summary>
internal static class ExpectedSafetensors
{
    public static Dictionary<string, (long[] Shape, float[] Values)> Read(string path)
    {
        var bytes = File.ReadAllBytes(path);
        var headerLength = checked((int)BinaryPrimitives.ReadUInt64LittleEndian(bytes));
        var dataStart = 8 + headerLength;
        using var header = JsonDocument.Parse(bytes.AsMemory(8, headerLength));
        var tensors = new Dictionary<string, (long[], float[])>(StringComparer.Ordinal);
        foreach (var entry in header.RootElement.EnumerateObject())
        {
            if (entry.Name == "__metadata__")
                continue;
            var dtype = entry.Value.GetProperty("dtype").GetString();
            if (dtype != "F32")
                throw new InvalidDataException($"{path}: {entry.Name} is {dtype}, expected F32");
            var shape = entry.Value.GetProperty("shape").EnumerateArray().Select(d => d.GetInt64()).ToArray();
            var offsets = entry.Value.GetProperty("data_offsets").EnumerateArray().Select(d => checked((int)d.GetInt64())).ToArray();
            var values = MemoryMarshal.Cast<byte, float>(bytes.AsSpan(dataStart + offsets[0], offsets[1] - offsets[0])).ToArray();
            tensors.Add(entry.Name, (shape, values));
        }
        return tensors;
    }
}
