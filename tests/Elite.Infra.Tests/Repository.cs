using System.Reflection;

namespace Elite.Infra.Tests;

/// <summary>Paths in the repository the tests run from, and the Bicep CLI restored from NuGet.</summary>
public static class Repository
{
    public static string Root { get; } = FindRoot();

    public static string Infra => Path.Combine(Root, "infra");

    /// <summary>tools/bicep of the Azure.Bicep.CommandLine.linux-x64 package (its folder is written into this assembly at build time).</summary>
    public static string BicepExecutable { get; } = Path.Combine(
        typeof(Repository).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>()
            .Single(a => a.Key == "BicepPackageDirectory").Value
            ?? throw new InvalidOperationException("The Bicep package folder is not recorded in the test assembly."),
        "tools",
        "bicep");

    private static string FindRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Elite.Pipeline.sln"))) return dir.FullName;
        }

        throw new InvalidOperationException($"No Elite.Pipeline.sln above {AppContext.BaseDirectory}.");
    }
}
