using System.Buffers.Binary;
using System.Collections;
using System.IO.Compression;
using System.Runtime.InteropServices;

namespace Elite.ModelBuilder.Weights;

/// <summary>
/// A state dict saved by <c>torch.save</c> in the zip format (PyTorch 1.6 and later): <c>{archive}/data.pkl</c> pickles a
/// dict of tensors whose storages are the entries <c>{archive}/data/{key}</c>. Opening reads only the pickle; each
/// tensor's values are read from the zip when <see cref="CheckpointTensor.ReadFloats"/> is called, so the file stays
/// open until the checkpoint is disposed.
/// </summary>
public sealed class TorchCheckpoint : ICheckpoint
{
    private const int ChunkElements = 1 << 18;

    private readonly FileStream file;
    private readonly ZipArchive zip;
    private readonly bool bigEndian;
    private readonly Lock gate = new();
    private bool disposed;

    private TorchCheckpoint(string path, FileStream file)
    {
        Path = path;
        this.file = file;
        zip = OpenZip();
        try
        {
            var pickleEntry = FindDataPickle();
            var archive = pickleEntry.FullName[..^"data.pkl".Length];
            bigEndian = ReadByteOrder(archive);
            Tensors = BuildTensors(Unpickle(pickleEntry), pickleEntry.FullName, archive);
        }
        catch
        {
            zip.Dispose();
            throw;
        }
    }

    public string Path { get; }

    /// <summary>The tensors in the order of the pickle (a state dict's order; a plain dict's keys are sorted ordinally).</summary>
    public IReadOnlyDictionary<string, CheckpointTensor> Tensors { get; }

    /// <exception cref="CheckpointFormatException">The file cannot be opened or is not a zip-format state dict this reader supports.</exception>
    public static TorchCheckpoint Open(string path)
    {
        FileStream file;
        try
        {
            file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new CheckpointFormatException(path, "cannot open the file: " + e.Message, e);
        }

        try
        {
            return new TorchCheckpoint(path, file);
        }
        catch
        {
            file.Dispose();
            throw;
        }
    }

    public void Dispose()
    {
        lock (gate)
        {
            if (disposed)
                return;
            disposed = true;
            zip.Dispose();
            file.Dispose();
        }
    }

    private CheckpointFormatException Error(string problem, Exception? inner = null) => new(Path, problem, inner);

    private ZipArchive OpenZip()
    {
        Span<byte> head = stackalloc byte[2];
        var headLength = file.ReadAtLeast(head, 2, throwOnEndOfStream: false);
        file.Position = 0;
        // Before 1.6, and with _use_new_zipfile_serialization=False, torch.save wrote a bare pickle (protocol 2: 0x80 0x02).
        if (headLength == 2 && head[0] == 0x80 && head[1] <= 5)
            throw Error("this is a bare pickle (the legacy torch.save format, or pickle.dump), not the zip format; " +
                        "re-save it with torch.save(state_dict, path) from PyTorch 1.6 or later");
        try
        {
            return new ZipArchive(file, ZipArchiveMode.Read, leaveOpen: true);
        }
        catch (InvalidDataException e)
        {
            throw Error($"not a zip archive ({e.Message}); a PyTorch checkpoint must be written by torch.save in the zip format", e);
        }
    }

    private ZipArchiveEntry FindDataPickle()
    {
        var candidates = zip.Entries
            .Where(e => e.FullName == "data.pkl" || (e.FullName.EndsWith("/data.pkl", StringComparison.Ordinal) && e.FullName.Count(c => c == '/') == 1))
            .ToList();
        return candidates.Count switch
        {
            1 => candidates[0],
            0 => throw Error($"the zip archive has no data.pkl ({zip.Entries.Count} entries); it is not a torch.save checkpoint"),
            _ => throw Error("the zip archive has several data.pkl: " + string.Join(", ", candidates.Select(c => c.FullName))),
        };
    }

    // Files written on a big-endian machine say so in {archive}/byteorder; older files have no such entry and are little-endian.
    private bool ReadByteOrder(string archive)
    {
        var entry = zip.GetEntry(archive + "byteorder");
        if (entry is null)
            return false;
        var text = ReadEntryText(entry).Trim();
        return text switch
        {
            "little" => false,
            "big" => true,
            _ => throw Error($"{entry.FullName} says '{text}', expected 'little' or 'big'"),
        };
    }

