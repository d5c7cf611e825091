using Elite.Inference.Runtime;
using Elite.ModelBuilder.Packs;
using Elite.ModelBuilder.Weights;

namespace Elite.Inference.Tests;

/// <summary>A tiny model pack built once for the test class and loaded on the CPU.</summary>
public sealed class TinyModels : IDisposable
{
    private readonly DirectoryInfo directory = System.IO.Directory.CreateTempSubdirectory("elite-inference-tiny-");

    public TinyModels()
    {
        PackBuilder.Build(ElitePreset.Tiny, new RandomWeights(7), "random (seed 7)", directory.FullName);
        Models = EliteModels.Load(directory.FullName, new ExecutionOptions { UseCuda = false }, verifyChecksums: true);
    }

    public EliteModels Models { get; }
    public string Directory => directory.FullName;

    public void Dispose()
    {
        Models.Dispose();
        directory.Delete(recursive: true);
    }
}
