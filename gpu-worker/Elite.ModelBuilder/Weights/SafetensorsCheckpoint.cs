using System.IO.MemoryMappedFiles;
using System.Text.Json;

namespace Elite.ModelBuilder.Weights;

/// <summary>
/// A <c>.safetensors</c> file (8 bytes of little-endian header length, a JSON header, raw data),
/// memory-mapped: a tensor's bytes are read only when its values are asked for.
/// </summary>
public sealed class SafetensorsCheckpoint : ICheckpoint
{
    private const long MaxHeaderBytes = 100L << 20;
    private readonly MemoryMappedFile file;
    private readonly MemoryMappedViewAccessor view;

    public SafetensorsCheckpoint(string path)
    {
        Path = path;
        var length = new FileInfo(path).Length;
        if (length < 8) throw Invalid("the file is shorter than its 8-byte header length");
        file = MemoryMappedFile.CreateFromFile(path, FileMode.Open, null, 0, MemoryMappedFileAccess.Read);
        view = file.CreateViewAccessor(0, 0, MemoryMappedFileAccess.Read);
        try
        {
            var headerLength = view.ReadInt64(0);
            if (headerLength <= 0 || headerLength > MaxHeaderBytes || 8 + headerLength > length)
            {
                throw Invalid($"its header length {headerLength} does not fit a file of {length} bytes");
            }

            var header = new byte[headerLength];
            view.ReadArray(8, header, 0, header.Length);
            Tensors = ParseHeader(header, 8 + headerLength, length);
        }
        catch
        {
            Dispose();
            throw;
        }
    }

    public string Path { get; }

    public IReadOnlyDictionary<string, CheckpointTensor> Tensors { get; }

    /// <summary>The header's free-form <c>__metadata__</c> strings.</summary>
    public IReadOnlyDictionary<string, string> Metadata { get; private set; } = new Dictionary<string, string>();

    public void Dispose()
    {
        view.Dispose();
        file.Dispose();
    }

    private Dictionary<string, CheckpointTensor> ParseHeader(byte[] header, long dataStart, long fileLength)
    {
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(header);
        }
        catch (JsonException e)
        {
            throw Invalid($"its header is not JSON ({e.Message})");
        }

        using (document)
        {
            var tensors = new Dictionary<string, CheckpointTensor>(StringComparer.Ordinal);
            if (document.RootElement.ValueKind != JsonValueKind.Object) throw Invalid("its header is not a JSON object");
            foreach (var entry in document.RootElement.EnumerateObject())
            {
                if (entry.Name == "__metadata__")
                {
                    Metadata = entry.Value.EnumerateObject().ToDictionary(m => m.Name, m => m.Value.GetString() ?? "");
                    continue;
                }

                if (entry.Value.ValueKind != JsonValueKind.Object
                    || !entry.Value.TryGetProperty("dtype", out _) || !entry.Value.TryGetProperty("shape", out _) || !entry.Value.TryGetProperty("data_offsets", out _))
                {
                    throw Invalid($"tensor {entry.Name} lacks dtype, shape or data_offsets");
                }

                var type = entry.Value.GetProperty("dtype").GetString() switch
                {
                    "F32" => TensorType.Float32,
                    "F16" => TensorType.Float16,
                    "BF16" => TensorType.BFloat16,
                    "I64" => TensorType.Int64,
                    var other => throw Invalid($"tensor {entry.Name} has unsupported dtype {other}"),
                };
                var shape = entry.Value.GetProperty("shape").EnumerateArray().Select(d => d.GetInt64()).ToArray();
                var offsets = entry.Value.GetProperty("data_offsets").EnumerateArray().Select(d => d.GetInt64()).ToArray();
                var count = shape.Aggregate(1L, (a, b) => a * b);
                if (offsets.Length != 2 || offsets[1] - offsets[0] != count * ElementSize(type) || offsets[0] < 0 || dataStart + offsets[1] > fileLength)
                {
                    throw Invalid($"tensor {entry.Name} has data offsets [{string.Join(",", offsets)}] that do not fit its shape [{string.Join(",", shape)}] or the file");
                }

                var begin = dataStart + offsets[0];
                tensors[entry.Name] = new CheckpointTensor(entry.Name, shape, type, () => Read(begin, count, type));
            }

            return tensors;
        }
    }

    private float[] Read(long offset, long count, TensorType type)
    {
        var values = new float[count];
        switch (type)
        {
            case TensorType.Float32:
                view.ReadArray(offset, values, 0, values.Length);
                break;
            case TensorType.Float16:
                var halves = new Half[count];
                view.ReadArray(offset, halves, 0, halves.Length);
                for (var i = 0; i < halves.Length; i++) values[i] = (float)halves[i];
                break;
            case TensorType.BFloat16:
                var raw = new ushort[count];
                view.ReadArray(offset, raw, 0, raw.Length);
                for (var i = 0; i < raw.Length; i++) values[i] = BitConverter.Int32BitsToSingle(raw[i] << 16);
                break;
            case TensorType.Int64:
                var longs = new long[count];
                view.ReadArray(offset, longs, 0, longs.Length);
                for (var i = 0; i < longs.Length; i++) values[i] = longs[i];
                break;
        }

        return values;
    }

    private static int ElementSize(TensorType type) => type switch
    {
        TensorType.Float32 => 4,
        TensorType.Int64 => 8,
        _ => 2,
    };

    private CheckpointFormatException Invalid(string problem) => new(Path, $"not a valid safetensors file: {problem}");
}
