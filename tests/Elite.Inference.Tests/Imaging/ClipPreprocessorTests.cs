using Elite.Contracts.Packs;
using System.Runtime.InteropServices;
using System.Text.Json;
using Elite.Contracts.Imaging;
using Elite.Inference.Imaging;
using static Elite.Inference.Tests.Imaging.ImagingTestImages;

namespace Elite.Inference.Tests.Imaging;

/// <summary>Parity with Pillow 9.4 / numpy fixtures written by Fixtures/generate_preprocess_fixtures.py, and the preprocessing contract of spec §1.3.</summary>
public class ClipPreprocessorTests
{
    private static readonly PackNormalization Clip = PackSettings.StableDiffusionV14.Normalization;
    private static readonly JsonElement Manifest = JsonDocument.Parse(File.ReadAllText(Fixture("manifest.json"))).RootElement;

    public static TheoryData<string> ByteResizeCases() => Cases(".rgb");

    public static TheoryData<string> FloatResizeCases() => Cases(".f32");

    [Theory]
    [MemberData(nameof(ByteResizeCases))]
    public void Resize_equals_pillow_bit_for_bit(string name)
    {
        var entry = Case(name);
        var source = Source(entry.GetProperty("source").GetString()!);
        var (width, height) = (entry.GetProperty("width").GetInt32(), entry.GetProperty("height").GetInt32());
        var filter = Enum.Parse<ResampleFilter>(entry.GetProperty("filter").GetString()!, ignoreCase: true);

        var resized = PilResize.Resize(source, width, height, filter);

        var expected = File.ReadAllBytes(Fixture(entry.GetProperty("file").GetString()!));
        Assert.Equal(expected.Length, resized.Rgb.Length);
        var differing = Enumerable.Range(0, expected.Length).Count(i => expected[i] != resized.Rgb[i]);
        Assert.True(differing == 0, $"{name}: {differing} of {expected.Length} values differ from Pillow");
    }

    [Theory]
    [MemberData(nameof(FloatResizeCases))]
    public void Float_resize_equals_pillow_mode_F(string name)
    {
        var entry = Case(name);
        var source = MemoryMarshal.Cast<byte, float>(File.ReadAllBytes(Fixture("float_32x24.bin"))).ToArray();
        var (width, height) = (entry.GetProperty("width").GetInt32(), entry.GetProperty("height").GetInt32());

        var resized = PilResize.Resize(source, 32, 24, width, height, ResampleFilter.Bilinear);

        var expected = MemoryMarshal.Cast<byte, float>(File.ReadAllBytes(Fixture(entry.GetProperty("file").GetString()!))).ToArray();
        Assert.Equal(expected, resized);
    }

    [Theory]
    [InlineData("mask_451x300.png", 451, 300)]
    [InlineData("mask_37x23.png", 37, 23)]
    public void Mask16_equals_pytorch_nearest_twice(string maskFile, int width, int height)
    {
        var mask = ImageDecoder.DecodeMask(File.ReadAllBytes(Fixture(maskFile)), ImageLimits.Default, width, height);
        var expected = File.ReadAllBytes(Fixture(maskFile.Replace(".png", "_mask16.u8"))).Select(b => (float)b).ToArray();
        Assert.Equal(expected, ClipPreprocessor.Mask16(mask));
    }

    [Fact]
    public void Normalisation_equals_torchvision_in_float32()
    {
        foreach (var clip in Manifest.GetProperty("clip").EnumerateArray())
        {
            var resized = File.ReadAllBytes(Fixture(clip.GetProperty("resized").GetString() + ".rgb"));
            var chw = ClipPreprocessor.Normalize(resized, Clip);
            foreach (var sample in clip.GetProperty("samples").EnumerateArray())
            {
                var (c, y, x) = (sample[0].GetInt32(), sample[1].GetInt32(), sample[2].GetInt32());
                Assert.Equal((float)sample[3].GetDouble(), chw[(c * 224 + y) * 224 + x]);
            }
        }
    }

