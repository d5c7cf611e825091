using Elite.Contracts.Packs;
using Elite.Inference.Sampling;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.ML.OnnxRuntime;

namespace Elite.Inference.Runtime;

/// <summary>
/// A model pack loaded for inference: its manifest and one ONNX Runtime session per graph, created once
/// and shared by every encode and generate call (sessions are safe to run concurrently).
/// </summary>
public sealed class EliteModels : IDisposable
{
    private readonly Dictionary<string, InferenceSession> sessions = [];

    private EliteModels(string directory, PackManifest manifest)
    {
        Directory = directory;
        Manifest = manifest;
        Training = TrainingSchedule.From(manifest.Scheduler);
    }

    public string Directory { get; }
    public PackManifest Manifest { get; }

    /// <summary>The noise schedule the pack's UNet was trained with, as its manifest names it.</summary>
    public TrainingSchedule Training { get; }
    public bool IsFloat16 => Manifest.Dtype == "float16";

    /// <summary>The execution provider the sessions run on: CUDA, or CPU.</summary>
    public string ExecutionProvider { get; private set; } = "CPU";

    /// <summary>Why CUDA was not used, when it was asked for.</summary>
    public string? CudaFallbackReason { get; private set; }

    /// <summary>How the generator binds the UNet's inputs: <see cref="InputBinding.Device"/> only where it was asked for and the sessions run on CUDA.</summary>
    public InputBinding UNetBinding { get; private set; }

    public InferenceSession this[string graph] => sessions[graph];

    /// <summary>
    /// Loads the pack in <paramref name="directory"/>. With <paramref name="verifyChecksums"/>, every
    /// file is checked against the manifest first (the worker does this before it takes work).
    /// </summary>
    public static EliteModels Load(string directory, ExecutionOptions options, bool verifyChecksums = false, ILogger? logger = null)
    {
        logger ??= NullLogger.Instance;
        var manifest = PackManifest.Load(directory);
        if (verifyChecksums) manifest.VerifyFiles(directory);
        var models = new EliteModels(directory, manifest);
        try
        {
            foreach (var graph in GraphNames.All)
            {
                if (!manifest.Graphs.TryGetValue(graph, out var entry)) throw new InvalidDataException($"pack {manifest.Id} has no {graph} graph.");
                using var sessionOptions = models.CreateSessionOptions(options, logger);
                models.sessions[graph] = new InferenceSession(Path.Combine(directory, entry.File), sessionOptions);
            }
        }
        catch
        {
            models.Dispose();
            throw;
        }

        models.UNetBinding = options.DeviceBinding && models.ExecutionProvider == "CUDA" ? InputBinding.Device : InputBinding.Host;
        logger.LogInformation("Loaded model pack {PackId} ({Dtype}, {Attention} attention) on {Provider}, UNet binding {Binding}",
            manifest.Id, manifest.Dtype, AttentionNames.Of(manifest.Attention), models.ExecutionProvider, models.UNetBinding);
        return models;
    }

    public void Dispose()
    {
        foreach (var session in sessions.Values) session.Dispose();
    }

    private SessionOptions CreateSessionOptions(ExecutionOptions options, ILogger logger)
    {
        var sessionOptions = new SessionOptions
        {
            GraphOptimizationLevel = GraphOptimizationLevel.ORT_ENABLE_ALL,
            IntraOpNumThreads = options.IntraOpThreads,
        };
        if (!options.UseCuda || CudaFallbackReason is not null) return sessionOptions;
        try
        {
            sessionOptions.AppendExecutionProvider_CUDA(options.DeviceId);
            ExecutionProvider = "CUDA";
        }
        catch (Exception e) when (e is OnnxRuntimeException or EntryPointNotFoundException or DllNotFoundException)
        {
            // The CPU build of ONNX Runtime, or a machine without CUDA 13 / cuDNN 9, throws here.
            CudaFallbackReason = e.Message;
            ExecutionProvider = "CPU";
            logger.LogWarning("CUDA is not available ({Reason}); running on the CPU", e.Message);
            sessionOptions.Dispose();
            return new SessionOptions { GraphOptimizationLevel = GraphOptimizationLevel.ORT_ENABLE_ALL, IntraOpNumThreads = options.IntraOpThreads };
        }

        return sessionOptions;
    }
}
