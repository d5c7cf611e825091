namespace Elite.ModelBuilder.Tests.Support;

/// <summary>A row of ../shared/reference/*.tsv: a tensor of a real checkpoint.</summary>
internal sealed record ReferenceTensor(string Name, long[] Shape, string Dtype)
{
    public string Row => $"{Name}\t{string.Join(",", Shape)}\t{Dtype}";
}

/// <summary>The reference manifests of the real checkpoints (names, shapes and dtypes, no weights), copied beside the tests.</summary>
internal static class ReferenceManifest
{
    public static IReadOnlyList<ReferenceTensor> Read(string file)
    {
        var path = Path.Combine(AppContext.BaseDirectory, "Reference", file);
        Assert.True(File.Exists(path), $"{path} is missing: the tests read ../shared/reference beside the repository.");
        return [.. File.ReadLines(path).Skip(1).Where(l => l.Length > 0).Select(line =>
        {
            var parts = line.Split('\t');
            long[] shape = parts[1].Length == 0 ? [] : [.. parts[1].Split(',').Select(long.Parse)];
            return new ReferenceTensor(parts[0], shape, parts[2]);
        })];
    }
}
