using System.ComponentModel.DataAnnotations;

namespace Elite.Core.Configuration;

/// <summary>The worker's settings: section <c>Worker</c> (environment variables <c>Worker__PackDirectory</c>, ...).</summary>
public sealed class WorkerOptions
{
    public const string SectionName = "Worker";

    /// <summary>How long a stopping worker (SIGTERM) has to finish the batch in hand; the Container App's grace period is the same.</summary>
    public const int ShutdownSeconds = 300;

    /// <summary>The model pack folder; verified against its manifest before the worker takes work.</summary>
    [Required]
    public string PackDirectory { get; set; } = "";

    /// <summary>CLIP's BPE vocabulary (bpe_simple_vocab_16e6.txt).</summary>
    [Required]
    public string VocabularyPath { get; set; } = "";

    /// <summary>u2netp.onnx, for concepts uploaded without a mask or alpha.</summary>
    [Required]
    public string MaskModelPath { get; set; } = "";

    /// <summary>Most generate tasks in one UNet batch.</summary>
    [Range(1, 64)]
    public int MaxBatch { get; set; } = 8;

    /// <summary>How long to wait for a batch to fill once the first task is in hand.</summary>
    [Range(0, 60_000)]
    public int MaxWaitMs { get; set; } = 500;

    /// <summary>Concept embeddings kept in memory (least recently used go first).</summary>
    [Range(1, 10_000)]
    public int ConceptCacheSize { get; set; } = 64;

    /// <summary>Deliveries of one message before it goes to the poison queue with its reason.</summary>
    [Range(1, 100)]
    public int MaxDequeueCount { get; set; } = 5;

    /// <summary>How long a taken message stays invisible; renewed while its batch runs.</summary>
    [Range(10, 3600)]
    public int VisibilitySeconds { get; set; } = 120;

    /// <summary>A task whose concept is not encoded yet is retried after this delay, later ones after half the time it has waited (at most 5 min)...</summary>
    [Range(1, 3600)]
    public int ConceptNotReadyRetrySeconds { get; set; } = 15;

    /// <summary>...until it has waited this long; then it fails.</summary>
    [Range(1, 86_400)]
    public int ConceptReadyDeadlineSeconds { get; set; } = 1800;

    /// <summary>
    /// Generation overlaps receiving and preparing the next batch and storing the last one (the default); false runs one
    /// batch at a time, stage after stage, as <c>elite bench worker</c> compares.
    /// </summary>
    public bool Pipelined { get; set; } = true;

    public bool UseCuda { get; set; } = true;

    /// <summary>
    /// On CUDA, the UNet's inputs that stay the same over the steps (prompt contexts, local embeddings) are bound on the
    /// device once per batch instead of copied every step. Off until the GPU benchmark's binding rows have run on a GPU.
    /// </summary>
    public bool DeviceBinding { get; set; }

    [Range(0, 256)]
    public int IntraOpThreads { get; set; }
}
