namespace Elite.Contracts.Imaging;

/// <summary>What an untrusted upload may be; checked from the header, before any pixel is decoded.</summary>
public sealed record ImageLimits(long MaxBytes, long MaxPixels, int MaxWidth, int MaxHeight)
{
    /// <summary>20 MB, 40 megapixels, 8192 pixels a side.</summary>
    public static ImageLimits Default { get; } = new(20_000_000, 40_000_000, 8192, 8192);
}
