namespace Elite.Cli.Tests;

/// <summary>A tiny model pack built once through <c>elite models build</c>.</summary>
public sealed class TinyPack : IDisposable
{
    private readonly DirectoryInfo directory = System.IO.Directory.CreateTempSubdirectory("elite-cli-tiny-");

    public TinyPack()
    {
        var result = Cli.RunAsync("models", "build", "--preset", "tiny", "--out", directory.FullName).GetAwaiter().GetResult();
        Assert.Equal(0, result.ExitCode);
    }

    public string Directory => directory.FullName;

    public void Dispose() => directory.Delete(recursive: true);
}
