using System.Diagnostics;
using Elite.Inference.Imaging;
using Elite.Contracts.Packs;
using Elite.Inference.Runtime;
using Elite.Inference.Sampling;
using static Elite.Inference.Runtime.GraphRun;

namespace Elite.Inference.Generation;

/// <summary>The images of one batch, in request order, and where the time went.</summary>
public sealed record GenerationResult(IReadOnlyList<RgbImage> Images, StageTimings Timings);

/// <summary>
/// ELITE generation (spec §4) for a batch of requests that share steps and scheduler: the text encoder
/// runs once for the batch (each distinct negative prompt once), then every denoising step is one UNet
/// call over [unconditional rows, conditional rows] with λ = 0 and no placeholder on the unconditional
/// rows, and the VAE decodes the images one by one. Each request has its own seeded noise and scheduler state, and
/// ELITE's gating maximum is per sample, so a request gives the same image whatever shares its batch.
/// The UNet's inputs are bound as <see cref="EliteModels.UNetBinding"/> says: on CUDA with device
/// binding, the contexts, local embeddings, indices and λ go to the device once per batch.
/// </summary>
public sealed class Generator(EliteModels models)
{
    public GenerationResult Generate(IReadOnlyList<GenerationRequest> requests, GenerationSettings settings, IProgress<GenerationProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        if (requests.Count == 0) return new GenerationResult([], new StageTimings(default, default, default, default));
        var foreign = requests.FirstOrDefault(r => r.Concept.PackId != models.Manifest.Id);
        if (foreign is not null) throw new ArgumentException($"a concept was encoded with model pack {foreign.Concept.PackId}, not {models.Manifest.Id}");

        var total = Stopwatch.StartNew();
        var dims = models.Manifest.Dimensions;
        var n = requests.Count;
        var latentSize = dims.LatentChannels * dims.LatentSize * dims.LatentSize;
        var localSize = dims.Patches * dims.TextHidden;
        var half = models.IsFloat16;

        using var sample = new TensorBuffer([2 * n, dims.LatentChannels, dims.LatentSize, dims.LatentSize], half);
        using var timestep = new TensorBuffer([2 * n], float16: false);
        using var context = new TensorBuffer([2 * n, dims.TextTokens, dims.TextHidden], half);
        using var local = new TensorBuffer([2 * n, dims.Patches, dims.TextHidden], half);
        using var localIndex = new Int64Buffer([2 * n]);
        using var lambda = new TensorBuffer([2 * n], float16: false);
        using var noisePred = new TensorBuffer([2 * n, dims.LatentChannels, dims.LatentSize, dims.LatentSize], half);

        var clock = Stopwatch.StartNew();
        EncodeText(requests, context.Values, cancellationToken);
        var textTime = clock.Elapsed;
        for (var i = 0; i < n; i++)
        {
            // Row i is request i without guidance (λ 0, no placeholder, zero local embeddings); row n+i with it.
            localIndex.Values[i] = -1;
            localIndex.Values[n + i] = requests[i].Prompt.PlaceholderIndex;
            lambda.Values[n + i] = requests[i].Lambda;
            requests[i].Concept.LocalEmbeds.CopyTo(local.Values, (n + i) * localSize);
        }

        context.Flush();
        local.Flush();

        var noise = requests.Select(r => new GaussianNoise(r.Seed)).ToArray();
        var schedulers = requests.Select(_ => Schedulers.Create(settings.Scheduler, settings.Steps, settings.KarrasSigmas, models.Training)).ToArray();
        var latents = new float[n][];
        for (var i = 0; i < n; i++)
        {
            latents[i] = new float[latentSize];
            noise[i].Fill(latents[i]);
            var sigma = schedulers[i].InitNoiseSigma;
            for (var j = 0; j < latentSize; j++) latents[i][j] *= sigma;
        }

        using var unet = new RepeatedRun(
            models[GraphNames.UNet.Name],
            models.UNetBinding,
            constant: Inputs(
                (GraphNames.UNet.EncoderHiddenStates, context.Value),
                (GraphNames.UNet.LocalEmbeds, local.Value),
                (GraphNames.UNet.LocalIndex, localIndex.Value),
                (GraphNames.UNet.Lambda, lambda.Value)),
            changing: Inputs((GraphNames.UNet.Sample, sample.Value), (GraphNames.UNet.Timestep, timestep.Value)),
            outputs: Outputs((GraphNames.UNet.NoisePred, noisePred)));
        var guided = new float[latentSize];
        var unetTime = TimeSpan.Zero;
        var loop = Stopwatch.StartNew();
        for (var step = 0; step < settings.Steps; step++)
        {
            Array.Fill(timestep.Values, schedulers[0].Timesteps[step]);
            for (var i = 0; i < n; i++)
            {
                var scale = schedulers[i].ScaleModelInput(step);
                var row = sample.Values.AsSpan(i * latentSize, latentSize);
                for (var j = 0; j < latentSize; j++) row[j] = latents[i][j] * scale;
                row.CopyTo(sample.Values.AsSpan((n + i) * latentSize, latentSize));
            }

            sample.Flush();
            clock.Restart();
            unet.Run(cancellationToken);
            unetTime += clock.Elapsed;

            for (var i = 0; i < n; i++)
            {
                var unconditional = noisePred.Values.AsSpan(i * latentSize, latentSize);
                var conditional = noisePred.Values.AsSpan((n + i) * latentSize, latentSize);
                var guidance = requests[i].Guidance;
                for (var j = 0; j < latentSize; j++) guided[j] = unconditional[j] + (guidance * (conditional[j] - unconditional[j]));
                schedulers[i].Step(step, guided, latents[i], noise[i]);
            }

            progress?.Report(new GenerationProgress(step + 1, settings.Steps, (step + 1) / loop.Elapsed.TotalSeconds));
        }

        clock.Restart();
        var images = Decode(latents, cancellationToken);
        var vaeTime = clock.Elapsed;
        return new GenerationResult(images, new StageTimings(textTime, unetTime, vaeTime, total.Elapsed));
    }

