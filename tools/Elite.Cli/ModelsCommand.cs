using System.CommandLine;
using System.Diagnostics;
using Elite.Contracts.Packs;
using Elite.ModelBuilder.Graph;
using Elite.ModelBuilder.Packs;
using Elite.ModelBuilder.Weights;
using Onnx;

namespace Elite.Cli;

/// <summary><c>elite models build|inspect|weights</c>: ELITE model packs.</summary>
internal static class ModelsCommand
{
    public static Command Create() =>
        new("models", "ELITE model packs: the six ONNX graphs with their weights and manifest.")
        {
            Build(),
            Inspect(),
            Weights(),
        };

    private static Command Build()
    {
        var preset = PresetOption();
        var output = new Option<DirectoryInfo>("--out") { Description = "Folder to write the pack to.", Required = true };
        var seed = new Option<ulong>("--seed") { Description = "Seed of the random weights.", DefaultValueFactory = _ => 0 };
        var random = new Option<bool>("--random") { Description = "sd14-elite with random weights (benchmarks) instead of the real checkpoints." };
        var sd = new Option<DirectoryInfo?>("--sd") { Description = "CompVis/stable-diffusion-v1-4 as downloaded (unet/ and vae/ with diffusion_pytorch_model.safetensors)." };
        var clip = new Option<DirectoryInfo?>("--clip") { Description = "openai/clip-vit-large-patch14 as downloaded (model.safetensors)." };
        var elite = new Option<DirectoryInfo?>("--elite") { Description = "ELITE's checkpoints folder (global_mapper.pt, local_mapper.pt)." };
        var fp16 = new Option<bool>("--fp16") { Description = "Write float16 weights and compute in float16 (softmax and normalisations stay float32)." };
        var attention = new Option<string>("--attention")
        {
            Description = "Plain attention (UNet attn1, VAE, CLIP) as ONNX Runtime's fused MultiHeadAttention, or as explicit MatMul/Softmax/MatMul. ELITE's attn2 is explicit in both.",
            DefaultValueFactory = _ => AttentionNames.Of(PackBuilder.DefaultAttention),
        }.AcceptOnlyFromAmong([.. AttentionNames.All]);
        var command = new Command("build", "Build a model pack: tiny (random, for tests and the demo) or sd14-elite (real checkpoints, or --random).")
        {
            preset, output, seed, random, sd, clip, elite, fp16, attention,
        };
        command.SetAction(parse =>
        {
            var stdout = parse.InvocationConfiguration.Output;
            var chosen = ElitePreset.Named(parse.GetValue(preset)!);
            var directories = new[] { parse.GetValue(sd), parse.GetValue(clip), parse.GetValue(elite) };
            var fromCheckpoints = directories.Any(d => d is not null);
            if (fromCheckpoints && (parse.GetValue(random) || directories.Any(d => d is null)))
            {
                return Fail(parse, "give either --random, or all three of --sd, --clip and --elite.");
            }

            if (chosen == ElitePreset.Sd14Elite && !fromCheckpoints && !parse.GetValue(random))
            {
                return Fail(parse, "sd14-elite needs the real checkpoints (--sd, --clip, --elite) or --random.");
            }

            if (chosen != ElitePreset.Sd14Elite && fromCheckpoints)
            {
                return Fail(parse, "the real checkpoints only fit the sd14-elite preset.");
            }

            var clock = Stopwatch.StartNew();
            var floatType = parse.GetValue(fp16) ? ElementType.Float16 : ElementType.Float;
            var attentionKind = AttentionNames.Parse(parse.GetValue(attention)!);
            var outputDirectory = parse.GetValue(output)!.FullName;
            PackManifest manifest;
            try
            {
                if (fromCheckpoints)
                {
                    using var checkpoints = CheckpointWeights.Open(directories[0]!.FullName, directories[1]!.FullName, directories[2]!.FullName);
                    manifest = PackBuilder.Build(chosen, checkpoints, "checkpoints", outputDirectory, floatType, attentionKind, new SyncProgress<string>(line => stdout.WriteLine("  " + line)));
                }
                else
                {
                    var seedValue = parse.GetValue(seed);
                    manifest = PackBuilder.Build(chosen, new RandomWeights(seedValue), $"random (seed {seedValue})", outputDirectory, floatType, attentionKind, new SyncProgress<string>(line => stdout.WriteLine("  " + line)));
                }
            }
            catch (Exception e) when (e is CheckpointMismatchException or CheckpointFormatException or FileNotFoundException)
            {
                return Fail(parse, e.Message);
            }

            stdout.WriteLine($"pack {manifest.Id} ({AttentionNames.Of(manifest.Attention)} attention) written to {outputDirectory} in {clock.Elapsed.TotalSeconds:F1} s ({manifest.Files.Sum(f => f.Bytes) / 1e6:F1} MB)");
            return 0;
        });
        return command;
    }

