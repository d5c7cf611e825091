namespace Elite.Inference.Imaging;

/// <summary>An 8-bit RGB image, rows top to bottom, pixels interleaved (HWC). <see cref="Alpha"/> is straight (not premultiplied) and present only when the source had a real alpha channel.</summary>
public sealed class RgbImage
{
    public RgbImage(int width, int height, byte[] rgb, byte[]? alpha = null)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(width);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(height);
        ArgumentNullException.ThrowIfNull(rgb);
        var pixels = (long)width * height;
        if (rgb.LongLength != pixels * 3) throw new ArgumentException($"Expected {pixels * 3} RGB bytes for {width}x{height}, got {rgb.LongLength}.", nameof(rgb));
        if (alpha is not null && alpha.LongLength != pixels) throw new ArgumentException($"Expected {pixels} alpha bytes for {width}x{height}, got {alpha.LongLength}.", nameof(alpha));
        Width = width;
        Height = height;
        Rgb = rgb;
        Alpha = alpha;
    }

    public int Width { get; }

    public int Height { get; }

    /// <summary>Width·Height·3 bytes, HWC.</summary>
    public byte[] Rgb { get; }

    /// <summary>Width·Height bytes, or null for an opaque image.</summary>
    public byte[]? Alpha { get; }
}
