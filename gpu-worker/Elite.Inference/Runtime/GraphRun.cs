using Microsoft.ML.OnnxRuntime;

namespace Elite.Inference.Runtime;

/// <summary>One run of a session over bound buffers, cancellable mid-run through ONNX Runtime's own terminate flag.</summary>
internal static class GraphRun
{
    public static void Run(InferenceSession session, IReadOnlyDictionary<string, OrtValue> inputs, IReadOnlyDictionary<string, TensorBuffer> outputs, CancellationToken cancellationToken) =>
        Cancellable(runOptions => session.Run(runOptions, [.. inputs.Keys], [.. inputs.Values], [.. outputs.Keys], [.. outputs.Values.Select(o => o.Value)]), outputs, cancellationToken);

    /// <summary>A run of <paramref name="session"/> over <paramref name="binding"/>, whose outputs are bound to <paramref name="outputs"/>.</summary>
    public static void Run(InferenceSession session, OrtIoBinding binding, IReadOnlyDictionary<string, TensorBuffer> outputs, CancellationToken cancellationToken) =>
        Cancellable(runOptions =>
        {
            session.RunWithBinding(runOptions, binding);
            binding.SynchronizeBoundOutputs();
        }, outputs, cancellationToken);

    public static Dictionary<string, OrtValue> Inputs(params (string Name, OrtValue Value)[] inputs) => inputs.ToDictionary(i => i.Name, i => i.Value);

    public static Dictionary<string, TensorBuffer> Outputs(params (string Name, TensorBuffer Buffer)[] outputs) => outputs.ToDictionary(o => o.Name, o => o.Buffer);

    private static void Cancellable(Action<RunOptions> run, IReadOnlyDictionary<string, TensorBuffer> outputs, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        using var runOptions = new RunOptions();
        using var registration = cancellationToken.Register(() => runOptions.Terminate = true);
        try
        {
            run(runOptions);
        }
        catch (OnnxRuntimeException) when (cancellationToken.IsCancellationRequested)
        {
            throw new OperationCanceledException("generation was cancelled", cancellationToken);
        }

        foreach (var output in outputs.Values) output.Fetch();
    }
}

/// <summary>
/// One session run again and again over the same buffers, as the denoising loop runs the UNet. With
/// <see cref="InputBinding.Device"/> the inputs that never change are bound once through an
/// <see cref="OrtIoBinding"/> (ONNX Runtime copies a host value to the device when it is bound), the
/// changing ones are bound again before every run, and the outputs come back into their host buffers.
/// With <see cref="InputBinding.Host"/> every run passes every input, as any other graph run does.
/// </summary>
internal sealed class RepeatedRun : IDisposable
{
    private readonly InferenceSession session;
    private readonly IReadOnlyDictionary<string, OrtValue> changing;
    private readonly IReadOnlyDictionary<string, OrtValue> everyInput;
    private readonly IReadOnlyDictionary<string, TensorBuffer> outputs;
    private readonly OrtIoBinding? binding;

    /// <param name="constant">Inputs whose values are final when this is created.</param>
    /// <param name="changing">Inputs written again before each <see cref="Run"/>.</param>
    public RepeatedRun(InferenceSession session, InputBinding mode, IReadOnlyDictionary<string, OrtValue> constant, IReadOnlyDictionary<string, OrtValue> changing, IReadOnlyDictionary<string, TensorBuffer> outputs)
    {
        (this.session, this.changing, this.outputs) = (session, changing, outputs);
        everyInput = constant.Concat(changing).ToDictionary();
        if (mode == InputBinding.Host) return;
        binding = session.CreateIoBinding();
        foreach (var (name, value) in constant) binding.BindInput(name, value);
        foreach (var (name, buffer) in outputs) binding.BindOutput(name, buffer.Value);
    }

    public void Run(CancellationToken cancellationToken)
    {
        if (binding is null)
        {
            GraphRun.Run(session, everyInput, outputs, cancellationToken);
            return;
        }

        foreach (var (name, value) in changing) binding.BindInput(name, value);
        GraphRun.Run(session, binding, outputs, cancellationToken);
    }

    public void Dispose() => binding?.Dispose();
}