    private static Command Inspect()
    {
        var directory = new Argument<DirectoryInfo>("pack") { Description = "A model pack folder." };
        var command = new Command("inspect", "Show a pack's graphs, their inputs and outputs, parameter counts and sizes, and check its checksums.") { directory };
        command.SetAction(parse =>
        {
            var stdout = parse.InvocationConfiguration.Output;
            var folder = parse.GetValue(directory)!.FullName;
            PackManifest manifest;
            try
            {
                manifest = PackManifest.Load(folder);
            }
            catch (Exception e) when (e is FileNotFoundException or InvalidDataException or System.Text.Json.JsonException)
            {
                return Fail(parse, e.Message);
            }

            stdout.WriteLine($"pack {manifest.Id}: preset {manifest.Preset}, {manifest.Dtype}, {AttentionNames.Of(manifest.Attention)} attention, opset {manifest.Opset}, weights {manifest.Weights}");
            var damaged = new HashSet<string>();
            foreach (var file in manifest.Files)
            {
                var path = Path.Combine(folder, file.Name);
                var actual = File.Exists(path) ? Sha256(path) : "missing";
                if (actual != file.Sha256) damaged.Add(file.Name);
                stdout.WriteLine($"{file.Name,-24} {file.Bytes / 1e6,10:F1} MB  {(actual == file.Sha256 ? "sha256 ok" : $"sha256 MISMATCH ({actual})")}");
            }

            foreach (var (name, graph) in manifest.Graphs.Where(g => !damaged.Contains(g.Value.File)))
            {
                var model = ModelProto.Parser.ParseFrom(File.ReadAllBytes(Path.Combine(folder, graph.File)));
                stdout.WriteLine($"{name}: {graph.Parameters:N0} parameters, {model.Graph.Node.Count} nodes");
                foreach (var input in model.Graph.Input) stdout.WriteLine($"  in  {Describe(input)}");
                foreach (var output in model.Graph.Output) stdout.WriteLine($"  out {Describe(output)}");
            }

            return damaged.Count == 0 ? 0 : Fail(parse, $"{damaged.Count} file(s) do not match the manifest: {string.Join(", ", damaged)}.");
        });
        return command;
    }

    private static Command Weights()
    {
        var preset = PresetOption();
        var component = new Option<string>("--component") { Description = "unet, vae, clip-text, clip-vision, global-mapper or local-mapper.", Required = true };
        var command = new Command("weights", "Print the checkpoint tensors a preset expects of one component: name<TAB>shape<TAB>dtype, sorted.") { preset, component };
        command.SetAction(parse =>
        {
            var catalog = EliteGraphs.Declare(ElitePreset.Named(parse.GetValue(preset)!));
            var name = parse.GetValue(component)!;
            var rows = catalog.Listing(name);
            if (rows.Count == 0) return Fail(parse, $"no component '{name}'.");
            foreach (var weight in rows)
            {
                parse.InvocationConfiguration.Output.WriteLine($"{weight.Name}\t{string.Join(",", weight.Shape)}\t{(weight.Type == TensorType.Int64 ? "i64" : "f32")}");
            }

            return 0;
        });
        return command;
    }

    private static Option<string> PresetOption() => new Option<string>("--preset")
    {
        Description = "tiny or sd14-elite.",
        Required = true,
    }.AcceptOnlyFromAmong([.. ElitePreset.All.Select(p => p.Name)]);

    private static string Describe(ValueInfoProto value)
    {
        var tensor = value.Type.TensorType;
        var dims = tensor.Shape.Dim.Select(d => d.DimParam is { Length: > 0 } p ? p : d.DimValue.ToString(System.Globalization.CultureInfo.InvariantCulture));
        return $"{value.Name} {(TensorProto.Types.DataType)tensor.ElemType} [{string.Join(",", dims)}]";
    }

    private static string Sha256(string path)
    {
        using var stream = File.OpenRead(path);
        return Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(stream));
    }

    private static int Fail(ParseResult parse, string message)
    {
        parse.InvocationConfiguration.Error.WriteLine($"elite {parse.CommandResult.Command.Name}: {message}");
        return 2;
    }
}
