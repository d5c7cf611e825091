namespace Elite.Inference.Imaging;

/// <summary>The separable filters of Pillow's <c>Image.resize</c>.</summary>
public enum ResampleFilter
{
    /// <summary>Triangle, support 1.</summary>
    Bilinear,
    /// <summary>Keys cubic with a = −0.5, support 2.</summary>
    Bicubic,
    /// <summary>Lanczos-3.</summary>
    Lanczos,
}

/// <summary>
/// Pillow's convolution resize (<c>Image.resize(size, filter)</c> without box or reducing_gap, as in Pillow 9.4):
/// the kernel is widened by the downscale factor (antialiased); the horizontal pass runs first, over only the rows
/// the vertical pass reads. For 8-bit images the weights are 22-bit fixed point and each pass rounds and clips to
/// uint8, so the result equals Pillow's bit for bit. Float planes follow Pillow's mode "F" path (double sums).
/// </summary>
public static class PilResize
{
    private const int PrecisionBits = 32 - 8 - 2;

    /// <summary>Resizes the RGB channels (any alpha is dropped, like PIL's <c>convert("RGB")</c>).</summary>
    public static RgbImage Resize(RgbImage image, int width, int height, ResampleFilter filter)
    {
        ArgumentNullException.ThrowIfNull(image);
        return new RgbImage(width, height, Resize(image.Rgb, image.Width, image.Height, 3, width, height, filter));
    }

    /// <summary>Resizes interleaved 8-bit pixels with <paramref name="channels"/> bytes each.</summary>
    public static byte[] Resize(ReadOnlySpan<byte> pixels, int width, int height, int channels, int newWidth, int newHeight, ResampleFilter filter)
    {
        CheckSizes(pixels.Length, width, height, channels, newWidth, newHeight);
        var vertical = Coefficients.Compute(height, newHeight, filter);
        if (newWidth == width) return newHeight == height ? pixels.ToArray() : VerticalPass(pixels, width * channels, 0, vertical.ToFixedPoint());

        var (firstRow, lastRow) = vertical.InputRows;
        var horizontal = HorizontalPass(pixels, width, channels, firstRow, lastRow, Coefficients.Compute(width, newWidth, filter).ToFixedPoint());
        return newHeight == height ? horizontal : VerticalPass(horizontal, newWidth * channels, firstRow, vertical.ToFixedPoint());
    }

    /// <summary>Resizes one float plane (row-major), as Pillow does for mode "F": double sums, no rounding.</summary>
    public static float[] Resize(ReadOnlySpan<float> plane, int width, int height, int newWidth, int newHeight, ResampleFilter filter)
    {
        CheckSizes(plane.Length, width, height, 1, newWidth, newHeight);
        var vertical = Coefficients.Compute(height, newHeight, filter);
        if (newWidth == width) return newHeight == height ? plane.ToArray() : VerticalPass(plane, width, 0, vertical);

        var (firstRow, lastRow) = vertical.InputRows;
        var horizontal = HorizontalPass(plane, width, firstRow, lastRow, Coefficients.Compute(width, newWidth, filter));
        return newHeight == height ? horizontal : VerticalPass(horizontal, newWidth, firstRow, vertical);
    }

    /// <summary>Resamples rows [firstRow, lastRow) of the source horizontally.</summary>
    private static byte[] HorizontalPass(ReadOnlySpan<byte> source, int width, int channels, int firstRow, int lastRow, FixedPoint k)
    {
        var newWidth = k.Start.Length;
        var result = new byte[newWidth * (lastRow - firstRow) * channels];
        for (var y = firstRow; y < lastRow; y++)
        {
            var outRow = (y - firstRow) * newWidth * channels;
            for (var x = 0; x < newWidth; x++)
            {
                var weights = k.Weights.AsSpan(x * k.KernelSize, k.Count[x]);
                var input = (y * width + k.Start[x]) * channels;
                for (var c = 0; c < channels; c++)
                {
                    var sum = 1 << (PrecisionBits - 1);
                    for (var i = 0; i < weights.Length; i++) sum += source[input + i * channels + c] * weights[i];
                    result[outRow + x * channels + c] = Clip8(sum);
                }
            }
        }

        return result;
    }

    /// <summary>Resamples vertically; the source's first row is input row <paramref name="rowOffset"/>.</summary>
    private static byte[] VerticalPass(ReadOnlySpan<byte> source, int stride, int rowOffset, FixedPoint k)
    {
        var newHeight = k.Start.Length;
        var result = new byte[newHeight * stride];
        for (var y = 0; y < newHeight; y++)
        {
            var weights = k.Weights.AsSpan(y * k.KernelSize, k.Count[y]);
            var firstInput = (k.Start[y] - rowOffset) * stride;
            for (var j = 0; j < stride; j++)
            {
                var sum = 1 << (PrecisionBits - 1);
                for (var i = 0; i < weights.Length; i++) sum += source[firstInput + i * stride + j] * weights[i];
                result[y * stride + j] = Clip8(sum);
            }
        }

        return result;
    }

