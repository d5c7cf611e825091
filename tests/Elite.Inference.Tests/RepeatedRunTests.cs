using Elite.Contracts.Packs;
using Elite.Inference.Runtime;
using static Elite.Inference.Runtime.GraphRun;

namespace Elite.Inference.Tests;

/// <summary>
/// The UNet's denoising-loop runs: bound through an IO binding (constant inputs once, changing ones before
/// every run) they give what passing every input every run gives, and without CUDA the models keep the
/// host binding even where device binding was asked for.
/// </summary>
public sealed class RepeatedRunTests(TinyModels tiny) : IClassFixture<TinyModels>
{
    private const int Rows = 2;

    [Fact]
    public void Device_binding_without_cuda_falls_back_to_the_host_binding()
    {
        using var models = EliteModels.Load(tiny.Directory, new ExecutionOptions { UseCuda = true, DeviceBinding = true });
        Assert.Equal("CPU", models.ExecutionProvider);
        Assert.Equal(InputBinding.Host, models.UNetBinding);
        Assert.Equal(InputBinding.Host, tiny.Models.UNetBinding);
    }

    [Fact]
    public void An_io_bound_loop_gives_the_outputs_of_runs_that_pass_every_input()
    {
        var host = Loop(InputBinding.Host);
        var bound = Loop(InputBinding.Device);
        Assert.Equal(3, bound.Count);
        for (var step = 0; step < host.Count; step++) Assert.Equal(host[step], bound[step]);
        Assert.NotEqual(bound[0], bound[1]); // the changing inputs were bound again before each run
    }

    /// <summary>Three UNet runs over the same buffers, the sample and timestep rewritten before each; the noise predictions.</summary>
    private List<float[]> Loop(InputBinding binding)
    {
        var dims = tiny.Models.Manifest.Dimensions;
        var random = new Random(4);
        using var sample = new TensorBuffer([Rows, dims.LatentChannels, dims.LatentSize, dims.LatentSize], float16: false);
        using var timestep = new TensorBuffer([Rows], float16: false);
        using var context = new TensorBuffer([Rows, dims.TextTokens, dims.TextHidden], float16: false);
        using var local = new TensorBuffer([Rows, dims.Patches, dims.TextHidden], float16: false);
        using var localIndex = new Int64Buffer([Rows]);
        using var lambda = new TensorBuffer([Rows], float16: false);
        using var noisePred = new TensorBuffer([Rows, dims.LatentChannels, dims.LatentSize, dims.LatentSize], float16: false);
        foreach (var buffer in new[] { context, local }) Fill(buffer.Values, random);
        localIndex.Values[0] = -1;
        localIndex.Values[1] = 5;
        lambda.Values[1] = 0.8f;

        using var unet = new RepeatedRun(
            tiny.Models[GraphNames.UNet.Name],
            binding,
            constant: Inputs(
                (GraphNames.UNet.EncoderHiddenStates, context.Value),
                (GraphNames.UNet.LocalEmbeds, local.Value),
                (GraphNames.UNet.LocalIndex, localIndex.Value),
                (GraphNames.UNet.Lambda, lambda.Value)),
            changing: Inputs((GraphNames.UNet.Sample, sample.Value), (GraphNames.UNet.Timestep, timestep.Value)),
            outputs: Outputs((GraphNames.UNet.NoisePred, noisePred)));
        var predictions = new List<float[]>();
        foreach (var t in new[] { 999f, 500.5f, 10.09f })
        {
            Fill(sample.Values, random);
            Array.Fill(timestep.Values, t);
            unet.Run(CancellationToken.None);
            predictions.Add([.. noisePred.Values]);
        }

        return predictions;
    }

    private static void Fill(float[] values, Random random)
    {
        for (var i = 0; i < values.Length; i++) values[i] = (random.NextSingle() * 2f) - 1f;
    }
}
