using Microsoft.ML.OnnxRuntime;

namespace Elite.Inference.Imaging;

/// <summary>
/// Automatic object mask with u2netp (rembg's preprocessing): the image is resized to 320×320 (PIL Lanczos),
/// scaled by x / max(x), normalised with the ImageNet mean/std; the first output's saliency map is min-max
/// normalised, resized back to the image size (PIL-style bilinear, float) and thresholded at 0.5.
/// <see cref="Predict"/> may be called from several threads at once (ONNX Runtime sessions allow concurrent Run).
/// </summary>
public sealed class U2NetMasker : IDisposable
{
    public const int Size = 320;
    public const float Threshold = 0.5f;

    private static readonly double[] Mean = [0.485, 0.456, 0.406];
    private static readonly double[] Std = [0.229, 0.224, 0.225];

    private readonly InferenceSession session;
    private readonly string[] inputNames;
    private readonly string[] outputNames;

    public U2NetMasker(string modelPath, SessionOptions? options = null)
    {
        session = options is null ? new InferenceSession(modelPath) : new InferenceSession(modelPath, options);
        inputNames = [session.InputNames[0]];
        outputNames = [session.OutputNames[0]];
    }

    /// <summary>The object mask at the image's size, <see cref="MaskSource.Auto"/>.</summary>
    public ObjectMask Predict(RgbImage image)
    {
        var saliency = Saliency(image);
        var values = new byte[saliency.Length];
        for (var i = 0; i < values.Length; i++) values[i] = saliency[i] >= Threshold ? (byte)1 : (byte)0;
        return new ObjectMask(image.Width, image.Height, values, MaskSource.Auto);
    }

    /// <summary>The min-max normalised saliency map in [0, 1] at the image's size, row-major.</summary>
    public float[] Saliency(RgbImage image)
    {
        ArgumentNullException.ThrowIfNull(image);
        var input = Preprocess(image);
        using var inputValue = OrtValue.CreateTensorValueFromMemory(input, [1, 3, Size, Size]);
        using var runOptions = new RunOptions();
        using var outputs = session.Run(runOptions, inputNames, [inputValue], outputNames);
        var map = outputs[0].GetTensorDataAsSpan<float>()[..(Size * Size)].ToArray();

        var (min, max) = (map.Min(), map.Max());
        var range = max - min;
        for (var i = 0; i < map.Length; i++) map[i] = range > 0 ? (map[i] - min) / range : 0f;
        return PilResize.Resize(map, Size, Size, image.Width, image.Height, ResampleFilter.Bilinear);
    }

    private static float[] Preprocess(RgbImage image)
    {
        var rgb = PilResize.Resize(image, Size, Size, ResampleFilter.Lanczos).Rgb;
        // A black image has max 0: any positive divisor keeps it all zeros.
        double max = Math.Max(rgb.Max(), (byte)1);
        const int plane = Size * Size;
        var chw = new float[3 * plane];
        for (var c = 0; c < 3; c++)
        {
            for (var i = 0; i < plane; i++) chw[c * plane + i] = (float)((rgb[3 * i + c] / max - Mean[c]) / Std[c]);
        }

        return chw;
    }

    public void Dispose() => session.Dispose();
}