    private string ReadEntryText(ZipArchiveEntry entry)
    {
        try
        {
            using var reader = new StreamReader(entry.Open());
            return reader.ReadToEnd();
        }
        catch (InvalidDataException e)
        {
            throw Error($"cannot read {entry.FullName}: {e.Message}", e);
        }
    }

    private object Unpickle(ZipArchiveEntry pickleEntry)
    {
        byte[] pickle;
        try
        {
            using var stream = pickleEntry.Open();
            using var buffer = new MemoryStream();
            stream.CopyTo(buffer);
            pickle = buffer.ToArray();
        }
        catch (InvalidDataException e)
        {
            throw Error($"cannot read {pickleEntry.FullName}: {e.Message}", e);
        }

        try
        {
            using var unpickler = new TorchUnpickler();
            return unpickler.loads(pickle) ?? throw new TorchPickleContentException("the pickle holds None");
        }
        catch (TorchPickleContentException e)
        {
            throw Error($"{pickleEntry.FullName}: {e.Message}", e);
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            // Razorvine reports malformed or truncated pickles with PickleException, cast or index exceptions.
            throw Error($"{pickleEntry.FullName} is not a pickle this reader understands: {e.Message}", e);
        }
    }

    private OrderedDictionary<string, CheckpointTensor> BuildTensors(object top, string pickleName, string archive)
    {
        if (top is not Hashtable dict)
            throw Error($"{pickleName}: the top level has type {TorchUnpickler.Describe(top)}, not a dict of tensors (a state dict)");
        var keys = dict is PickledOrderedDict ordered
            ? ordered.KeysInOrder
            : dict.Keys.Cast<object>().OrderBy(k => k as string, StringComparer.Ordinal).ToList();

        var tensors = new OrderedDictionary<string, CheckpointTensor>(StringComparer.Ordinal);
        foreach (var key in keys)
        {
            if (key is not string name)
                throw Error($"{pickleName}: the top-level dict has a key of type {TorchUnpickler.Describe(key)}, not str; it is not a state dict");
            if (dict[key] is not TorchTensorRef tensor)
                throw Error($"{pickleName}: the value of '{name}' has type {TorchUnpickler.Describe(dict[key])}, not a tensor; the top level must be a dict of tensors (a state dict)");
            var entry = FindStorageEntry(name, tensor, archive);
            tensors.Add(name, new CheckpointTensor(name, tensor.Shape, tensor.Storage.Kind.Type!.Value, () => Read(name, tensor, entry)));
        }
        return tensors;
    }

    private ZipArchiveEntry FindStorageEntry(string name, TorchTensorRef tensor, string archive)
    {
        var entryName = $"{archive}data/{tensor.Storage.Key}";
        var entry = zip.GetEntry(entryName)
                    ?? throw Error($"tensor '{name}' refers to storage '{tensor.Storage.Key}', but the zip has no entry {entryName}");
        if (tensor.StorageOffset < 0 || tensor.Shape.Any(s => s < 0) || tensor.Strides.Any(s => s < 0))
            throw Error($"tensor '{name}' has a negative storage offset, size or stride");
        try
        {
            var needed = checked((LastElement(tensor) + 1) * tensor.Storage.Kind.ElementSize);
            if (ElementCount(tensor.Shape) > 0 && needed > entry.Length)
                throw Error($"tensor '{name}' needs {needed} bytes of {entryName}, which holds {entry.Length}");
        }
        catch (OverflowException e)
        {
            throw Error($"tensor '{name}' has a size or stride too large to address", e);
        }
        return entry;
    }

    private float[] Read(string name, TorchTensorRef tensor, ZipArchiveEntry entry)
    {
        var count = ElementCount(tensor.Shape);
        if (count > Array.MaxLength)
            throw Error($"tensor '{name}' has {count} elements, more than one float[] can hold");
        var values = new float[count];
        if (count == 0)
            return values;

        var type = tensor.Storage.Kind.Type!.Value;
        var size = tensor.Storage.Kind.ElementSize;
        var spanBytes = (LastElement(tensor) - tensor.StorageOffset + 1) * size;
        var contiguous = IsContiguous(tensor.Shape, tensor.Strides);
        if (!contiguous && spanBytes > Array.MaxLength)
            throw Error($"tensor '{name}' is a strided view spanning {spanBytes} bytes, too many to buffer");

        lock (gate)
        {
            ObjectDisposedException.ThrowIf(disposed, this);
            try
            {
                using var stream = entry.Open();
                Skip(stream, tensor.StorageOffset * size);
                if (contiguous)
                {
                    ReadContiguous(stream, type, size, values);
                }
                else
                {
                    var raw = new byte[spanBytes];
                    stream.ReadExactly(raw);
                    Gather(raw, type, size, tensor.Shape, tensor.Strides, values);
                }
            }
            catch (Exception e) when (e is InvalidDataException or IOException)
            {
                throw Error($"cannot read tensor '{name}' from {entry.FullName}: {e.Message}", e);
            }
        }
        return values;
    }

