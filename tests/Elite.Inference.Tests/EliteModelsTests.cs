using Elite.Inference.Runtime;

namespace Elite.Inference.Tests;

public sealed class EliteModelsTests(TinyModels tiny) : IClassFixture<TinyModels>
{
    [Fact]
    public void Asking_for_cuda_without_it_falls_back_to_the_cpu_and_says_why()
    {
        using var models = EliteModels.Load(tiny.Directory, new ExecutionOptions { UseCuda = true });
        Assert.Equal("CPU", models.ExecutionProvider);
        Assert.False(string.IsNullOrWhiteSpace(models.CudaFallbackReason));
    }

    [Fact]
    public void A_damaged_pack_is_refused_before_any_work()
    {
        var copy = Directory.CreateTempSubdirectory("elite-damaged-");
        try
        {
            foreach (var file in Directory.GetFiles(tiny.Directory)) File.Copy(file, Path.Combine(copy.FullName, Path.GetFileName(file)));
            File.WriteAllBytes(Path.Combine(copy.FullName, "vae_decoder.onnx"), [1, 2, 3]);
            var error = Assert.Throws<InvalidDataException>(() => EliteModels.Load(copy.FullName, new ExecutionOptions { UseCuda = false }, verifyChecksums: true));
            Assert.Contains("vae_decoder.onnx", error.Message);
        }
        finally
        {
            copy.Delete(recursive: true);
        }
    }
}
