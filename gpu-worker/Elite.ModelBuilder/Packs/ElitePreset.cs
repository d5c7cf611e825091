using Elite.Contracts.Packs;
using Elite.ModelBuilder.Architectures;

namespace Elite.ModelBuilder.Packs;

/// <summary>The sizes of every ELITE graph, named.</summary>
public sealed record ElitePreset(string Name, ClipTextConfig Text, ClipVisionConfig Vision, MapperConfig Mapper, UNetConfig UNet, VaeConfig Vae)
{
    /// <summary>
    /// The real model: SD v1.4 UNet and VAE, CLIP ViT-L/14 text (768 wide, 12 layers) and vision
    /// (1024 wide, 24 layers) towers, ELITE's mappers from 1024 to 768.
    /// </summary>
    public static ElitePreset Sd14Elite { get; } = new(
        PackPresets.Sd14Elite,
        new ClipTextConfig(new ClipEncoderConfig(HiddenSize: 768, Heads: 12, IntermediateSize: 3072, Layers: 12)),
        new ClipVisionConfig(new ClipEncoderConfig(HiddenSize: 1024, Heads: 16, IntermediateSize: 4096, Layers: 24)),
        new MapperConfig(InputDim: 1024, OutputDim: 768, Tokens: 257),
        new UNetConfig([320, 640, 1280, 1280]),
        new VaeConfig([128, 256, 512, 512]));

    /// <summary>
    /// The same graphs at small widths, for tests and the demo: every block type, all 16 ELITE attn2
    /// layers, the real tokenizer vocabulary, 224-pixel CLIP input with 256 patches, 64×64 latents and
    /// 512×512 images. Depths stay real where ELITE's indices need them (24 vision layers).
    /// </summary>
    public static ElitePreset Tiny { get; } = new(
        PackPresets.Tiny,
        new ClipTextConfig(new ClipEncoderConfig(HiddenSize: 32, Heads: 2, IntermediateSize: 128, Layers: 12)),
        new ClipVisionConfig(new ClipEncoderConfig(HiddenSize: 32, Heads: 2, IntermediateSize: 128, Layers: 24)),
        new MapperConfig(InputDim: 32, OutputDim: 32, Tokens: 257),
        new UNetConfig([32, 64, 128, 128], Heads: 1, CrossAttentionDim: 32, NormGroups: 8),
        new VaeConfig([16, 32, 32, 32], NormGroups: 8));

    public static IReadOnlyList<ElitePreset> All { get; } = [Tiny, Sd14Elite];

    public static ElitePreset Named(string name) =>
        All.FirstOrDefault(p => p.Name == name)
        ?? throw new ArgumentException($"unknown preset '{name}'; known: {string.Join(", ", All.Select(p => p.Name))}");
}
