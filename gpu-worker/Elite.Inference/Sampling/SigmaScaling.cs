namespace Elite.Inference.Sampling;

/// <summary>The σ parametrisation shared by the k-diffusion style samplers (x = x₀ + σ·ε).</summary>
internal static class SigmaScaling
{
    /// <summary>1/sqrt(σ² + 1): maps x = x₀ + σε back to the UNet's training input sqrt(ᾱ)x₀ + sqrt(1 − ᾱ)ε.</summary>
    public static float InputScale(float sigma) => (float)(1 / Math.Sqrt((double)sigma * sigma + 1));
}
