using System.Runtime.InteropServices;
using System.Text;
using Elite.ModelBuilder.Tests.Support;
using Elite.ModelBuilder.Weights;

namespace Elite.ModelBuilder.Tests;

public sealed class SafetensorsCheckpointTests : IDisposable
{
    private readonly DirectoryInfo directory = Directory.CreateTempSubdirectory("elite-st-");

    public void Dispose() => directory.Delete(recursive: true);

    [Fact]
    public void Round_trip_of_every_supported_dtype()
    {
        float[] values = [0f, 1.5f, -2.25f, 65504f, 1e-3f, -0.1f];
        var halves = values.Select(v => (Half)v).ToArray();
        var bfloats = values.Select(v => (ushort)(BitConverter.SingleToInt32Bits(v) >> 16)).ToArray();
        var path = Write(
            new RawTensor("f32", "F32", [2, 3], MemoryMarshal.AsBytes(values.AsSpan()).ToArray()),
            new RawTensor("f16", "F16", [6], MemoryMarshal.AsBytes(halves.AsSpan()).ToArray()),
            new RawTensor("bf16", "BF16", [3, 2], MemoryMarshal.AsBytes(bfloats.AsSpan()).ToArray()),
            new RawTensor("i64", "I64", [1, 3], MemoryMarshal.AsBytes(new long[] { 0, 1, 76 }.AsSpan()).ToArray()),
            new RawTensor("scalar", "F32", [], BitConverter.GetBytes(2.6592f)));

        using var checkpoint = new SafetensorsCheckpoint(path);

        Assert.Equal(["bf16", "f16", "f32", "i64", "scalar"], checkpoint.Tensors.Keys.Order(StringComparer.Ordinal));
        Assert.Equal(values, checkpoint.Tensors["f32"].ReadFloats());
        Assert.Equal(new long[] { 2, 3 }, checkpoint.Tensors["f32"].Shape);
        Assert.Equal(halves.Select(h => (float)h), checkpoint.Tensors["f16"].ReadFloats());
        Assert.Equal(values.Select(v => BitConverter.Int32BitsToSingle(BitConverter.SingleToInt32Bits(v) & unchecked((int)0xFFFF0000))), checkpoint.Tensors["bf16"].ReadFloats());
        Assert.Equal([0f, 1f, 76f], checkpoint.Tensors["i64"].ReadFloats());
        Assert.Equal(TensorType.Int64, checkpoint.Tensors["i64"].Type);
        Assert.Equal([2.6592f], checkpoint.Tensors["scalar"].ReadFloats());
    }

    [Theory]
    [InlineData("shorter than its 8-byte header")]
    [InlineData("header length")]
    [InlineData("not JSON")]
    [InlineData("lacks dtype, shape or data_offsets")]
    [InlineData("unsupported dtype")]
    [InlineData("do not fit its shape")]
    public void Damaged_files_are_refused_with_the_reason(string reason)
    {
        var path = Path.Combine(directory.FullName, "bad.safetensors");
        byte[] Header(string json) => [.. BitConverter.GetBytes((long)Encoding.UTF8.GetByteCount(json)), .. Encoding.UTF8.GetBytes(json), .. new byte[16]];
        File.WriteAllBytes(path, reason switch
        {
            "shorter than its 8-byte header" => [1, 2, 3],
            "header length" => [.. BitConverter.GetBytes(1L << 40), .. new byte[8]],
            "not JSON" => Header("{\"a\": [1, 2"),
            "lacks dtype, shape or data_offsets" => Header("{\"a\": {\"dtype\": \"F32\"}}"),
            "unsupported dtype" => Header("{\"a\": {\"dtype\": \"C64\", \"shape\": [1], \"data_offsets\": [0, 8]}}"),
            _ => Header("{\"a\": {\"dtype\": \"F32\", \"shape\": [2, 3], \"data_offsets\": [0, 16]}}"),
        });

        var error = Assert.Throws<CheckpointFormatException>(() => new SafetensorsCheckpoint(path));
        Assert.Contains(reason, error.Message);
        Assert.Contains(path, error.Message);
    }

    private string Write(params RawTensor[] tensors)
    {
        var path = Path.Combine(directory.FullName, Guid.NewGuid().ToString("N") + ".safetensors");
        SafetensorsFile.Write(path, tensors);
        return path;
    }
}