    [Fact]
    public void Prepare_gives_elites_three_encoder_inputs_for_chelsea()
    {
        var image = ImageDecoder.Decode(File.ReadAllBytes(Assets.Path("chelsea.png")), ImageLimits.Default);
        var mask = ImageDecoder.DecodeMask(File.ReadAllBytes(Fixture("mask_451x300.png")), ImageLimits.Default, 451, 300);

        var prepared = ClipPreprocessor.Prepare(image, mask, Clip);

        Assert.Equal(ClipPreprocessor.Normalize(File.ReadAllBytes(Fixture("chelsea_bicubic_224.rgb")), Clip), prepared.Image);
        Assert.Equal(ClipPreprocessor.Normalize(File.ReadAllBytes(Fixture("chelsea_object_bicubic_224.rgb")), Clip), prepared.ObjectImage);
        Assert.Equal(File.ReadAllBytes(Fixture("mask_451x300_mask16.u8")).Select(b => (float)b), prepared.Mask16);
        Assert.Equal(3 * 224 * 224, prepared.Image.Length);
        Assert.Equal(256, prepared.Mask16.Length);
    }

    [Fact]
    public void Pixel_values_are_chw_and_use_the_clip_mean_and_std()
    {
        var rgb = new byte[224 * 224 * 3];
        for (var i = 0; i < 224 * 224; i++) (rgb[3 * i], rgb[3 * i + 1], rgb[3 * i + 2]) = (0, 255, 128);

        var values = ClipPreprocessor.PixelValues(new RgbImage(224, 224, rgb), Clip);

        Assert.All(values.AsSpan(0, 224 * 224).ToArray(), v => Assert.Equal(-0.48145466f / 0.26862954f, v, 5));
        Assert.All(values.AsSpan(224 * 224, 224 * 224).ToArray(), v => Assert.Equal((1f - 0.4578275f) / 0.26130258f, v, 5));
        Assert.All(values.AsSpan(2 * 224 * 224, 224 * 224).ToArray(), v => Assert.Equal((128 / 255f - 0.40821073f) / 0.27577711f, v, 5));
    }

    [Fact]
    public void A_224_image_is_not_resampled()
    {
        var image = Pattern(224, 224);
        Assert.Equal(ClipPreprocessor.Normalize(image.Rgb, Clip), ClipPreprocessor.PixelValues(image, Clip));
    }

    [Fact]
    public void Aspect_is_not_kept_a_wide_image_is_squashed_not_cropped()
    {
        // Left half black, right half white, 800×100: after the square resize the left columns are still black and the right white.
        var rgb = new byte[800 * 100 * 3];
        for (var y = 0; y < 100; y++) rgb.AsSpan(3 * (y * 800 + 400), 3 * 400).Fill(255);
        var resized = PilResize.Resize(new RgbImage(800, 100, rgb), 224, 224, ResampleFilter.Bicubic);
        Assert.Equal(0, resized.Rgb[3 * (100 * 224 + 2)]);
        Assert.Equal(255, resized.Rgb[3 * (100 * 224 + 221)]);
    }

    [Fact]
    public void Object_image_blackens_the_background_before_the_resize()
    {
        var image = Pattern(50, 40);
        var values = new byte[50 * 40];
        for (var y = 10; y < 30; y++) values.AsSpan(y * 50 + 15, 20).Fill(1);
        var mask = new ObjectMask(50, 40, values, MaskSource.Upload);

        var prepared = ClipPreprocessor.Prepare(image, mask, Clip);

        Assert.Equal(ClipPreprocessor.PixelValues(mask.Apply(image), Clip), prepared.ObjectImage);
        Assert.Equal(ClipPreprocessor.PixelValues(image, Clip), prepared.Image);
        var black = ClipPreprocessor.Normalize([0, 0, 0], Clip);
        Assert.Equal(black[0], prepared.ObjectImage[0]); // the top-left corner is background
    }

