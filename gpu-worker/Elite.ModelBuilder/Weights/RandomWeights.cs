using System.Text;

namespace Elite.ModelBuilder.Weights;

/// <summary>
/// Deterministic random weights: each tensor's values depend only on the seed, its component and its
/// name, not on build order. Scaled like PyTorch's default initialisation (fan-in uniform kernels,
/// norms near one), so activations stay finite through the full depth of every graph.
/// </summary>
public sealed class RandomWeights(ulong seed) : IWeightSource
{
    public Func<float[]> Values(DeclaredWeight weight, WeightInit init) => () => Generate(weight, init);

    private float[] Generate(DeclaredWeight weight, WeightInit init)
    {
        var count = weight.Shape.Aggregate(1L, (a, b) => a * b);
        var fanIn = weight.Shape.Skip(1).Aggregate(1L, (a, b) => a * b);
        var (centre, halfWidth) = init switch
        {
            WeightInit.FanIn => (0f, 1f / MathF.Sqrt(fanIn)),
            WeightInit.Bias => (0f, 0.02f),
            WeightInit.NormScale => (1f, 0.05f),
            WeightInit.NormBias => (0f, 0.02f),
            WeightInit.Embedding => (0f, 0.035f), // standard deviation about 0.02, as CLIP's embeddings
            _ => throw new ArgumentOutOfRangeException(nameof(init)),
        };
        var state = Hash(seed, weight.Component, weight.Name);
        var values = new float[count];
        for (var i = 0; i < values.Length; i++)
        {
            values[i] = centre + halfWidth * ((2f * NextUnit(ref state)) - 1f);
        }

        return values;
    }

    /// <summary>SplitMix64, mapped to [0, 1).</summary>
    private static float NextUnit(ref ulong state)
    {
        var z = state += 0x9E3779B97F4A7C15UL;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        z ^= z >> 31;
        return (z >> 40) * (1f / (1 << 24));
    }

    /// <summary>FNV-1a over the seed, component and name.</summary>
    private static ulong Hash(ulong seed, string component, string name)
    {
        var hash = 14695981039346656037UL ^ seed;
        foreach (var b in Encoding.UTF8.GetBytes(component + "\n" + name))
        {
            hash = (hash ^ b) * 1099511628211UL;
        }

        return hash;
    }
}
