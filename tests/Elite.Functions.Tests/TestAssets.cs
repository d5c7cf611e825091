namespace Elite.Functions.Tests;

/// <summary>The repository's <c>assets/</c> (fetched by <c>./run.sh setup</c>), found from the test's output folder.</summary>
internal static class TestAssets
{
    public static string Path(string file)
    {
        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            var candidate = System.IO.Path.Combine(directory.FullName, "assets", file);
            if (File.Exists(candidate)) return candidate;
        }

        throw new FileNotFoundException($"assets/{file}: run ./run.sh setup first.");
    }
}