    /// <summary>
    /// Fills <paramref name="context"/> [2n,77,D]: rows 0..n-1 with each request's negative prompt
    /// (each distinct one encoded once), rows n..2n-1 with its prompt and the concept word injected.
    /// </summary>
    private void EncodeText(IReadOnlyList<GenerationRequest> requests, float[] context, CancellationToken cancellationToken)
    {
        var dims = models.Manifest.Dimensions;
        var n = requests.Count;
        var negatives = requests.Select(r => r.NegativeIds).Distinct(LongArrayComparer.Instance).ToList();
        var rows = negatives.Count + n;
        var textSize = dims.TextTokens * dims.TextHidden;
        using var ids = new Int64Buffer([rows, dims.TextTokens]);
        using var injected = new TensorBuffer([rows, 1, dims.TextHidden], models.IsFloat16);
        using var injectIndex = new Int64Buffer([rows]);
        using var hidden = new TensorBuffer([rows, dims.TextTokens, dims.TextHidden], models.IsFloat16);
        for (var k = 0; k < negatives.Count; k++)
        {
            negatives[k].CopyTo(ids.Values, k * dims.TextTokens);
            injectIndex.Values[k] = -1;
        }

        for (var i = 0; i < n; i++)
        {
            var row = negatives.Count + i;
            requests[i].Prompt.Ids.CopyTo(ids.Values, row * dims.TextTokens);
            requests[i].Concept.ConceptWord.CopyTo(injected.Values.AsSpan(row * dims.TextHidden, dims.TextHidden));
            injectIndex.Values[row] = requests[i].Prompt.PlaceholderIndex;
        }

        injected.Flush();
        Run(
            models[GraphNames.TextEncoder.Name],
            Inputs((GraphNames.TextEncoder.InputIds, ids.Value), (GraphNames.TextEncoder.InjEmbedding, injected.Value), (GraphNames.TextEncoder.InjIndex, injectIndex.Value)),
            Outputs((GraphNames.TextEncoder.LastHiddenState, hidden)),
            cancellationToken);

        for (var i = 0; i < n; i++)
        {
            var negative = negatives.FindIndex(v => LongArrayComparer.Instance.Equals(v, requests[i].NegativeIds));
            Array.Copy(hidden.Values, negative * textSize, context, i * textSize, textSize);
            Array.Copy(hidden.Values, (negatives.Count + i) * textSize, context, (n + i) * textSize, textSize);
        }
    }

    /// <summary>
    /// Decodes the latents one image at a time: at 512×512 the decoder's activations are the largest
    /// tensors of a generation (a batch of 8 decoded together held 1.25 GB more than the tiny UNet's whole
    /// loop), while one image at a time costs the decoder little.
    /// </summary>
    private List<RgbImage> Decode(float[][] latents, CancellationToken cancellationToken)
    {
        var dims = models.Manifest.Dimensions;
        var imageSize = dims.OutputImageSize;
        using var latent = new TensorBuffer([1, dims.LatentChannels, dims.LatentSize, dims.LatentSize], models.IsFloat16);
        using var image = new TensorBuffer([1, 3, imageSize, imageSize], models.IsFloat16);
        var inputs = Inputs((GraphNames.VaeDecoder.Latent, latent.Value));
        var outputs = Outputs((GraphNames.VaeDecoder.Image, image));
        var scale = 1f / models.Manifest.Normalization.VaeScale;
        var images = new List<RgbImage>(latents.Length);
        foreach (var values in latents)
        {
            for (var j = 0; j < values.Length; j++) latent.Values[j] = values[j] * scale;
            latent.Flush();
            Run(models[GraphNames.VaeDecoder.Name], inputs, outputs, cancellationToken);
            images.Add(ImageConversion.FromDecoderOutput(image.Values, imageSize, imageSize));
        }

        return images;
    }

    private sealed class LongArrayComparer : IEqualityComparer<long[]>
    {
        public static readonly LongArrayComparer Instance = new();

        public bool Equals(long[]? x, long[]? y) => x is not null && y is not null && x.AsSpan().SequenceEqual(y);

        public int GetHashCode(long[] values)
        {
            var hash = new HashCode();
            foreach (var value in values) hash.Add(value);
            return hash.ToHashCode();
        }
    }
}
