using Elite.ModelBuilder.Packs;
using Elite.ModelBuilder.Tests.Support;
using Elite.ModelBuilder.Weights;
using Xunit.Abstractions;

namespace Elite.ModelBuilder.Tests;

/// <summary>
/// The sd14-elite architecture reads exactly the real checkpoints' tensors (../shared/reference), less
/// those ELITE never uses, and the loader holds full-size files with those names to that.
/// </summary>
public sealed class RealCheckpointNamesTests(ITestOutputHelper output)
{
    private static readonly WeightCatalog Sd14 = EliteGraphs.Declare(ElitePreset.Sd14Elite);

    /// <summary>What ELITE does not read, and why: written here independently of the builder's own list.</summary>
    private static readonly Dictionary<string, Func<string, string?>> NotUsedByElite = new()
    {
        ["unet"] = name => name.EndsWith(".attn2.to_k.weight", StringComparison.Ordinal) || name.EndsWith(".attn2.to_v.weight", StringComparison.Ordinal)
            ? "SD's cross-attention K/V: ELITE's global K/V (global_mapper.pt) replace them" : null,
        ["vae"] = name => name.StartsWith("encoder.", StringComparison.Ordinal) || name.StartsWith("quant_conv.", StringComparison.Ordinal)
            ? "the encoder half: ELITE starts from noise and only decodes" : null,
        ["clip-text"] = name => name == "text_model.embeddings.position_ids" ? "a persistent arange buffer, not a weight" : null,
        ["clip-vision"] = name => name switch
        {
            "vision_model.embeddings.position_ids" => "a persistent arange buffer, not a weight",
            "vision_model.post_layernorm.weight" or "vision_model.post_layernorm.bias" => "normalises the pooled output only; ELITE takes hidden states",
            _ => null,
        },
        ["global-mapper"] = _ => null,
        ["local-mapper"] = _ => null,
    };

    public static TheoryData<string, string> Components => new()
    {
        { "unet", "sd-v1-4-unet.tsv" },
        { "vae", "sd-v1-4-vae.tsv" },
        { "clip-text", "clip-vit-large-patch14-text.tsv" },
        { "clip-vision", "clip-vit-large-patch14-vision.tsv" },
        { "global-mapper", "elite-global-mapper.tsv" },
        { "local-mapper", "elite-local-mapper.tsv" },
    };

    [Theory]
    [MemberData(nameof(Components))]
    public void Read_tensors_are_the_reference_less_what_elite_does_not_use(string component, string manifest)
    {
        var reference = ReferenceManifest.Read(manifest);
        var notUsed = reference.Where(t => NotUsedByElite[component](t.Name) is not null).ToList();
        var read = Sd14.Used.Where(w => w.Component == component).Select(w => new ReferenceTensor(w.Name, w.Shape, "f32").Row).Order(StringComparer.Ordinal);

        Assert.Equal(reference.Except(notUsed).Select(t => t.Row).Order(StringComparer.Ordinal), read);
        Assert.Equal(
            notUsed.Select(t => t.Name).Order(StringComparer.Ordinal),
            Sd14.Unused.Where(u => u.Weight.Component == component).Select(u => u.Weight.Name).Order(StringComparer.Ordinal));

        var parameters = Sd14.Used.Where(w => w.Component == component).Sum(w => w.Shape.Aggregate(1L, (a, b) => a * b));
        output.WriteLine($"{component}: {reference.Count} tensors in the checkpoint, {reference.Count - notUsed.Count} read ({parameters:N0} parameters), {notUsed.Count} not used:");
        foreach (var reason in notUsed.GroupBy(t => NotUsedByElite[component](t.Name))) output.WriteLine($"  {reason.Count()} × {reason.Key}");
    }

    [Theory]
    [MemberData(nameof(Components))]
    public void Weights_listing_equals_the_reference(string component, string manifest)
    {
        var listing = Sd14.Listing(component).Select(w => $"{w.Name}\t{string.Join(",", w.Shape)}\t{(w.Type == TensorType.Int64 ? "i64" : "f32")}");
        Assert.Equal(ReferenceManifest.Read(manifest).Select(t => t.Row), listing);
    }

    [Fact]
    public void Loader_accepts_full_size_checkpoints_with_the_real_names()
    {
        using var files = new RealCheckpoints();
        using var weights = new CheckpointWeights(files.Files);
        weights.Verify(Sd14);
    }

    [Fact]
    public void Loader_accepts_the_newer_diffusers_names_of_the_vae_attention()
    {
        using var files = new RealCheckpoints(vae: t => t with { Name = t.Name.Replace("attentions.0.query.", "attentions.0.to_q.").Replace("attentions.0.proj_attn.", "attentions.0.to_out.0.") });
        using var weights = new CheckpointWeights(files.Files);
        weights.Verify(Sd14);
    }

