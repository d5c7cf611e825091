namespace Elite.Inference.Imaging;

public static class ImageConversion
{
    /// <summary>
    /// The VAE decoder's [3,H,W] output in about [−1, 1] → uint8 RGB, as diffusers does (spec §4 step 7):
    /// clamp(x/2 + 0.5, 0, 1), ×255, round half to even (numpy's round), in float32. NaN becomes 0.
    /// </summary>
    public static RgbImage FromDecoderOutput(ReadOnlySpan<float> chw, int width, int height)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(width);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(height);
        var plane = width * height;
        if (chw.Length != 3 * plane) throw new ArgumentException($"Expected 3x{height}x{width} = {3 * plane} values, got {chw.Length}.", nameof(chw));

        var rgb = new byte[3 * plane];
        for (var c = 0; c < 3; c++)
        {
            for (var i = 0; i < plane; i++)
            {
                var value = chw[c * plane + i];
                rgb[3 * i + c] = float.IsNaN(value) ? (byte)0 : (byte)MathF.Round(Math.Clamp(value / 2f + 0.5f, 0f, 1f) * 255f);
            }
        }

        return new RgbImage(width, height, rgb);
    }
}
