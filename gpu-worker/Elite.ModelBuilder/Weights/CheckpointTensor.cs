namespace Elite.ModelBuilder.Weights;

/// <summary>Element types found in the checkpoints the builder reads.</summary>
public enum TensorType
{
    Float32,
    Float16,
    BFloat16,
    Int64,
}

/// <summary>
/// One tensor of a checkpoint file: its name, its shape in PyTorch order ([out, in] for Linear,
/// [out, in, kh, kw] for Conv2d), its stored type, and a way to read its values as float32 on demand
/// (so that a 3 GB checkpoint is never held in managed memory all at once).
/// </summary>
public sealed record CheckpointTensor(string Name, long[] Shape, TensorType Type, Func<float[]> ReadFloats)
{
    public long ElementCount => Shape.Aggregate(1L, (a, b) => a * b);

    public string ShapeText => string.Join(',', Shape);
}

/// <summary>A checkpoint file opened for reading: safetensors, or a PyTorch <c>.pt</c> zip.</summary>
public interface ICheckpoint : IDisposable
{
    string Path { get; }

    IReadOnlyDictionary<string, CheckpointTensor> Tensors { get; }
}
