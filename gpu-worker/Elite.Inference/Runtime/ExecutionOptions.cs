namespace Elite.Inference.Runtime;

/// <summary>How the runtime runs the graphs: which device, how many CPU threads.</summary>
public sealed record ExecutionOptions
{
    /// <summary>Try the CUDA execution provider first; without CUDA libraries the runtime falls back to the CPU and says why.</summary>
    public bool UseCuda { get; init; } = true;

    /// <summary>CUDA device index.</summary>
    public int DeviceId { get; init; }

    /// <summary>Threads inside one CPU operator; 0 lets ONNX Runtime choose (one per core).</summary>
    public int IntraOpThreads { get; init; }
}
