using Microsoft.ML.OnnxRuntime;

namespace Elite.Inference.Runtime;

/// <summary>One run of a session over bound buffers, cancellable mid-run through ONNX Runtime's own terminate flag.</summary>
internal static class GraphRun
{
    public static void Run(InferenceSession session, IReadOnlyDictionary<string, OrtValue> inputs, IReadOnlyDictionary<string, TensorBuffer> outputs, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        using var runOptions = new RunOptions();
        using var registration = cancellationToken.Register(() => runOptions.Terminate = true);
        try
        {
            session.Run(runOptions, [.. inputs.Keys], [.. inputs.Values], [.. outputs.Keys], [.. outputs.Values.Select(o => o.Value)]);
        }
        catch (OnnxRuntimeException) when (cancellationToken.IsCancellationRequested)
        {
            throw new OperationCanceledException("generation was cancelled", cancellationToken);
        }

        foreach (var output in outputs.Values) output.Fetch();
    }

    public static Dictionary<string, OrtValue> Inputs(params (string Name, OrtValue Value)[] inputs) => inputs.ToDictionary(i => i.Name, i => i.Value);

    public static Dictionary<string, TensorBuffer> Outputs(params (string Name, TensorBuffer Buffer)[] outputs) => outputs.ToDictionary(o => o.Name, o => o.Buffer);
}
