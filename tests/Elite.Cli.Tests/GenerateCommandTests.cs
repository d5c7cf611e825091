using System.Text.Json;
using Elite.Contracts.Imaging;
using Elite.Inference.Imaging;

namespace Elite.Cli.Tests;

/// <summary><c>elite encode</c> and <c>elite generate</c> end to end on the tiny pack and the sample photos.</summary>
public sealed class GenerateCommandTests(TinyPack pack) : IClassFixture<TinyPack>, IDisposable
{
    private readonly DirectoryInfo output = Directory.CreateTempSubdirectory("elite-cli-out-");

    public void Dispose() => output.Delete(recursive: true);

    [Fact]
    public async Task Generate_writes_one_png_per_seed_with_its_settings_and_a_results_file()
    {
        var result = await Cli.RunAsync(
            "generate", "--models", pack.Directory, "--concept", AssetPath("chelsea.png"), "--prompt", "a photo of S on the beach",
            "--seeds", "1-4", "--batch", "4", "--steps", "3", "--lambda", "0.8", "--out", output.FullName, "--json", "--cpu");

        Assert.Equal((0, ""), (result.ExitCode, result.Error));
        var pngs = Directory.GetFiles(output.FullName, "*.png").Order().ToList();
        Assert.Equal(4, pngs.Count);
        var text = PngText.Read(await File.ReadAllBytesAsync(pngs[2]));
        Assert.Equal("a photo of S on the beach", text["prompt"]);
        Assert.Equal("3", text["seed"]);
        Assert.Equal("3", text["steps"]);
        Assert.Equal("0.8", text["lambda"]);
        Assert.StartsWith("tiny-", text["pack"]);
        var image = ImageDecoder.Decode(await File.ReadAllBytesAsync(pngs[0]), ImageLimits.Default);
        Assert.Equal((512, 512), (image.Width, image.Height));

        using var results = JsonDocument.Parse(await File.ReadAllTextAsync(Path.Combine(output.FullName, "results.json")));
        Assert.Equal(4, results.RootElement.GetProperty("images").GetArrayLength());
        Assert.Equal(3, result.Output.Split('\n').Count(l => l.Contains("\"event\":\"step\"")));
    }

    [Fact]
    public async Task An_encoded_concept_file_generates_the_same_images_as_the_photo()
    {
        var concept = Path.Combine(output.FullName, "chelsea.elite");
        var dump = Path.Combine(output.FullName, "dump");
        var encode = await Cli.RunAsync("encode", "--models", pack.Directory, "--image", AssetPath("chelsea.png"), "--out", concept, "--dump", dump, "--cpu");
        Assert.Equal((0, ""), (encode.ExitCode, encode.Error));
        Assert.Contains("mask from auto", encode.Output);
        Assert.Equal(["local_embeds.npy", "mask16.npy", "pixel_values_clip.npy", "pixel_values_obj.npy", "words.npy"], Directory.GetFiles(dump).Select(Path.GetFileName).Order());

        var fromFile = Path.Combine(output.FullName, "from-file");
        var fromPhoto = Path.Combine(output.FullName, "from-photo");
        string[] common = ["--models", pack.Directory, "--prompt", "S, in a watercolor painting", "--seeds", "7", "--steps", "2", "--json", "--cpu"];
        Assert.Equal(0, (await Cli.RunAsync(["generate", "--concept", concept, "--out", fromFile, .. common])).ExitCode);
        Assert.Equal(0, (await Cli.RunAsync(["generate", "--concept", AssetPath("chelsea.png"), "--out", fromPhoto, .. common])).ExitCode);
        Assert.Equal(
            ImageDecoder.Decode(await File.ReadAllBytesAsync(Directory.GetFiles(fromFile, "*.png").Single()), ImageLimits.Default).Rgb,
            ImageDecoder.Decode(await File.ReadAllBytesAsync(Directory.GetFiles(fromPhoto, "*.png").Single()), ImageLimits.Default).Rgb);
    }

    [Fact]
    public async Task Cancelling_mid_run_leaves_no_partial_file()
    {
        using var cancellation = new CancellationTokenSource();
        var watcher = new CancelOnWrite("\"step\":2", cancellation);
        var result = await Cli.RunAsync(watcher, cancellation.Token,
            "generate", "--models", pack.Directory, "--concept", AssetPath("chelsea.png"), "--prompt", "a photo of S",
            "--seeds", "1-2", "--steps", "5", "--out", output.FullName, "--json", "--cpu");

        Assert.Equal(130, result.ExitCode);
        Assert.Empty(Directory.GetFiles(output.FullName));
    }

    [Theory]
    [InlineData("a photo of a cat", "placeholder")]
    [InlineData("a photo of S and S", "placeholder")]
    public async Task A_prompt_without_exactly_one_placeholder_is_refused(string prompt, string message)
    {
        var result = await Cli.RunAsync("generate", "--models", pack.Directory, "--concept", AssetPath("chelsea.png"), "--prompt", prompt, "--out", output.FullName, "--cpu");
        Assert.Equal(2, result.ExitCode);
        Assert.Contains(message, result.Error);
        Assert.Empty(Directory.GetFiles(output.FullName));
    }

    [Fact]
    public async Task A_file_that_is_not_an_image_is_refused()
    {
        var notImage = Path.Combine(output.FullName, "notes.png");
        await File.WriteAllTextAsync(notImage, "this is not a picture");
        var result = await Cli.RunAsync("encode", "--models", pack.Directory, "--image", notImage, "--out", Path.Combine(output.FullName, "x.elite"), "--cpu");
        Assert.Equal(2, result.ExitCode);
        Assert.False(File.Exists(Path.Combine(output.FullName, "x.elite")));
    }

    [Fact]
    public async Task Bench_prints_a_row_per_batch_size()
    {
        var result = await Cli.RunAsync("bench", "generate", "--models", pack.Directory, "--batch", "1,2", "--steps", "1", "--cpu");
        Assert.Equal((0, ""), (result.ExitCode, result.Error));
        Assert.Contains("outside ORT", result.Output);
        Assert.Contains("images/s", result.Output);
    }

    private static string AssetPath(string file)
    {
        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            var candidate = Path.Combine(directory.FullName, "assets", file);
            if (File.Exists(candidate)) return candidate;
        }

        throw new FileNotFoundException($"assets/{file}: run ./run.sh setup first.");
    }

    /// <summary>Cancels the run when a given text is printed.</summary>
    private sealed class CancelOnWrite(string trigger, CancellationTokenSource cancellation) : StringWriter
    {
        public override void WriteLine(string? value)
        {
            base.WriteLine(value);
            if (value?.Contains(trigger, StringComparison.Ordinal) == true) cancellation.Cancel();
        }
    }
}