    [Fact]
    public void Mask16_picks_floor_of_i_times_size_over_16()
    {
        // 20 wide, 35 high: row i samples y = floor(35i/16), column j samples x = floor(20j/16).
        var values = new byte[20 * 35];
        values[2 * 20 + 1] = 1; // y = 2 (i = 1), x = 1 (j = 1)
        values[34 * 20 + 18] = 1; // y = 34 (i = 15 → floor(525/16) = 32: not sampled)
        values[32 * 20 + 18] = 1; // y = 32 (i = 15), x = 18 (j = 15 → floor(300/16) = 18)
        var grid = ClipPreprocessor.Mask16(new ObjectMask(20, 35, values, MaskSource.Upload));
        Assert.Equal(2, grid.Count(v => v == 1));
        Assert.Equal(1, grid[1 * 16 + 1]);
        Assert.Equal(1, grid[15 * 16 + 15]);
    }

    [Fact]
    public void Resize_to_the_same_size_is_a_copy()
    {
        var image = Pattern(13, 7);
        var same = PilResize.Resize(image, 13, 7, ResampleFilter.Lanczos);
        Assert.Equal(image.Rgb, same.Rgb);
        Assert.NotSame(image.Rgb, same.Rgb);
        Assert.Equal([1f, 2f], PilResize.Resize([1f, 2f], 2, 1, 2, 1, ResampleFilter.Bilinear));
    }

    [Fact]
    public void Resize_checks_its_arguments()
    {
        Assert.Throws<ArgumentException>(() => PilResize.Resize(new byte[11], 2, 2, 3, 4, 4, ResampleFilter.Bicubic));
        Assert.Throws<ArgumentOutOfRangeException>(() => PilResize.Resize(new byte[12], 2, 2, 3, 0, 4, ResampleFilter.Bicubic));
        Assert.Throws<ArgumentOutOfRangeException>(() => PilResize.Resize(new float[4], 2, 2, 4, -1, ResampleFilter.Bilinear));
    }

    [Fact]
    public void A_flat_image_stays_flat_whatever_the_filter()
    {
        var rgb = new byte[30 * 20 * 3];
        Array.Fill(rgb, (byte)77);
        foreach (var filter in Enum.GetValues<ResampleFilter>())
        {
            Assert.All(PilResize.Resize(new RgbImage(30, 20, rgb), 7, 45, filter).Rgb, v => Assert.Equal(77, v));
        }
    }

    [Fact]
    public void Prepare_rejects_a_mask_of_another_size()
    {
        var mask = new ObjectMask(10, 10, new byte[100], MaskSource.Upload);
        Assert.Throws<ArgumentException>(() => ClipPreprocessor.Prepare(Pattern(10, 11), mask, Clip));
    }

    private static TheoryData<string> Cases(string extension)
    {
        var data = new TheoryData<string>();
        foreach (var entry in Manifest.GetProperty("resize").EnumerateArray())
        {
            if (entry.GetProperty("file").GetString()!.EndsWith(extension, StringComparison.Ordinal)) data.Add(entry.GetProperty("name").GetString()!);
        }

        return data;
    }

    private static JsonElement Case(string name) => Manifest.GetProperty("resize").EnumerateArray().Single(e => e.GetProperty("name").GetString() == name);

    private static RgbImage Source(string source)
    {
        var limits = ImageLimits.Default;
        if (source == "chelsea") return ImageDecoder.Decode(File.ReadAllBytes(Assets.Path("chelsea.png")), limits);
        if (source == "chelsea*mask_451x300.png")
        {
            var chelsea = ImageDecoder.Decode(File.ReadAllBytes(Assets.Path("chelsea.png")), limits);
            return ImageDecoder.DecodeMask(File.ReadAllBytes(Fixture("mask_451x300.png")), limits, 451, 300).Apply(chelsea);
        }

        return ImageDecoder.Decode(File.ReadAllBytes(Fixture(source)), limits);
    }
}
