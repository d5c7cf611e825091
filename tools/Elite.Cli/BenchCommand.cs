using System.CommandLine;
using System.Diagnostics;
using Elite.Cli.Fairness;
using Elite.Cli.WorkerBench;
using Elite.Contracts.Generation;
using Elite.Contracts.Packs;
using Elite.Contracts.Imaging;
using Elite.Inference.Concepts;
using Elite.Inference.Generation;
using Elite.Inference.Imaging;
using Elite.Inference.Text;
using Spectre.Console;

namespace Elite.Cli;

/// <summary><c>elite bench generate</c>: images per second by batch size, and where the time goes; with <c>--variant</c>, variants side by side.</summary>
internal static class BenchCommand
{
    public static Command Create()
    {
        var inference = new InferenceOptions(modelsRequired: false);
        var batches = new Option<string>("--batch") { Description = "Batch sizes to measure, e.g. 1,2,4,8.", DefaultValueFactory = _ => "1,2,4,8" };
        var steps = new Option<int>("--steps") { Description = "Denoising steps per image.", DefaultValueFactory = _ => 20 };
        var scheduler = CommandHelpers.SchedulerOption("the pack's");
        var variants = new Option<string[]>("--variant")
        {
            Description = "LABEL=OPTIONS, repeated: compare variants (OPTIONS: that variant's --models and runtime options, e.g. \"fused=--models packs/tiny --cpu\") "
                + "side by side with ratios to the first, each batch of each variant in its own child process so its peak RSS is its own.",
        };
        var resultFile = new Option<FileInfo?>("--result-file") { Description = "Write the measurement of the single batch as JSON (what a --variant child reports).", Hidden = true };
        var generate = new Command("generate", "Measure batched generation on a model pack, all batch sizes in one run (ratios are comparable, absolute times are this machine's).")
        {
            batches, steps, scheduler, variants, resultFile,
        };
        foreach (var option in inference.All) generate.Options.Add(option);
        generate.SetAction((parse, cancellationToken) => Task.FromResult(CommandHelpers.Guard(parse, () =>
        {
            var sizes = parse.GetValue(batches)!.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries).Select(int.Parse).ToList();
            if (sizes.Count == 0 || sizes.Any(s => s < 1)) throw new ArgumentException("--batch takes positive sizes, e.g. 1,2,4,8.");
            var compared = parse.GetValue(variants) ?? [];
            if (compared.Length > 0)
            {
                if (parse.GetResult(inference.Models) is not null) throw new ArgumentException("with --variant, give --models inside each variant.");
                var shared = new List<string> { "--steps", parse.GetValue(steps).ToString(System.Globalization.CultureInfo.InvariantCulture) };
                if (parse.GetValue(scheduler) is { } kind) shared.AddRange(["--scheduler", SchedulerNames.Of(kind)]);
                return BenchVariants.Run([.. compared.Select(BenchVariant.Parse)], sizes, shared, parse.InvocationConfiguration.Output, cancellationToken);
            }

            if (parse.GetValue(inference.Models) is null) throw new ArgumentException("--models is required (or --variant).");
            var file = parse.GetValue(resultFile);
            if (file is not null && sizes.Count != 1) throw new ArgumentException("--result-file measures one batch size.");
            using var models = inference.Load(parse);
            var settings = new GenerationSettings(parse.GetValue(steps), parse.GetValue(scheduler) ?? models.Manifest.Scheduler.Name);
            var tokenizer = ClipTokenizer.Load(CommandHelpers.AssetPath("bpe_simple_vocab_16e6.txt"), models.Manifest.Tokenizer);
            var concept = RandomConcept(models.Manifest.Id, models.Manifest.Dimensions.TextHidden);
            var prompt = tokenizer.Encode("a photo of S on the beach");
            var negative = tokenizer.EncodeWithoutPlaceholder("");
            GenerationRequest Request(int seed) => new(concept, prompt, negative, seed);
            var generator = new Generator(models);
            var binding = models.UNetBinding.ToString().ToLowerInvariant();
            generator.Generate([Request(0)], settings with { Steps = 1 }, cancellationToken: cancellationToken); // warm-up: first runs allocate and tune

            (double Wall, StageTimings Timings) Measure(int size)
            {
                var clock = Stopwatch.StartNew();
                var result = generator.Generate([.. Enumerable.Range(1, size).Select(Request)], settings, cancellationToken: cancellationToken);
                return (clock.Elapsed.TotalSeconds, result.Timings);
            }

            if (file is not null)
            {
                var (wall, timings) = Measure(sizes[0]);
                new BenchMeasurement(
                    models.Manifest.Id, models.Manifest.Dtype, AttentionNames.Of(models.Manifest.Attention), models.ExecutionProvider,
                    binding, sizes[0], settings.Steps,
                    wall / sizes[0], timings.UNet.TotalSeconds / settings.Steps, timings.OutsideShare, BenchMeasurement.PeakResidentBytesOfThisProcess()).Save(file.FullName);
                return 0;
            }

            var table = new Table().AddColumns("batch", "s/image", "images/s", "text enc", "UNet", "VAE", "outside ORT");
            foreach (var size in sizes)
            {
                var (wall, t) = Measure(size);
                table.AddRow(
                    size.ToString(),
                    $"{wall / size:F3}",
                    $"{size / wall:F3}",
                    $"{t.TextEncoder.TotalSeconds:F3} s",
                    $"{t.UNet.TotalSeconds:F3} s",
                    $"{t.VaeDecoder.TotalSeconds:F3} s",
                    $"{t.OutsideShare:P1}");
            }

            var console = AnsiConsole.Create(new AnsiConsoleSettings { Out = new AnsiConsoleOutput(parse.InvocationConfiguration.Output) });
            console.WriteLine($"pack {models.Manifest.Id} ({models.Manifest.Dtype}, {AttentionNames.Of(models.Manifest.Attention)} attention) on {models.ExecutionProvider}, UNet inputs bound on the {binding}, {settings.Steps} {SchedulerNames.Of(settings.Scheduler)} steps, guidance on (2 UNet rows per image)");
            console.Write(table);
            return 0;
        })));
        return new Command("bench", "Benchmarks, printing ratios measured in one run (bench ingest: ./run.sh elite bench ingest).") { generate, Encode(), BenchFaultsCommand.Create(), BenchFairnessCommand.Create(), BenchWorkerCommand.Create() };
    }

    private static Command Encode()
    {
        var inference = new InferenceOptions();
        var image = new Option<FileInfo>("--image") { Description = "A concept photo.", Required = true };
        var repeat = new Option<int>("--repeat") { Description = "Timed encodes after one warm-up.", DefaultValueFactory = _ => 5 };
        var command = new Command("encode", "Time concept encoding (CLIP vision on image and object, both mappers), mask given as the whole image.") { image, repeat };
        foreach (var option in inference.All) command.Options.Add(option);
        command.SetAction((parse, cancellationToken) => Task.FromResult(CommandHelpers.Guard(parse, () =>
        {
            using var models = inference.Load(parse);
            var photo = ImageDecoder.Decode(File.ReadAllBytes(parse.GetValue(image)!.FullName), ImageLimits.Default);
            var mask = new ObjectMask(photo.Width, photo.Height, Enumerable.Repeat((byte)1, photo.Width * photo.Height).ToArray(), MaskSource.Upload);
            var encoder = new ConceptEncoder(models);
            encoder.Encode(photo, mask, cancellationToken);
            var times = new List<double>();
            for (var i = 0; i < Math.Max(1, parse.GetValue(repeat)); i++)
            {
                var clock = Stopwatch.StartNew();
                encoder.Encode(photo, mask, cancellationToken);
                times.Add(clock.Elapsed.TotalSeconds);
            }

            parse.InvocationConfiguration.Output.WriteLine(
                $"encode on {models.ExecutionProvider}: {times.Average():F4} s per concept (median {times.Order().ElementAt(times.Count / 2):F4} s over {times.Count}, preprocessing included)");
            return 0;
        })));
        return command;
    }

    private static ConceptEmbedding RandomConcept(string packId, int width)
    {
        var random = new Random(0);
        float[] Values(int count) => [.. Enumerable.Range(0, count).Select(_ => (random.NextSingle() * 2f) - 1f)];
        return new ConceptEmbedding(packId, width, Values(ConceptEmbedding.WordCount * width), Values(ConceptEmbedding.LocalTokens * width), "bench");
    }
}
