using Microsoft.ML.OnnxRuntime;

namespace Elite.Inference.Runtime;

/// <summary>
/// A graph input or output allocated once and bound to an <see cref="OrtValue"/> for every run, so a
/// 50-step loop allocates nothing large. Values are float32 here; for float16 packs a half-precision
/// mirror is what ONNX Runtime sees, converted by <see cref="Flush"/> (inputs) and <see cref="Fetch"/> (outputs).
/// </summary>
internal sealed class TensorBuffer : IDisposable
{
    private readonly Float16[]? halves;

    public TensorBuffer(long[] shape, bool float16)
    {
        Shape = shape;
        Values = new float[shape.Aggregate(1L, (a, b) => a * b)];
        if (float16)
        {
            halves = new Float16[Values.Length];
            Value = OrtValue.CreateTensorValueFromMemory(halves, shape);
        }
        else
        {
            Value = OrtValue.CreateTensorValueFromMemory(Values, shape);
        }
    }

    public long[] Shape { get; }
    public float[] Values { get; }
    public OrtValue Value { get; }

    public void Flush()
    {
        if (halves is null) return;
        for (var i = 0; i < Values.Length; i++) halves[i] = (Float16)Values[i];
    }

    public void Fetch()
    {
        if (halves is null) return;
        for (var i = 0; i < Values.Length; i++) Values[i] = (float)halves[i];
    }

    public void Dispose() => Value.Dispose();
}

/// <summary>An int64 graph input allocated once.</summary>
internal sealed class Int64Buffer : IDisposable
{
    public Int64Buffer(long[] shape)
    {
        Values = new long[shape.Aggregate(1L, (a, b) => a * b)];
        Value = OrtValue.CreateTensorValueFromMemory(Values, shape);
    }

    public long[] Values { get; }
    public OrtValue Value { get; }

    public void Dispose() => Value.Dispose();
}
