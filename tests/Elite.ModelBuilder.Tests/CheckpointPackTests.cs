using Elite.Contracts.Packs;
using System.Runtime.InteropServices;
using Elite.ModelBuilder.Packs;
using Elite.ModelBuilder.Tests.Support;
using Elite.ModelBuilder.Weights;

namespace Elite.ModelBuilder.Tests;

/// <summary>Weights read from checkpoint files land in the graphs exactly as weights made in memory do.</summary>
public sealed class CheckpointPackTests
{
    [Fact]
    public void A_pack_built_from_checkpoint_files_equals_one_built_from_the_same_weights_in_memory()
    {
        var root = Directory.CreateTempSubdirectory("elite-ckpt-");
        try
        {
            var random = new Recording(new RandomWeights(42));
            var fromMemory = PackBuilder.Build(ElitePreset.Tiny, random, "same", Path.Combine(root.FullName, "memory"));

            // The same weights, written as checkpoints split across files the way the real ones are.
            var components = new Dictionary<string, string[]>
            {
                ["unet"] = ["unet"], ["vae"] = ["vae"], ["clip"] = ["clip-text", "clip-vision"],
                ["global_mapper"] = ["global-mapper"], ["local_mapper"] = ["local-mapper"],
            };
            var files = components.Select(file =>
            {
                var path = Path.Combine(root.FullName, file.Key + ".safetensors");
                SafetensorsFile.Write(path, random.Weights.Where(w => file.Value.Contains(w.Weight.Component)).Select(w =>
                    new RawTensor(w.Weight.Name, "F32", w.Weight.Shape, MemoryMarshal.AsBytes(w.Values().AsSpan()).ToArray())));
                return new CheckpointFile(new SafetensorsCheckpoint(path), file.Value, new Dictionary<string, string>());
            }).ToList();

            using var checkpoints = new CheckpointWeights(files);
            var fromFiles = PackBuilder.Build(ElitePreset.Tiny, checkpoints, "same", Path.Combine(root.FullName, "files"));

            Assert.Equal(fromMemory.Files, fromFiles.Files);
            Assert.Equal(fromMemory.Id, fromFiles.Id);
        }
        finally
        {
            root.Delete(recursive: true);
        }
    }

    /// <summary>Remembers every weight the graphs asked for, with its values.</summary>
    private sealed class Recording(IWeightSource inner) : IWeightSource
    {
        public List<(DeclaredWeight Weight, Func<float[]> Values)> Weights { get; } = [];

        public Func<float[]> Values(DeclaredWeight weight, WeightInit init)
        {
            var values = inner.Values(weight, init);
            Weights.Add((weight, values));
            return values;
        }
    }
}
