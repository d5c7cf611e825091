namespace Elite.Contracts.Imaging;

public enum ImageRejectionReason
{
    /// <summary>No bytes at all.</summary>
    Empty,
    /// <summary>More bytes than <see cref="ImageLimits.MaxBytes"/>.</summary>
    TooLarge,
    /// <summary>Width·height over <see cref="ImageLimits.MaxPixels"/>.</summary>
    TooManyPixels,
    /// <summary>Width or height over <see cref="ImageLimits.MaxWidth"/> / <see cref="ImageLimits.MaxHeight"/>.</summary>
    DimensionTooLarge,
    /// <summary>The header declares a zero width or height.</summary>
    ZeroSize,
    /// <summary>Not a recognisable image.</summary>
    NotAnImage,
    /// <summary>An image, but not PNG, JPEG or WebP.</summary>
    Unsupported,
    /// <summary>PNG, JPEG or WebP whose data is truncated or damaged.</summary>
    Corrupt,
    /// <summary>A mask whose size differs from its image.</summary>
    MaskSizeMismatch,
}

/// <summary>The one error an untrusted image or mask upload produces.</summary>
public sealed class ImageRejectedException(ImageRejectionReason reason, string message) : Exception(message)
{
    public ImageRejectionReason Reason { get; } = reason;
}
