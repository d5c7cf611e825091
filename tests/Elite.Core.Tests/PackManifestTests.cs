using Elite.Contracts.Packs;

namespace Elite.Core.Tests;

/// <summary>The runtime reads the manifest's settings, so a manifest that disagrees with its preset is refused when loaded.</summary>
public sealed class PackManifestTests : IDisposable
{
    private readonly DirectoryInfo _pack = Directory.CreateTempSubdirectory("elite-manifest-");

    private static PackManifest Manifest(string preset = PackPresets.Tiny) => new(
        PackManifest.CurrentFormatVersion, "tiny-0123", preset, "float32", 21, "random",
        new PackDimensions(32, 77, 32, 224, 256, 32, 4, 64, 512),
        new Dictionary<string, PackGraph>(), [],
        PackSettings.StableDiffusionV14.Tokenizer, PackSettings.StableDiffusionV14.Normalization, PackSettings.StableDiffusionV14.Scheduler);

    [Fact]
    public void A_manifest_as_the_builder_writes_it_loads_with_its_settings()
    {
        Manifest().Save(_pack.FullName);

        var loaded = PackManifest.Load(_pack.FullName);

        Assert.Empty(loaded.Disagreements());
        Assert.Equal(PackSettings.StableDiffusionV14.Normalization.ClipMean, loaded.Normalization.ClipMean);
        Assert.Equal(PackSettings.StableDiffusionV14.Scheduler, loaded.Scheduler);
    }

    [Fact]
    public void A_manifest_that_disagrees_with_its_preset_or_names_an_unknown_one_is_refused_with_what_differs()
    {
        var settings = PackSettings.StableDiffusionV14;
        (Manifest() with { Normalization = settings.Normalization with { ClipMean = [0.5f, 0.5f, 0.5f] } }).Save(_pack.FullName);
        var wrongMean = Assert.Throws<InvalidDataException>(() => PackManifest.Load(_pack.FullName)).Message;
        Assert.Contains("tiny-0123", wrongMean);
        Assert.Contains("its normalization is", wrongMean);
        Assert.Contains("0.5", wrongMean);

        (Manifest() with { Tokenizer = settings.Tokenizer with { Pad = 0 }, Scheduler = settings.Scheduler with { BetaEnd = 0.02 } }).Save(_pack.FullName);
        var two = Assert.Throws<InvalidDataException>(() => PackManifest.Load(_pack.FullName)).Message;
        Assert.Contains("its tokenizer is", two);
        Assert.Contains("its scheduler is", two);

        Manifest("sd21").Save(_pack.FullName);
        Assert.Contains("preset 'sd21' is unknown", Assert.Throws<InvalidDataException>(() => PackManifest.Load(_pack.FullName)).Message);
    }

    public void Dispose() => _pack.Delete(recursive: true);
}
