namespace Elite.Cli.Tests;

/// <summary><c>elite models build|inspect|weights</c> as a user runs them.</summary>
public sealed class ModelsCommandTests
{
    [Fact]
    public async Task Build_tiny_then_inspect_verifies_every_file()
    {
        var directory = Directory.CreateTempSubdirectory("elite-cli-pack-");
        try
        {
            var build = await Cli.RunAsync("models", "build", "--preset", "tiny", "--out", directory.FullName, "--seed", "3");
            Assert.Equal((0, ""), (build.ExitCode, build.Error));
            Assert.Matches(@"pack tiny-[0-9a-f]{12} \(fused attention\) written to", build.Output);
            foreach (var graph in new[] { "clip_vision", "global_mapper", "local_mapper", "text_encoder", "unet", "vae_decoder" })
            {
                Assert.True(File.Exists(Path.Combine(directory.FullName, graph + ".onnx")), graph);
            }

            var inspect = await Cli.RunAsync("models", "inspect", directory.FullName);
            Assert.Equal(0, inspect.ExitCode);
            Assert.Contains("in  local_index Int64 [B]", inspect.Output);
            Assert.Contains("float32, fused attention", inspect.Output);
            Assert.Equal(6, inspect.Output.Split('\n').Count(l => l.EndsWith("sha256 ok")));

            await File.AppendAllTextAsync(Path.Combine(directory.FullName, "vae_decoder.onnx"), "tampered");
            var tampered = await Cli.RunAsync("models", "inspect", directory.FullName);
            Assert.Equal(2, tampered.ExitCode);
            Assert.Contains("vae_decoder.onnx", tampered.Output.Split('\n').Single(l => l.Contains("MISMATCH")));
        }
        finally
        {
            directory.Delete(recursive: true);
        }
    }

    [Fact]
    public async Task Build_with_explicit_attention_records_it_and_refuses_an_unknown_kind()
    {
        var directory = Directory.CreateTempSubdirectory("elite-cli-pack-");
        try
        {
            var build = await Cli.RunAsync("models", "build", "--preset", "tiny", "--attention", "explicit", "--out", directory.FullName);
            Assert.Equal(0, build.ExitCode);
            Assert.Contains("(explicit attention)", build.Output);
            Assert.Contains("\"attention\": \"explicit\"", await File.ReadAllTextAsync(Path.Combine(directory.FullName, "manifest.json")));

            var unknown = await Cli.RunAsync("models", "build", "--preset", "tiny", "--attention", "flash", "--out", directory.FullName);
            Assert.NotEqual(0, unknown.ExitCode);
            Assert.Contains("flash", unknown.Error);
        }
        finally
        {
            directory.Delete(recursive: true);
        }
    }

    [Fact]
    public async Task Weights_prints_name_shape_and_dtype_sorted()
    {
        var result = await Cli.RunAsync("models", "weights", "--preset", "sd14-elite", "--component", "clip-vision");
        var lines = result.Output.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(0, result.ExitCode);
        Assert.Equal(392, lines.Length);
        Assert.Contains("vision_model.embeddings.patch_embedding.weight\t1024,3,14,14\tf32", lines);
        Assert.Contains("vision_model.embeddings.position_ids\t1,257\ti64", lines);
        Assert.Equal(lines.Order(StringComparer.Ordinal), lines);
    }

    [Theory]
    [InlineData("the real checkpoints (--sd, --clip, --elite) or --random", "models", "build", "--preset", "sd14-elite", "--out", "/tmp/x")]
    [InlineData("give either --random, or all three", "models", "build", "--preset", "sd14-elite", "--sd", "/tmp", "--out", "/tmp/x")]
    [InlineData("checkpoint not found", "models", "build", "--preset", "sd14-elite", "--sd", "/nonexistent", "--clip", "/nonexistent", "--elite", "/nonexistent", "--out", "/tmp/x")]
    [InlineData("no component 'text'", "models", "weights", "--preset", "sd14-elite", "--component", "text")]
    [InlineData("is not a model pack", "models", "inspect", "/tmp")]
    public async Task Mistakes_get_a_clear_message_and_exit_code_2(string message, params string[] args)
    {
        var result = await Cli.RunAsync(args);
        Assert.Equal(2, result.ExitCode);
        Assert.Contains(message, result.Error);
    }
}
