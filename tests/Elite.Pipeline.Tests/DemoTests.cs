using System.Text.RegularExpressions;
using CliRunner = Elite.Cli.Tests.Cli;
using Elite.Cli;
using SkiaSharp;

namespace Elite.Pipeline.Tests;

/// <summary><c>elite demo</c> (what <c>./run.sh demo</c> runs) against the fixture's pipeline, and the gallery it writes.</summary>
[Collection(PipelineCollection.Name)]
public sealed partial class DemoTests(PipelineFixture fixture)
{
    [Fact]
    public async Task The_gallery_shows_the_photo_and_the_mask_it_was_encoded_with_above_the_results_each_linked_to_its_full_size_file()
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(4));
        // Left under the test output for a person to look at, as ./run.sh demo leaves out/demo.
        var output = new DirectoryInfo(Path.Combine(AppContext.BaseDirectory, "demo"));
        if (output.Exists) output.Delete(recursive: true);
        await Task.Delay(TimeSpan.FromSeconds(1.1), timeout.Token); // the polling trigger's one-second watermark (see Uploads)
        var demo = await CliRunner.RunAsync(new StringWriter(), timeout.Token,
            "demo", "--api", fixture.FunctionsUrl.ToString(), "--image", CommandHelpers.AssetPath("chelsea.png"), "--webhook-secret", fixture.Secret, "--out", output.FullName, "--steps", "2");
        Assert.True(demo.ExitCode == 0, demo.Output + demo.Error);

        var html = await File.ReadAllTextAsync(Path.Combine(output.FullName, "index.html"), timeout.Token);
        var figures = Figure().Matches(html).ToList();
        Assert.Equal(2 + 4, figures.Count); // photo, mask, four results
        Assert.All(figures, f => Assert.Equal(f.Groups["link"].Value, f.Groups["src"].Value)); // each image links to its full-size file
        Assert.Equal(["concept.png", "mask.png"], figures.Take(2).Select(f => f.Groups["src"].Value));
        Assert.True(html.IndexOf("mask.png", StringComparison.Ordinal) < html.IndexOf("<h2>Results", StringComparison.Ordinal));
        Assert.Contains("Mask (auto)", html);

        using var photo = SKBitmap.Decode(Path.Combine(output.FullName, "concept.png"));
        using var mask = SKBitmap.Decode(Path.Combine(output.FullName, "mask.png"));
        Assert.Equal((photo.Width, photo.Height), (mask.Width, mask.Height));
        var shares = mask.Pixels.GroupBy(p => p.Red).ToDictionary(g => g.Key, g => g.Count() / (double)mask.Pixels.Length);
        Assert.Equal([(byte)0, (byte)255], shares.Keys.Order()); // black and white only
        Assert.InRange(shares[255], 0.3, 0.9); // an object, not the whole frame (u2netp keeps about 0.6 of chelsea)
        foreach (var result in figures.Skip(2))
        {
            using var image = SKBitmap.Decode(Path.Combine(output.FullName, result.Groups["src"].Value));
            Assert.NotNull(image);
        }

        Assert.Equal(4, Regex.Matches(html, "2 steps · lms").Count);
        Assert.Matches(@"4 images in \d+\.\d s .*: \d+\.\d\d s per image", html);
    }

    [GeneratedRegex("""<figure><a href="(?<link>[^"]+)"><img src="(?<src>[^"]+)" alt="[^"]+"></a>""")]
    private static partial Regex Figure();
}
