using System.Text;
using System.Text.Json;

namespace Elite.ModelBuilder.Tests.Support;

/// <summary>A tensor to write: name, safetensors dtype (F32, F16, BF16, I64), shape, and raw bytes (null: zeros, written sparse).</summary>
internal sealed record RawTensor(string Name, string Dtype, long[] Shape, byte[]? Data = null)
{
    public long Bytes => Shape.Aggregate(1L, (a, b) => a * b) * (Dtype switch { "F32" => 4, "I64" => 8, _ => 2 });
}

/// <summary>Writes safetensors files for tests. Tensors without data are left as holes, so full-size checkpoints cost no disk.</summary>
internal static class SafetensorsFile
{
    public static void Write(string path, IEnumerable<RawTensor> tensors)
    {
        var list = tensors.ToList();
        var header = new Dictionary<string, object>();
        var offsets = new List<long>();
        long offset = 0;
        foreach (var tensor in list)
        {
            header[tensor.Name] = new { dtype = tensor.Dtype, shape = tensor.Shape, data_offsets = new[] { offset, offset + tensor.Bytes } };
            offsets.Add(offset);
            offset += tensor.Bytes;
        }

        var json = Encoding.UTF8.GetBytes(JsonSerializer.Serialize(header));
        using var file = File.Create(path);
        file.Write(BitConverter.GetBytes((long)json.Length));
        file.Write(json);
        var dataStart = file.Position;
        for (var i = 0; i < list.Count; i++)
        {
            if (list[i].Data is { } data)
            {
                file.Position = dataStart + offsets[i];
                file.Write(data);
            }
        }

        file.SetLength(dataStart + offset);
    }
}
