using Elite.ModelBuilder.Graph;
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;

namespace Elite.ModelBuilder.Tests.Support;

/// <summary>An input tensor for a test run: float32 or int64 values and their shape.</summary>
internal sealed record Feed(Array Values, int[] Shape)
{
    public static Feed Floats(float[] values, params int[] shape) => new(values, shape);

    public static Feed Int64s(long[] values, params int[] shape) => new(values, shape);
}

/// <summary>Writes a graph to a temporary file and runs it once in ONNX Runtime on CPU.</summary>
internal static class OrtRunner
{
    public static Dictionary<string, float[]> Run(GraphBuilder graph, IReadOnlyDictionary<string, Feed> feeds)
    {
        var directory = Directory.CreateTempSubdirectory("elite-graph-");
        try
        {
            var path = Path.Combine(directory.FullName, graph.Name + ".onnx");
            ModelWriter.Write(graph, path);
            using var session = new InferenceSession(path);
            return Run(session, feeds);
        }
        finally
        {
            directory.Delete(recursive: true);
        }
    }

    /// <summary>Runs <paramref name="session"/>; float feeds are converted to float16 where the graph takes float16, and outputs come back as float32.</summary>
    public static Dictionary<string, float[]> Run(InferenceSession session, IReadOnlyDictionary<string, Feed> feeds)
    {
        var inputs = feeds.Select(f => f.Value.Values switch
        {
            float[] floats when session.InputMetadata[f.Key].ElementDataType == TensorElementType.Float16 =>
                NamedOnnxValue.CreateFromTensor(f.Key, new DenseTensor<Float16>(floats.Select(v => (Float16)v).ToArray(), f.Value.Shape)),
            float[] floats => NamedOnnxValue.CreateFromTensor(f.Key, new DenseTensor<float>(floats, f.Value.Shape)),
            long[] longs => NamedOnnxValue.CreateFromTensor(f.Key, new DenseTensor<long>(longs, f.Value.Shape)),
            _ => throw new ArgumentException($"unsupported feed type for {f.Key}"),
        }).ToList();
        using var results = session.Run(inputs);
        return results.ToDictionary(
            r => r.Name,
            r => r.ElementType == TensorElementType.Float16 ? [.. r.AsTensor<Float16>().Select(v => (float)v)] : r.AsTensor<float>().ToArray());
    }
}
