namespace Elite.Inference.Runtime;

/// <summary>How the runtime runs the graphs: which device, how many CPU threads, how the UNet's inputs are bound.</summary>
public sealed record ExecutionOptions
{
    /// <summary>Try the CUDA execution provider first; without CUDA libraries the runtime falls back to the CPU and says why.</summary>
    public bool UseCuda { get; init; } = true;

    /// <summary>CUDA device index.</summary>
    public int DeviceId { get; init; }

    /// <summary>Threads inside one CPU operator; 0 lets ONNX Runtime choose (one per core).</summary>
    public int IntraOpThreads { get; init; }

    /// <summary>
    /// On CUDA, bind the UNet inputs that stay the same over a batch's denoising steps (prompt contexts,
    /// local embeddings, placeholder indices, λ) on the device once per batch instead of copying them at
    /// every step. On the CPU, where host memory is the device's, the runtime keeps its host binding.
    /// </summary>
    public bool DeviceBinding { get; init; }
}

/// <summary>How the UNet's inputs reach the device: copied at every run, or the constant ones bound on it once per batch.</summary>
public enum InputBinding
{
    Host,
    Device,
}
