using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using Elite.Contracts.Generation;
using Elite.Contracts.Text;
using Elite.Inference.Generation;
using Elite.Inference.Imaging;
using Elite.Inference.Runtime;
using Elite.Inference.Text;
using Spectre.Console;

namespace Elite.Cli;

/// <summary>One image written by <c>elite generate</c>, as listed in results.json.</summary>
internal sealed record GeneratedFile(string File, string Prompt, string Negative, long Seed, float Guidance, float Lambda, bool PromptTruncated);

/// <summary>results.json of <c>elite generate</c>.</summary>
internal sealed record GenerateResults(string Pack, string ExecutionProvider, int Steps, string Scheduler, IReadOnlyList<GeneratedFile> Images, IReadOnlyList<StageTimings> Batches);

/// <summary><c>elite generate</c>: prompts × seeds for one concept, in batches, to PNG files with their settings embedded.</summary>
internal static class GenerateCommand
{
    public const string ResultsFile = "results.json";
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web) { WriteIndented = true };

    public static Command Create()
    {
        var inference = new InferenceOptions();
        var concept = new Option<FileInfo>("--concept") { Description = "A concept photo (encoded now) or an .elite file (elite encode).", Required = true };
        var prompt = new Option<string[]>("--prompt") { Description = "A prompt with the placeholder, e.g. \"a photo of S on the beach\". Repeatable.", AllowMultipleArgumentsPerToken = false };
        var prompts = new Option<FileInfo?>("--prompts") { Description = "A text file of prompts, one per line." };
        var negative = new Option<string>("--negative") { Description = "Negative prompt.", DefaultValueFactory = _ => "" };
        var placeholder = new Option<string>("--placeholder") { Description = "The word that stands for the concept.", DefaultValueFactory = _ => TokenLimits.Placeholder };
        var seeds = new Option<string>("--seeds") { Description = "Seeds: 42, 1-4, 1,5,9.", DefaultValueFactory = _ => "1" };
        var steps = new Option<int?>("--steps") { Description = "Denoising steps (default: the pack's)." };
        var guidance = new Option<float?>("--guidance") { Description = "Classifier-free guidance scale (default: the pack's)." };
        var lambda = new Option<float?>("--lambda") { Description = "λ: weight of the local (object detail) branch; 0 = global word only (default: the pack's)." };
        var scheduler = CommandHelpers.SchedulerOption("the pack's");
        var karras = new Option<bool>("--karras") { Description = "Karras sigmas (euler_a, dpmpp_2m)." };
        var batch = new Option<int>("--batch") { Description = "Images per UNet batch.", DefaultValueFactory = _ => 8 };
        var output = new Option<DirectoryInfo>("--out") { Description = "Folder for the PNGs and results.json.", Required = true };
        var json = new Option<bool>("--json") { Description = "Machine-readable progress: one JSON object per line." };
        var command = new Command("generate", "Generate images of a concept from prompts, batched.")
        {
            concept, prompt, prompts, negative, placeholder, seeds, steps, guidance, lambda, scheduler, karras, batch, output, json,
        };
        foreach (var option in inference.All) command.Options.Add(option);

        command.SetAction((parse, cancellationToken) => Task.FromResult(CommandHelpers.Guard(parse, () =>
        {
            var stdout = parse.InvocationConfiguration.Output;
            var promptList = (parse.GetValue(prompt) ?? []).Concat(parse.GetValue(prompts) is { } file ? File.ReadAllLines(file.FullName).Where(l => l.Trim().Length > 0) : []).ToList();
            if (promptList.Count == 0) throw new ArgumentException("give at least one --prompt or a --prompts file.");
            var seedList = Seeds.Parse(parse.GetValue(seeds)!);
            var batchSize = parse.GetValue(batch);
            if (parse.GetValue(steps) < 1 || batchSize < 1) throw new ArgumentException("--steps and --batch must be at least 1.");

            using var models = inference.Load(parse);
            var defaults = models.Manifest.Scheduler;
            var settings = new GenerationSettings(parse.GetValue(steps) ?? defaults.Steps, parse.GetValue(scheduler) ?? defaults.Name, parse.GetValue(karras));
            var guidanceScale = parse.GetValue(guidance) ?? defaults.Guidance;
            var lambdaWeight = parse.GetValue(lambda) ?? defaults.Lambda;
            var tokenizer = ClipTokenizer.Load(CommandHelpers.AssetPath("bpe_simple_vocab_16e6.txt"), models.Manifest.Tokenizer);
            var tokenized = promptList.Select(p => (Text: p, Tokens: tokenizer.Encode(p, parse.GetValue(placeholder)!))).ToList();
            var negativeText = parse.GetValue(negative)!;
            var negativeIds = tokenizer.EncodeWithoutPlaceholder(negativeText);
            var embedding = ConceptInput.Load(models, parse.GetValue(concept)!.FullName, cancellationToken);
            var jobs = tokenized.SelectMany(p => seedList.Select(seed => (Prompt: p, Seed: seed))).ToList();
            var directory = parse.GetValue(output)!.FullName;
            Directory.CreateDirectory(directory);

            var generator = new Generator(models);
            var written = new List<GeneratedFile>();
            var timings = new List<StageTimings>();
            var batches = jobs.Chunk(batchSize).ToList();
            var report = parse.GetValue(json) ? JsonProgress(stdout) : null;
            void RunBatches(Func<int, IProgress<GenerationProgress>> progressFor)
            {
                for (var b = 0; b < batches.Count; b++)
                {
                    var requests = batches[b].Select(j => new GenerationRequest(embedding, j.Prompt.Tokens, negativeIds, j.Seed, guidanceScale, lambdaWeight)).ToList();
                    var result = generator.Generate(requests, settings, progressFor(b), cancellationToken);
                    timings.Add(result.Timings);
                    for (var i = 0; i < requests.Count; i++)
                    {
                        var job = batches[b][i];
                        var name = $"{written.Count:D4}-seed{job.Seed}.png";
                        var metadata = new Dictionary<string, string>
                        {
                            ["prompt"] = job.Prompt.Text,
                            ["negative_prompt"] = negativeText,
                            ["seed"] = job.Seed.ToString(CultureInfo.InvariantCulture),
                            ["steps"] = settings.Steps.ToString(CultureInfo.InvariantCulture),
                            ["scheduler"] = SchedulerNames.Of(settings.Scheduler) + (settings.KarrasSigmas ? " (karras)" : ""),
                            ["guidance"] = requests[i].Guidance.ToString(CultureInfo.InvariantCulture),
                            ["lambda"] = requests[i].Lambda.ToString(CultureInfo.InvariantCulture),
                            ["pack"] = models.Manifest.Id,
                        };
                        CommandHelpers.WriteAtomically(Path.Combine(directory, name), PngEncoder.Encode(result.Images[i], metadata));
                        written.Add(new GeneratedFile(name, job.Prompt.Text, negativeText, job.Seed, requests[i].Guidance, requests[i].Lambda, job.Prompt.Tokens.Truncated));
                        report?.Invoke(new { @event = "image", file = name, seed = job.Seed, prompt = job.Prompt.Text });
                    }
                }
            }

            if (report is not null)
            {
                RunBatches(b => new SyncProgress<GenerationProgress>(p => report(new { @event = "step", batch = b + 1, batches = batches.Count, step = p.Step, steps = p.Steps, stepsPerSecond = Math.Round(p.StepsPerSecond, 3) })));
            }
            else
            {
                AnsiConsole.Progress()
                    .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new RemainingTimeColumn())
                    .Start(context =>
                    {
                        var tasks = batches.Select((chunk, b) => context.AddTask($"batch {b + 1}/{batches.Count} ({chunk.Length} images)", autoStart: false, maxValue: settings.Steps)).ToList();
                        RunBatches(b =>
                        {
                            tasks[b].StartTask();
                            return new SyncProgress<GenerationProgress>(p => tasks[b].Value = p.Step);
                        });
                    });
            }

            var results = new GenerateResults(models.Manifest.Id, models.ExecutionProvider, settings.Steps, SchedulerNames.Of(settings.Scheduler), written, timings);
            CommandHelpers.WriteAtomically(Path.Combine(directory, ResultsFile), JsonSerializer.SerializeToUtf8Bytes(results, Json));
            foreach (var truncated in tokenized.Where(p => p.Tokens.Truncated)) stdout.WriteLine($"warning: prompt truncated to {TokenLimits.MaxPromptTokens} tokens: \"{truncated.Text}\"");
            if (report is null) stdout.WriteLine($"{written.Count} images and {ResultsFile} written to {directory} ({models.ExecutionProvider})");
            return 0;
        })));
        return command;
    }

    private static Action<object> JsonProgress(TextWriter output) => value => output.WriteLine(JsonSerializer.Serialize(value));
}
