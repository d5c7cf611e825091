namespace Elite.Inference.Imaging;

/// <summary>Where an <see cref="ObjectMask"/> came from.</summary>
public static class MaskSource
{
    /// <summary>Uploaded with the image (spec §1.3: channel 0 &gt; 0 is object).</summary>
    public const string Upload = "upload";

    /// <summary>The image's own alpha channel (alpha &gt; 0 is object).</summary>
    public const string Alpha = "alpha";

    /// <summary>Predicted by <see cref="U2NetMasker"/>.</summary>
    public const string Auto = "auto";
}

/// <summary>A binary object mask at image resolution: Values[y·Width + x] is 1 for object, 0 for background.</summary>
public sealed class ObjectMask
{
    public ObjectMask(int width, int height, byte[] values, string source)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(width);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(height);
        ArgumentNullException.ThrowIfNull(values);
        ArgumentException.ThrowIfNullOrEmpty(source);
        if (values.LongLength != (long)width * height) throw new ArgumentException($"Expected {(long)width * height} mask values for {width}x{height}, got {values.LongLength}.", nameof(values));
        if (values.AsSpan().IndexOfAnyExcept((byte)0, (byte)1) >= 0) throw new ArgumentException("Mask values must be 0 or 1.", nameof(values));
        Width = width;
        Height = height;
        Values = values;
        Source = source;
    }

    public int Width { get; }

    public int Height { get; }

    public byte[] Values { get; }

    /// <summary>One of <see cref="MaskSource"/>.</summary>
    public string Source { get; }

    public bool IsObject(int x, int y) => Values[y * Width + x] != 0;

    /// <summary>The share of object pixels, 0..1.</summary>
    public double ObjectFraction => (double)(Values.LongLength - Values.AsSpan().Count((byte)0)) / Values.LongLength;

    /// <summary>The mask of an image with a real alpha channel (alpha &gt; 0 is object), or null when the image is opaque.</summary>
    public static ObjectMask? FromAlpha(RgbImage image)
    {
        ArgumentNullException.ThrowIfNull(image);
        if (image.Alpha is null) return null;
        var values = new byte[image.Alpha.Length];
        for (var i = 0; i < values.Length; i++) values[i] = image.Alpha[i] > 0 ? (byte)1 : (byte)0;
        return new ObjectMask(image.Width, image.Height, values, MaskSource.Alpha);
    }

    /// <summary>The mask as a picture a person can look at: object white, background black.</summary>
    public RgbImage ToImage()
    {
        var rgb = new byte[Values.Length * 3];
        for (var i = 0; i < Values.Length; i++) rgb[3 * i] = rgb[3 * i + 1] = rgb[3 * i + 2] = (byte)(Values[i] * 255);
        return new RgbImage(Width, Height, rgb);
    }

    /// <summary>ELITE's object image: image × mask, background black (spec §1.3). The alpha channel is dropped.</summary>
    public RgbImage Apply(RgbImage image)
    {
        ArgumentNullException.ThrowIfNull(image);
        if (image.Width != Width || image.Height != Height) throw new ArgumentException($"The mask is {Width}x{Height} but the image is {image.Width}x{image.Height}.", nameof(image));
        var rgb = new byte[image.Rgb.Length];
        for (var i = 0; i < Values.Length; i++)
        {
            if (Values[i] == 0) continue;
            rgb[3 * i] = image.Rgb[3 * i];
            rgb[3 * i + 1] = image.Rgb[3 * i + 1];
            rgb[3 * i + 2] = image.Rgb[3 * i + 2];
        }

        return new RgbImage(Width, Height, rgb);
    }
}
