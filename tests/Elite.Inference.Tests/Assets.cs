namespace Elite.Inference.Tests;

/// <summary>The project's fetched assets (./run.sh setup puts them in assets/ at the repository root).</summary>
internal static class Assets
{
    public static string Path(string file)
    {
        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            var candidate = System.IO.Path.Combine(directory.FullName, "assets", file);
            if (File.Exists(candidate)) return candidate;
        }

        throw new FileNotFoundException($"assets/{file} not found above {AppContext.BaseDirectory}: run ./run.sh setup first.");
    }
}
