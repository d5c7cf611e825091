using Elite.Contracts.Packs;

namespace Elite.Inference.Imaging;

/// <summary>The three encoder inputs of one concept: CLIP pixels of the image and of the object image, [3,224,224] CHW each, and the 16×16 mask, [256] row-major.</summary>
public sealed record ElitePreprocessed(float[] Image, float[] ObjectImage, float[] Mask16);

/// <summary>
/// ELITE's inference preprocessing (spec §1.3): PIL <c>resize((224, 224), BICUBIC)</c> of the whole image (square,
/// aspect not kept, no crop), /255, CLIP mean/std, CHW. The object image is image × mask (background black), same
/// transform. mask16[i, j] = mask[floor(i·H/16), floor(j·W/16)]. The mean and std are the pack's (its manifest's normalization).
/// </summary>
public static class ClipPreprocessor
{
    public const int Size = 224;
    public const int MaskGrid = 16;

    public static ElitePreprocessed Prepare(RgbImage image, ObjectMask mask, PackNormalization normalization)
    {
        ArgumentNullException.ThrowIfNull(image);
        ArgumentNullException.ThrowIfNull(mask);
        return new ElitePreprocessed(PixelValues(image, normalization), PixelValues(mask.Apply(image), normalization), Mask16(mask));
    }

    /// <summary>CLIP pixel values of one image: float[3·224·224], CHW.</summary>
    public static float[] PixelValues(RgbImage image, PackNormalization normalization) =>
        Normalize(PilResize.Resize(image, Size, Size, ResampleFilter.Bicubic).Rgb, normalization);

    /// <summary>/255 then (x − mean) / std per channel, all in float32 like torchvision's ToTensor + Normalize; HWC bytes → CHW floats.</summary>
    internal static float[] Normalize(byte[] rgb, PackNormalization normalization)
    {
        float[] mean = normalization.ClipMean, std = normalization.ClipStd;
        var plane = rgb.Length / 3;
        var chw = new float[rgb.Length];
        for (var c = 0; c < 3; c++)
        {
            for (var i = 0; i < plane; i++) chw[c * plane + i] = (rgb[3 * i + c] / 255f - mean[c]) / std[c];
        }

        return chw;
    }

    /// <summary>The mask on ELITE's 16×16 token grid, 0 or 1, row-major (PyTorch nearest: src = floor(dst·in/out)).</summary>
    public static float[] Mask16(ObjectMask mask)
    {
        ArgumentNullException.ThrowIfNull(mask);
        var grid = new float[MaskGrid * MaskGrid];
        for (var i = 0; i < MaskGrid; i++)
        {
            var y = (int)((long)i * mask.Height / MaskGrid);
            for (var j = 0; j < MaskGrid; j++)
            {
                var x = (int)((long)j * mask.Width / MaskGrid);
                grid[i * MaskGrid + j] = mask.Values[y * mask.Width + x];
            }
        }

        return grid;
    }
}
