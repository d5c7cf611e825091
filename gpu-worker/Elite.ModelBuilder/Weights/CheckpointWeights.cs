using System.Text;
using Elite.ModelBuilder.Architectures;

namespace Elite.ModelBuilder.Weights;

/// <summary>
/// A checkpoint file and the components that read it. OpenAI's CLIP file holds both towers (each
/// component leaves the other's tensors alone) plus tensors neither reads.
/// </summary>
public sealed record CheckpointFile(ICheckpoint Checkpoint, IReadOnlyList<string> Components, IReadOnlyDictionary<string, string> OtherUnused);

/// <summary>The real weights: SD v1.4 (diffusers layout), OpenAI CLIP ViT-L/14 and ELITE's two mapper files.</summary>
public sealed class CheckpointWeights : IWeightSource, IDisposable
{
    private const string ClipHeadsOnly = "CLIP's contrastive projection heads; ELITE uses the towers' hidden states";

    // diffusers >= 0.17 saves the VAE's attention under new names; SD v1-4's own file has the old ones.
    private static readonly (string Old, string New)[] VaeAttentionRenames =
        [(".query.", ".to_q."), (".key.", ".to_k."), (".value.", ".to_v."), (".proj_attn.", ".to_out.0.")];

    private readonly IReadOnlyList<CheckpointFile> files;

    public CheckpointWeights(IReadOnlyList<CheckpointFile> files) => this.files = files;

    /// <summary>
    /// Opens the checkpoints as the user downloaded them: <paramref name="sdDirectory"/> is the SD v1-4
    /// repository (unet/, vae/), <paramref name="clipDirectory"/> openai/clip-vit-large-patch14, and
    /// <paramref name="eliteDirectory"/> ELITE's checkpoints folder.
    /// </summary>
    public static CheckpointWeights Open(string sdDirectory, string clipDirectory, string eliteDirectory)
    {
        var opened = new List<ICheckpoint>();
        try
        {
            ICheckpoint Open(string path) =>
                Track(File.Exists(path) ? path.EndsWith(".pt", StringComparison.Ordinal) ? TorchCheckpoint.Open(path) : new SafetensorsCheckpoint(path)
                    : throw new FileNotFoundException($"checkpoint not found: {path}", path));
            ICheckpoint Track(ICheckpoint checkpoint)
            {
                opened.Add(checkpoint);
                return checkpoint;
            }

            var none = new Dictionary<string, string>();
            return new CheckpointWeights(
            [
                new(Open(Path.Combine(sdDirectory, "unet", "diffusion_pytorch_model.safetensors")), [UNet2DConditionElite.Component], none),
                new(Open(Path.Combine(sdDirectory, "vae", "diffusion_pytorch_model.safetensors")), [VaeDecoder.Component], none),
                new(Open(Path.Combine(clipDirectory, "model.safetensors")), [ClipTextModel.Component, ClipVisionModel.Component], new Dictionary<string, string>
                {
                    ["logit_scale"] = ClipHeadsOnly,
                    ["text_projection.weight"] = ClipHeadsOnly,
                    ["visual_projection.weight"] = ClipHeadsOnly,
                }),
                new(Open(Path.Combine(eliteDirectory, "global_mapper.pt")), [EliteMappers.GlobalComponent], none),
                new(Open(Path.Combine(eliteDirectory, "local_mapper.pt")), [EliteMappers.LocalComponent], none),
            ]);
        }
        catch
        {
            foreach (var checkpoint in opened) checkpoint.Dispose();
            throw;
        }
    }

    public Func<float[]> Values(DeclaredWeight weight, WeightInit init)
    {
        var tensor = Find(FileOf(weight.Component).Checkpoint, weight.Name);
        return tensor is null
            ? () => throw new InvalidOperationException($"{weight.Component} weight {weight.Name} is not in its checkpoint")
            : tensor.ReadFloats;
    }

    /// <summary>
    /// Checks every file against what the graphs read: each expected tensor present with its shape, and
    /// nothing else in the file but the tensors ELITE is known not to use. Throws one exception listing
    /// every problem of every file.
    /// </summary>
    public void Verify(WeightCatalog catalog)
    {
        var report = new StringBuilder();
        foreach (var file in files)
        {
            var expected = catalog.Used.Where(w => file.Components.Contains(w.Component)).ToList();
            var unused = catalog.Unused.Where(u => file.Components.Contains(u.Weight.Component)).Select(u => u.Weight.Name).ToHashSet();
            var missing = new List<string>();
            var misshaped = new List<string>();
            var read = new HashSet<string>();
            foreach (var weight in expected)
            {
                var tensor = Find(file.Checkpoint, weight.Name);
                if (tensor is null)
                {
                    missing.Add($"{weight.Name} [{weight.Shape.JoinShape()}]");
                    continue;
                }

                read.Add(tensor.Name);
                if (!tensor.Shape.SequenceEqual(weight.Shape)) misshaped.Add($"{weight.Name}: expected [{weight.Shape.JoinShape()}], found [{tensor.ShapeText}]");
            }

            var unexpected = file.Checkpoint.Tensors.Keys
                .Where(name => !read.Contains(name) && !unused.Contains(name) && !unused.Contains(OldVaeName(name)) && !file.OtherUnused.ContainsKey(name))
                .Order(StringComparer.Ordinal)
                .ToList();
            if (missing.Count + misshaped.Count + unexpected.Count == 0) continue;

            report.AppendLine($"{file.Checkpoint.Path} ({string.Join(", ", file.Components)}):");
            Append(report, "missing", missing);
            Append(report, "mis-shaped", misshaped);
            Append(report, "unexpected", unexpected);
        }

        if (report.Length > 0) throw new CheckpointMismatchException("The checkpoints do not match the ELITE sd14-elite architecture.\n" + report);
    }

    public void Dispose()
    {
        foreach (var file in files) file.Checkpoint.Dispose();
    }

    private CheckpointFile FileOf(string component) =>
        files.FirstOrDefault(f => f.Components.Contains(component)) ?? throw new InvalidOperationException($"no checkpoint file holds component {component}");

    /// <summary>The tensor of that name, or of its newer diffusers name (VAE attention).</summary>
    private static CheckpointTensor? Find(ICheckpoint checkpoint, string name)
    {
        if (checkpoint.Tensors.TryGetValue(name, out var tensor)) return tensor;
        foreach (var (old, renamed) in VaeAttentionRenames)
        {
            if (name.Contains(old, StringComparison.Ordinal) && checkpoint.Tensors.TryGetValue(name.Replace(old, renamed, StringComparison.Ordinal), out tensor)) return tensor;
        }

        return null;
    }

    private static string OldVaeName(string name)
    {
        foreach (var (old, renamed) in VaeAttentionRenames)
        {
            if (name.Contains(".attentions.0" + renamed, StringComparison.Ordinal)) return name.Replace(renamed, old, StringComparison.Ordinal);
        }

        return name;
    }

    private static void Append(StringBuilder report, string kind, List<string> names)
    {
        if (names.Count == 0) return;
        report.AppendLine($"  {kind} ({names.Count}):");
        foreach (var name in names) report.AppendLine($"    {name}");
    }
}

/// <summary>Checkpoint files whose tensors are not the ones the architecture reads.</summary>
public sealed class CheckpointMismatchException(string message) : Exception(message);
