using Elite.Contracts.Packs;
using Elite.Inference.Runtime;
using Elite.ModelBuilder.Packs;
using Elite.ModelBuilder.Weights;

namespace Elite.Inference.Tests;

/// <summary>A tiny model pack as the builder makes it by default, built once for the test class and loaded on the CPU.</summary>
public class TinyModels : IDisposable
{
    private readonly DirectoryInfo directory = System.IO.Directory.CreateTempSubdirectory("elite-inference-tiny-");

    public TinyModels()
        : this(PackBuilder.DefaultAttention)
    {
    }

    protected TinyModels(AttentionKind attention)
    {
        PackBuilder.Build(ElitePreset.Tiny, new RandomWeights(7), "random (seed 7)", directory.FullName, attention: attention);
        Models = EliteModels.Load(directory.FullName, new ExecutionOptions { UseCuda = false }, verifyChecksums: true);
    }

    public EliteModels Models { get; }
    public string Directory => directory.FullName;

    public void Dispose()
    {
        Models.Dispose();
        directory.Delete(recursive: true);
        GC.SuppressFinalize(this);
    }
}

/// <summary>The same tiny pack (same weights) with explicit attention everywhere.</summary>
public sealed class ExplicitTinyModels() : TinyModels(AttentionKind.Explicit);