    // Zip entry streams cannot seek, so the bytes before a view's offset are read and dropped.
    private static void Skip(Stream stream, long bytes)
    {
        if (bytes == 0)
            return;
        var buffer = new byte[(int)Math.Min(bytes, 1 << 20)];
        while (bytes > 0)
        {
            var n = (int)Math.Min(bytes, buffer.Length);
            stream.ReadExactly(buffer, 0, n);
            bytes -= n;
        }
    }

    private void ReadContiguous(Stream stream, TensorType type, int size, float[] values)
    {
        if (type == TensorType.Float32 && !bigEndian)
        {
            for (var start = 0; start < values.Length; start += ChunkElements)
                stream.ReadExactly(MemoryMarshal.AsBytes(values.AsSpan(start, Math.Min(ChunkElements, values.Length - start))));
            return;
        }

        var buffer = new byte[Math.Min(values.Length, ChunkElements) * size];
        for (var start = 0; start < values.Length; start += ChunkElements)
        {
            var n = Math.Min(ChunkElements, values.Length - start);
            var bytes = buffer.AsSpan(0, n * size);
            stream.ReadExactly(bytes);
            for (var i = 0; i < n; i++)
                values[start + i] = Element(bytes.Slice(i * size, size), type);
        }
    }

    // Walks the logical indices in row-major order; position is the element offset from the view's first element.
    private void Gather(byte[] raw, TensorType type, int size, long[] shape, long[] strides, float[] values)
    {
        var index = new long[shape.Length];
        long position = 0;
        for (var n = 0; n < values.Length; n++)
        {
            values[n] = Element(raw.AsSpan((int)(position * size), size), type);
            for (var d = shape.Length - 1; d >= 0; d--)
            {
                index[d]++;
                position += strides[d];
                if (index[d] < shape[d])
                    break;
                position -= strides[d] * shape[d];
                index[d] = 0;
            }
        }
    }

    private float Element(ReadOnlySpan<byte> bytes, TensorType type) => (type, bigEndian) switch
    {
        (TensorType.Float32, false) => BinaryPrimitives.ReadSingleLittleEndian(bytes),
        (TensorType.Float32, true) => BinaryPrimitives.ReadSingleBigEndian(bytes),
        (TensorType.Float16, false) => (float)BinaryPrimitives.ReadHalfLittleEndian(bytes),
        (TensorType.Float16, true) => (float)BinaryPrimitives.ReadHalfBigEndian(bytes),
        // bfloat16 is the upper half of a float32.
        (TensorType.BFloat16, false) => BitConverter.Int32BitsToSingle(BinaryPrimitives.ReadUInt16LittleEndian(bytes) << 16),
        (TensorType.BFloat16, true) => BitConverter.Int32BitsToSingle(BinaryPrimitives.ReadUInt16BigEndian(bytes) << 16),
        (TensorType.Int64, false) => BinaryPrimitives.ReadInt64LittleEndian(bytes),
        (TensorType.Int64, true) => BinaryPrimitives.ReadInt64BigEndian(bytes),
        _ => throw new ArgumentOutOfRangeException(nameof(type), type, null),
    };

    private static long ElementCount(long[] shape) => shape.Aggregate(1L, (a, b) => checked(a * b));

    private static long LastElement(TorchTensorRef tensor)
    {
        var last = tensor.StorageOffset;
        for (var d = 0; d < tensor.Shape.Length; d++)
            last = checked(last + Math.Max(tensor.Shape[d] - 1, 0) * tensor.Strides[d]);
        return last;
    }

    // Row-major with no gaps; the stride of a dimension of size 1 does not matter.
    private static bool IsContiguous(long[] shape, long[] strides)
    {
        long expected = 1;
        for (var d = shape.Length - 1; d >= 0; d--)
        {
            if (shape[d] != 1 && strides[d] != expected)
                return false;
            expected *= shape[d];
        }
        return true;
    }
}
