using Elite.ModelBuilder.Weights;

namespace Elite.ModelBuilder.Tests.Support;

/// <summary>
/// One PyTorch parity fixture (Fixtures/parity/*.safetensors, written by Fixtures/generate_fixtures.py):
/// weights under module-relative checkpoint names, <c>input.*</c> and <c>output.*</c> tensors, and the
/// block's config in the metadata.
/// </summary>
internal sealed class ParityFixture : IDisposable
{
    private readonly SafetensorsCheckpoint file;

    public ParityFixture(string block) =>
        file = new SafetensorsCheckpoint(Path.Combine(AppContext.BaseDirectory, "Fixtures", "parity", block + ".safetensors"));

    public int Config(string key) => int.Parse(file.Metadata[key], System.Globalization.CultureInfo.InvariantCulture);

    /// <summary>The fixture's weights, found by the builder's checkpoint names less <paramref name="modulePrefix"/> (the block's own name in the test graph).</summary>
    public IWeightSource Weights(string modulePrefix) => new FixtureWeights(file, modulePrefix);

    public IReadOnlyDictionary<string, Feed> Inputs() =>
        file.Tensors.Values.Where(t => t.Name.StartsWith("input.", StringComparison.Ordinal)).ToDictionary(
            t => t.Name["input.".Length..],
            t => t.Type == TensorType.Int64
                ? Feed.Int64s([.. t.ReadFloats().Select(v => (long)v)], [.. t.Shape.Select(d => (int)d)])
                : Feed.Floats(t.ReadFloats(), [.. t.Shape.Select(d => (int)d)]));

    public float[] Expected(string output) => file.Tensors["output." + output].ReadFloats();

    public long[] ExpectedShape(string output) => file.Tensors["output." + output].Shape;

    public void Dispose() => file.Dispose();

    /// <summary>
    /// Maps a builder's weight name to the fixture's: the block prefix is removed; ELITE's K/V, which
    /// the builder reads from the mapper components with flattened names, are stored as
    /// <c>global_mapper:…</c> / <c>local_mapper:…</c>.
    /// </summary>
    private sealed class FixtureWeights(SafetensorsCheckpoint file, string modulePrefix) : IWeightSource
    {
        public Func<float[]> Values(DeclaredWeight weight, WeightInit init)
        {
            var name = weight.Name.StartsWith(modulePrefix, StringComparison.Ordinal) || weight.Name.StartsWith(modulePrefix.Replace('.', '_'), StringComparison.Ordinal)
                ? weight.Name[modulePrefix.Length..]
                : weight.Name;
            var key = file.Tensors.ContainsKey(name) ? name : weight.Component.Replace('-', '_') + ":" + name;
            if (!file.Tensors.TryGetValue(key, out var tensor)) throw new KeyNotFoundException($"fixture {file.Path} has no {key} (builder asked for {weight.Component} {weight.Name})");
            Assert.Equal(tensor.Shape, weight.Shape);
            return tensor.ReadFloats;
        }
    }
}
