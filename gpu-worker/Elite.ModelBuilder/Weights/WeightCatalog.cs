using Elite.ModelBuilder.Graph;

namespace Elite.ModelBuilder.Weights;

/// <summary>How a weight is initialised when a pack is built with random weights.</summary>
public enum WeightInit
{
    /// <summary>Linear and conv kernels: uniform in ±1/sqrt(fan-in), as PyTorch does by default.</summary>
    FanIn,
    Bias,
    NormScale,
    NormBias,
    Embedding,
}

/// <summary>A checkpoint tensor the architectures read: component, name, PyTorch-order shape.</summary>
public sealed record DeclaredWeight(string Component, string Name, long[] Shape, TensorType Type = TensorType.Float32);

/// <summary>A checkpoint tensor ELITE does not use, and why; a loader accepts it and nothing else unread.</summary>
public sealed record UnusedWeight(DeclaredWeight Weight, string Reason);

/// <summary>Where weight values come from: a seeded generator, or the real checkpoint files.</summary>
public interface IWeightSource
{
    /// <summary>Values of one weight, produced when the model is written.</summary>
    Func<float[]> Values(DeclaredWeight weight, WeightInit init);
}

/// <summary>
/// Every checkpoint tensor the graphs read, per component, recorded while the graphs are built:
/// the one list that the checkpoint loader checks and <c>elite models weights</c> prints.
/// </summary>
public sealed class WeightCatalog(IWeightSource source)
{
    private readonly Dictionary<(string Component, string Name), DeclaredWeight> used = [];
    private readonly Dictionary<(string Component, string Name), UnusedWeight> unused = [];

    public IWeightSource Source { get; } = source;

    public IEnumerable<DeclaredWeight> Used => used.Values;

    public IEnumerable<UnusedWeight> Unused => unused.Values;

    /// <summary>Every tensor a component's checkpoint holds: those read and those accepted unread, in ordinal name order.</summary>
    public IReadOnlyList<DeclaredWeight> Listing(string component) =>
        [.. Used.Concat(Unused.Select(u => u.Weight)).Where(w => w.Component == component).OrderBy(w => w.Name, StringComparer.Ordinal)];

    /// <summary>The weights of one component, as seen from one graph.</summary>
    public ComponentWeights For(string component, GraphBuilder graph, string initializerPrefix = "") => new(this, component, graph, initializerPrefix);

    internal Tensor Get(ComponentWeights weights, string name, long[] shape, WeightInit init)
    {
        var weight = new DeclaredWeight(weights.Component, name, shape);
        if (used.TryGetValue((weights.Component, name), out var existing) && !existing.Shape.SequenceEqual(shape))
        {
            throw new GraphShapeException($"{weights.Component} weight {name} is read with shapes [{existing.Shape.JoinShape()}] and [{shape.JoinShape()}]");
        }

        used[(weights.Component, name)] = weight;
        return weights.Graph.Weight(weights.InitializerPrefix + name, shape, Source.Values(weight, init));
    }

    internal void DeclareUnused(string component, string name, long[] shape, string reason, TensorType type) =>
        unused[(component, name)] = new UnusedWeight(new DeclaredWeight(component, name, shape, type), reason);
}

/// <summary>One component's weights for one graph: the handle the architectures ask for their parameters.</summary>
public sealed class ComponentWeights(WeightCatalog catalog, string component, GraphBuilder graph, string initializerPrefix)
{
    public string Component { get; } = component;
    public GraphBuilder Graph { get; } = graph;

    /// <summary>Prefix of the graph initializers' names, where two components use the same tensor names (ELITE's two mappers).</summary>
    public string InitializerPrefix { get; } = initializerPrefix;

    public Tensor Get(string name, WeightInit init, params long[] shape) => catalog.Get(this, name, shape, init);

    /// <summary>Records a tensor of the checkpoint that ELITE does not read, so that loading accepts it.</summary>
    public void Unused(string name, string reason, params long[] shape) => catalog.DeclareUnused(Component, name, shape, reason, TensorType.Float32);

    public void UnusedBuffer(string name, string reason, params long[] shape) => catalog.DeclareUnused(Component, name, shape, reason, TensorType.Int64);
}

internal static class ShapeText
{
    public static string JoinShape(this long[] shape) => string.Join(",", shape);
}
