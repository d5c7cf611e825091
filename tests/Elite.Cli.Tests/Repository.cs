namespace Elite.Cli.Tests;

/// <summary>The checkout the tests run in: the folder that holds run.sh, above the test binaries.</summary>
internal static class Repository
{
    public static string Root { get; } = Find();

    private static string Find()
    {
        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            if (File.Exists(Path.Combine(directory.FullName, "run.sh"))) return directory.FullName;
        }

        throw new DirectoryNotFoundException("run.sh not found above the test binaries.");
    }
}
