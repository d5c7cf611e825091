using System.Text.Json;
using System.Text.Json.Serialization;

namespace Elite.Inference.Packs;

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

/// <summary>The LMS scheduler of SD v1.4 with ELITE's generation defaults.</summary>
public sealed record PackScheduler(string Name, float BetaStart, float BetaEnd, string BetaSchedule, int TrainTimesteps, int Steps, float Guidance, float Lambda);

/// <summary><c>manifest.json</c> of a model pack.</summary>
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
    PackScheduler Scheduler)
{
    public const string FileName = "manifest.json";
    public const int CurrentFormatVersion = 1;

    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web)
    {
        WriteIndented = true,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    };

    public void Save(string directory) => File.WriteAllText(Path.Combine(directory, FileName), JsonSerializer.Serialize(this, Json));

    public static PackManifest Load(string directory)
    {
        var path = Path.Combine(directory, FileName);
        if (!File.Exists(path)) throw new FileNotFoundException($"{directory} is not a model pack: it has no {FileName}.", path);
        return JsonSerializer.Deserialize<PackManifest>(File.ReadAllText(path), Json)
            ?? throw new InvalidDataException($"{path} is empty.");
    }
}