    [Fact]
    public void Loader_lists_every_missing_unexpected_and_misshaped_tensor_in_one_message()
    {
        using var files = new RealCheckpoints(
            unet: t => t.Name == "mid_block.resnets.0.conv1.weight" ? null : t,
            vae: t => t.Name == "decoder.conv_in.weight" ? t with { Shape = [512, 4, 1, 1] } : t,
            clip: t => t.Name == "text_model.final_layer_norm.bias" ? t with { Name = "text_model.final_layer_norm.beta" } : t,
            globalMapper: t => t.Name == "mapping_0.0.weight" ? null : t);
        using var weights = new CheckpointWeights(files.Files);

        var error = Assert.Throws<CheckpointMismatchException>(() => weights.Verify(Sd14)).Message;

        Assert.Contains("missing (1):\n    mid_block.resnets.0.conv1.weight [1280,1280,3,3]", error);
        Assert.Contains("mis-shaped (1):\n    decoder.conv_in.weight: expected [512,4,3,3], found [512,4,1,1]", error);
        Assert.Contains("missing (1):\n    text_model.final_layer_norm.bias [768]", error);
        Assert.Contains("unexpected (1):\n    text_model.final_layer_norm.beta", error);
        Assert.Contains("missing (1):\n    mapping_0.0.weight [1024,1024]", error);
        Assert.DoesNotContain("local_mapper", error);
    }

    /// <summary>
    /// Full-size checkpoints with the reference names and shapes: safetensors files with the real
    /// headers whose data are holes (no disk used), and the two ELITE .pt files as listings, each
    /// optionally altered tensor by tensor (null drops one).
    /// </summary>
    private sealed class RealCheckpoints : IDisposable
    {
        private readonly DirectoryInfo directory = Directory.CreateTempSubdirectory("elite-real-");
        private readonly List<ICheckpoint> opened = [];

        public RealCheckpoints(
            Func<ReferenceTensor, ReferenceTensor?>? unet = null,
            Func<ReferenceTensor, ReferenceTensor?>? vae = null,
            Func<ReferenceTensor, ReferenceTensor?>? clip = null,
            Func<ReferenceTensor, ReferenceTensor?>? globalMapper = null)
        {
            Func<ReferenceTensor, ReferenceTensor?> same = t => t;
            var clipTensors = new[] { "clip-vit-large-patch14-text.tsv", "clip-vit-large-patch14-vision.tsv", "clip-vit-large-patch14-extra.tsv" }.SelectMany(ReferenceManifest.Read);
            var clipFile = Safetensors("clip", clipTensors, clip ?? same);
            Files =
            [
                new(Safetensors("unet", ReferenceManifest.Read("sd-v1-4-unet.tsv"), unet ?? same), ["unet"], new Dictionary<string, string>()),
                new(Safetensors("vae", ReferenceManifest.Read("sd-v1-4-vae.tsv"), vae ?? same), ["vae"], new Dictionary<string, string>()),
                new(clipFile, ["clip-text", "clip-vision"], new Dictionary<string, string> { ["logit_scale"] = "", ["text_projection.weight"] = "", ["visual_projection.weight"] = "" }),
                new(Listed("global_mapper.pt", ReferenceManifest.Read("elite-global-mapper.tsv"), globalMapper ?? same), ["global-mapper"], new Dictionary<string, string>()),
                new(Listed("local_mapper.pt", ReferenceManifest.Read("elite-local-mapper.tsv"), same), ["local-mapper"], new Dictionary<string, string>()),
            ];
        }

        public IReadOnlyList<CheckpointFile> Files { get; }

        public void Dispose()
        {
            foreach (var checkpoint in opened) checkpoint.Dispose();
            directory.Delete(recursive: true);
        }

        private SafetensorsCheckpoint Safetensors(string name, IEnumerable<ReferenceTensor> tensors, Func<ReferenceTensor, ReferenceTensor?> alter)
        {
            var path = Path.Combine(directory.FullName, name + ".safetensors");
            SafetensorsFile.Write(path, tensors.Select(alter).OfType<ReferenceTensor>().Select(t => new RawTensor(t.Name, t.Dtype == "i64" ? "I64" : "F32", t.Shape)));
            var checkpoint = new SafetensorsCheckpoint(path);
            opened.Add(checkpoint);
            return checkpoint;
        }

        private static ListedCheckpoint Listed(string name, IEnumerable<ReferenceTensor> tensors, Func<ReferenceTensor, ReferenceTensor?> alter) =>
            new(name, tensors.Select(alter).OfType<ReferenceTensor>().ToDictionary(t => t.Name, t => new CheckpointTensor(t.Name, t.Shape, TensorType.Float32, () => new float[t.Shape.Aggregate(1L, (a, b) => a * b)])));

        private sealed record ListedCheckpoint(string Path, IReadOnlyDictionary<string, CheckpointTensor> Tensors) : ICheckpoint
        {
            public void Dispose()
            {
            }
        }
    }
}
