namespace Elite.Inference.Sampling;

/// <summary>
/// A diffusion sampler for one image; its state is that image's history, so use a fresh instance per image and call
/// <see cref="Step"/> once for each step, in order.
/// </summary>
/// <remarks>
/// Loop: latents = noise × <see cref="InitNoiseSigma"/>; for each step i: ε = UNet(latents × ScaleModelInput(i),
/// Timesteps[i]), with guidance applied; Step(i, ε, latents, noise).
/// </remarks>
public interface IScheduler
{
    /// <summary>The UNet's timestep for each step, as float (fractional for the linspace σ samplers).</summary>
    IReadOnlyList<float> Timesteps { get; }

    /// <summary>The factor for unit Gaussian noise that makes the initial latents.</summary>
    float InitNoiseSigma { get; }

    /// <summary>The factor applied to the latents before the UNet at this step.</summary>
    float ScaleModelInput(int step);

    /// <summary>Advances <paramref name="sample"/> in place from step <paramref name="step"/> to the next one.</summary>
    /// <param name="modelOutput">The predicted noise ε (after classifier-free guidance).</param>
    /// <param name="noise">The image's generator; required by ancestral samplers, ignored by the others.</param>
    void Step(int step, ReadOnlySpan<float> modelOutput, Span<float> sample, GaussianNoise? noise);
}
