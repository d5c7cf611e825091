using System.Security.Cryptography;
using System.Text.Json;
using System.Text.Json.Serialization;
using Elite.Contracts.Generation;

namespace Elite.Contracts.Packs;

/// <summary>A file of a model pack, with the checksum the worker verifies before taking work.</summary>
public sealed record PackFile(string Name, string Sha256, long Bytes);

/// <summary>One graph of a pack: its ONNX file and, past 1 GB of weights, its external data file.</summary>
public sealed record PackGraph(string File, string? ExternalData, long Parameters);

/// <summary>The sizes the runtime needs to shape its inputs.</summary>
public sealed record PackDimensions(
    int TextHidden,
    int TextTokens,
    int VisionHidden,
    int ImageSize,
    int Patches,
    int CrossAttentionDim,
    int LatentChannels,
    int LatentSize,
    int OutputImageSize);

/// <summary>CLIP tokenizer settings (the vocabulary file itself comes from the project's assets).</summary>
public sealed record PackTokenizer(string Vocabulary, int Bos, int Eos, int Pad, int MaxLength);

/// <summary>Pixel normalisation of the CLIP input and the VAE latent scale.</summary>
public sealed record PackNormalization(float[] ClipMean, float[] ClipStd, float VaeScale);

/// <summary>The training noise schedule the UNet was trained with, and the default sampler and settings of a generation.</summary>
public sealed record PackScheduler(SchedulerKind Name, double BetaStart, double BetaEnd, string BetaSchedule, int TrainTimesteps, int Steps, float Guidance, float Lambda);

/// <summary><c>manifest.json</c> of a model pack; a manifest written before <see cref="Attention"/> was recorded describes explicit graphs.</summary>
public sealed record PackManifest(
    int FormatVersion,
    string Id,
    string Preset,
    string Dtype,
    int Opset,
    string Weights,
    PackDimensions Dimensions,
    IReadOnlyDictionary<string, PackGraph> Graphs,
    IReadOnlyList<PackFile> Files,
    PackTokenizer Tokenizer,
    PackNormalization Normalization,
    PackScheduler Scheduler,
    AttentionKind Attention = AttentionKind.Explicit)
{
    public const string FileName = "manifest.json";
    public const int CurrentFormatVersion = 1;

    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web)
    {
        WriteIndented = true,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    };

    public void Save(string directory) => File.WriteAllText(Path.Combine(directory, FileName), JsonSerializer.Serialize(this, Json));

    /// <summary>Reads a pack's manifest; one whose settings disagree with the preset it names is refused.</summary>
    /// <exception cref="InvalidDataException">The manifest is empty, names an unknown preset, or disagrees with it.</exception>
    public static PackManifest Load(string directory)
    {
        var path = Path.Combine(directory, FileName);
        if (!File.Exists(path)) throw new FileNotFoundException($"{directory} is not a model pack: it has no {FileName}.", path);
        var manifest = JsonSerializer.Deserialize<PackManifest>(File.ReadAllText(path), Json)
            ?? throw new InvalidDataException($"{path} is empty.");
        var disagreements = manifest.Disagreements();
        if (disagreements.Count > 0)
            throw new InvalidDataException($"model pack {manifest.Id} in {directory} is refused: {string.Join("; ", disagreements)}.");
        return manifest;
    }

    /// <summary>Checks every file of the pack in <paramref name="directory"/> against this manifest's sha256; throws listing the files that differ.</summary>
    public void VerifyFiles(string directory)
    {
        var damaged = Files.Where(file =>
        {
            var path = Path.Combine(directory, file.Name);
            if (!File.Exists(path)) return true;
            using var stream = File.OpenRead(path);
            return Convert.ToHexStringLower(SHA256.HashData(stream)) != file.Sha256;
        }).Select(f => f.Name).ToList();
        if (damaged.Count > 0) throw new InvalidDataException($"model pack {Id} in {directory} is damaged: {string.Join(", ", damaged)} missing or not matching the manifest's sha256.");
    }

    /// <summary>Where this manifest's runtime settings differ from those of its preset (none for a pack the builder wrote).</summary>
    public IReadOnlyList<string> Disagreements()
    {
        if (!PackPresets.TryGetSettings(Preset, out var expected))
            return [$"its preset '{Preset}' is unknown (known: {string.Join(", ", PackPresets.Names)})"];
        return
        [
            .. Differ("tokenizer", Tokenizer, expected.Tokenizer),
            .. Differ("normalization", Normalization, expected.Normalization),
            .. Differ("scheduler", Scheduler, expected.Scheduler),
        ];
    }

    // Compared as JSON: the manifest's own form, exact for floats (they round-trip) and for the arrays inside.
    private static IEnumerable<string> Differ<T>(string section, T actual, T expected)
    {
        string written = JsonSerializer.Serialize(actual, Json), wanted = JsonSerializer.Serialize(expected, Json);
        if (written != wanted) yield return $"its {section} is {Compact(written)}, but preset packs use {Compact(wanted)}";
    }

    private static string Compact(string json) => JsonSerializer.Serialize(JsonDocument.Parse(json).RootElement);
}