    private static float[] HorizontalPass(ReadOnlySpan<float> source, int width, int firstRow, int lastRow, Coefficients k)
    {
        var newWidth = k.Start.Length;
        var result = new float[newWidth * (lastRow - firstRow)];
        for (var y = firstRow; y < lastRow; y++)
        {
            for (var x = 0; x < newWidth; x++)
            {
                double sum = 0;
                for (var i = 0; i < k.Count[x]; i++) sum += source[y * width + k.Start[x] + i] * k.Weights[x * k.KernelSize + i];
                result[(y - firstRow) * newWidth + x] = (float)sum;
            }
        }

        return result;
    }

    private static float[] VerticalPass(ReadOnlySpan<float> source, int width, int rowOffset, Coefficients k)
    {
        var newHeight = k.Start.Length;
        var result = new float[newHeight * width];
        for (var y = 0; y < newHeight; y++)
        {
            for (var x = 0; x < width; x++)
            {
                double sum = 0;
                for (var i = 0; i < k.Count[y]; i++) sum += source[(k.Start[y] - rowOffset + i) * width + x] * k.Weights[y * k.KernelSize + i];
                result[y * width + x] = (float)sum;
            }
        }

        return result;
    }

    private static byte Clip8(int sum) => (byte)Math.Clamp(sum >> PrecisionBits, 0, 255);

    private static void CheckSizes(int length, int width, int height, int channels, int newWidth, int newHeight)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(width);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(height);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(channels);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(newWidth);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(newHeight);
        if (length != (long)width * height * channels) throw new ArgumentException($"Expected {(long)width * height * channels} values for {width}x{height}x{channels}, got {length}.");
    }

    private static double Kernel(ResampleFilter filter, double x) => filter switch
    {
        ResampleFilter.Bilinear => Math.Abs(x) < 1.0 ? 1.0 - Math.Abs(x) : 0.0,
        ResampleFilter.Bicubic => Cubic(Math.Abs(x)),
        ResampleFilter.Lanczos => x is >= -3.0 and < 3.0 ? Sinc(x) * Sinc(x / 3) : 0.0,
        _ => throw new ArgumentOutOfRangeException(nameof(filter), filter, null),
    };

    private static double Support(ResampleFilter filter) => filter switch
    {
        ResampleFilter.Bilinear => 1.0,
        ResampleFilter.Bicubic => 2.0,
        ResampleFilter.Lanczos => 3.0,
        _ => throw new ArgumentOutOfRangeException(nameof(filter), filter, null),
    };

    private static double Cubic(double x)
    {
        const double a = -0.5;
        if (x < 1.0) return ((a + 2.0) * x - (a + 3.0)) * x * x + 1;
        if (x < 2.0) return (((x - 5) * x + 8) * x - 4) * a;
        return 0.0;
    }

    private static double Sinc(double x)
    {
        if (x == 0.0) return 1.0;
        x *= Math.PI;
        return Math.Sin(x) / x;
    }

    /// <summary>Per output index: the first input index, how many inputs, and their normalised weights (KernelSize per output).</summary>
    private sealed record Coefficients(int KernelSize, int[] Start, int[] Count, double[] Weights)
    {
        /// <summary>The input rows (or columns) any output reads: [first, last).</summary>
        public (int First, int Last) InputRows => (Start[0], Start[^1] + Count[^1]);

        public static Coefficients Compute(int inSize, int outSize, ResampleFilter filter)
        {
            var scale = (double)inSize / outSize;
            var filterScale = Math.Max(scale, 1.0);
            var support = Support(filter) * filterScale;
            var inverseScale = 1.0 / filterScale; // multiplied, not divided, as Pillow does: the last bit matters
            var kernelSize = (int)Math.Ceiling(support) * 2 + 1;
            var start = new int[outSize];
            var count = new int[outSize];
            var weights = new double[outSize * kernelSize];
            for (var o = 0; o < outSize; o++)
            {
                var center = (o + 0.5) * scale;
                // Pillow rounds the window ends with a truncating (int) cast; both are clamped to the image.
                var min = Math.Max((int)(center - support + 0.5), 0);
                var max = Math.Min((int)(center + support + 0.5), inSize) - min;
                var row = weights.AsSpan(o * kernelSize, max);
                var total = 0.0;
                for (var i = 0; i < max; i++)
                {
                    row[i] = Kernel(filter, (i + min - center + 0.5) * inverseScale);
                    total += row[i];
                }

                if (total != 0.0)
                {
                    for (var i = 0; i < max; i++) row[i] /= total;
                }

                start[o] = min;
                count[o] = max;
            }

            return new Coefficients(kernelSize, start, count, weights);
        }

        public FixedPoint ToFixedPoint()
        {
            var fixedWeights = new int[Weights.Length];
            for (var i = 0; i < Weights.Length; i++)
            {
                var scaled = Weights[i] * (1 << PrecisionBits);
                fixedWeights[i] = (int)(scaled < 0 ? scaled - 0.5 : scaled + 0.5);
            }

            return new FixedPoint(KernelSize, Start, Count, fixedWeights);
        }
    }

    private sealed record FixedPoint(int KernelSize, int[] Start, int[] Count, int[] Weights);
}
