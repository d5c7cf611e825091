namespace Elite.Infra.Tests;

/// <summary>Every Bicep file compiles and lints with the Bicep CLI from NuGet, with no error, warning or info.</summary>
[Collection(CompiledInfraCollection.Name)]
public sealed class BicepCompileAndLintTests(CompiledInfra infra)
{
    [Fact]
    public void The_bicep_cli_is_the_pinned_version_from_NuGet()
    {
        var result = BicepCli.Run("--version");
        Assert.Equal(0, result.ExitCode);
        Assert.Contains("Bicep CLI version 0.49.2", result.Output, StringComparison.Ordinal);
        Assert.Contains($"{Path.DirectorySeparatorChar}azure.bicep.commandline.linux-x64{Path.DirectorySeparatorChar}0.49.2{Path.DirectorySeparatorChar}",
            Repository.BicepExecutable, StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public void Every_bicep_file_builds_without_diagnostics()
    {
        var files = CompiledInfra.BicepFiles.ToList();
        Assert.Contains(files, f => f.EndsWith($"infra{Path.DirectorySeparatorChar}main.bicep", StringComparison.Ordinal));
        Assert.True(infra.Build.ExitCode == 0, $"bicep build: {infra.Build}");
        Assert.True(infra.Build.Diagnostics.Count == 0, $"bicep build reported:\n{string.Join('\n', infra.Build.Diagnostics)}");
        foreach (var file in files)
        {
            var compiled = Path.Combine(infra.OutputDirectory, Path.ChangeExtension(Path.GetRelativePath(Repository.Infra, file), ".json"));
            Assert.True(File.Exists(compiled), $"{file} produced no {compiled}");
        }
    }

    [Fact]
    public void Every_bicep_file_lints_without_diagnostics()
    {
        Assert.True(infra.Lint.ExitCode == 0, $"bicep lint: {infra.Lint}");
        Assert.True(infra.Lint.Diagnostics.Count == 0, $"bicep lint reported:\n{string.Join('\n', infra.Lint.Diagnostics)}");
    }

    [Fact]
    public void The_linter_runs_with_the_project_configuration_and_fails_on_a_warning()
    {
        // Guards the two tests above: a file with problems must be reported (the rules are not silenced).
        var dir = Directory.CreateTempSubdirectory("elite-lint-probe-").FullName;
        try
        {
            var probe = Path.Combine(dir, "probe.bicep");
            File.WriteAllText(probe, "param unused string\nvar alsoUnused = 1\nresource typo 'Microsoft.Storage/storageAcounts@2025-06-01' = { name: 'x' }\n");
            var result = BicepCli.Run("lint", probe, "--config", Path.Combine(Repository.Infra, "bicepconfig.json"));
            Assert.NotEqual(0, result.ExitCode);
            Assert.Contains(result.Diagnostics, d => d.Contains("no-unused-params", StringComparison.Ordinal));
            Assert.Contains(result.Diagnostics, d => d.Contains("no-unused-vars", StringComparison.Ordinal));
            // A warning alone does not change bicep's exit code: the tests above count diagnostics, not exit codes.
            Assert.Contains(result.Diagnostics, d => d.Contains("Warning BCP081", StringComparison.Ordinal));
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }
}
