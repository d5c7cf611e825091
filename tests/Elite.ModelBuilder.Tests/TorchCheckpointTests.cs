using System.IO.Compression;
using Elite.ModelBuilder.Weights;

namespace Elite.ModelBuilder.Tests;

public sealed class TorchCheckpointTests : IDisposable
{
    private static readonly string FixtureDir = Path.Combine(AppContext.BaseDirectory, "Fixtures", "checkpoints");

    private readonly string tempDir = Directory.CreateTempSubdirectory("torch-checkpoint-tests-").FullName;

    public void Dispose() => Directory.Delete(tempDir, recursive: true);

    // ---- fixtures written by torch.save ----

    [Theory]
    [InlineData("mapper-f32")]
    [InlineData("mapper-f16")]
    [InlineData("views")]
    public void Every_tensor_has_the_expected_name_shape_and_values(string stem)
    {
        var expected = ExpectedTensors(stem);
        using var checkpoint = TorchCheckpoint.Open(Fixture(stem + ".pt"));

        Assert.Equal(expected.Keys.Order(StringComparer.Ordinal), checkpoint.Tensors.Keys.Order(StringComparer.Ordinal));
        foreach (var (name, tensor) in checkpoint.Tensors)
        {
            var (shape, values) = expected[name];
            Assert.Equal(name, tensor.Name);
            Assert.Equal(shape, tensor.Shape);
            Assert.Equal(values.Length, tensor.ElementCount);
            Assert.True(Bits(values).SequenceEqual(Bits(tensor.ReadFloats())), $"{stem}.pt '{name}' values differ from expected.safetensors");
        }
    }

    [Theory]
    [InlineData("mapper-f32", TensorType.Float32)]
    [InlineData("mapper-f16", TensorType.Float16)]
    public void Mapper_tensors_keep_their_stored_type(string stem, TensorType type)
    {
        using var checkpoint = TorchCheckpoint.Open(Fixture(stem + ".pt"));
        Assert.All(checkpoint.Tensors.Values, t => Assert.Equal(type, t.Type));
    }

    [Theory]
    [InlineData("mapper-f32")]
    [InlineData("mapper-f16")]
    public void Mappers_have_the_elite_key_layout_in_state_dict_order(string stem)
    {
        // The fixture is ELITE's Mapper at a tiny size plus one module's K/V, saved as ELITE saves it.
        // Mapper registers mapping_{i} and mapping_patch_{i} in one loop, so they alternate.
        var expected = Enumerable.Range(0, 5).SelectMany(i => new[] { $"mapping_{i}", $"mapping_patch_{i}" })
            .SelectMany(mlp => new[] { 0, 1, 3, 4, 6 }.SelectMany(layer => new[] { $"{mlp}.{layer}.weight", $"{mlp}.{layer}.bias" }))
            .Append("down_blocks_0_attentions_0_transformer_blocks_0_attn2_to_k.weight")
            .Append("down_blocks_0_attentions_0_transformer_blocks_0_attn2_to_v.weight");
        var eliteNames = File.ReadLines(Path.Combine(AppContext.BaseDirectory, "Reference", "elite-global-mapper.tsv"))
            .Skip(1).Select(line => line.Split('\t')[0]).ToHashSet(StringComparer.Ordinal);

        using var checkpoint = TorchCheckpoint.Open(Fixture(stem + ".pt"));

        Assert.Equal(expected, checkpoint.Tensors.Keys);
        Assert.Subset(eliteNames, checkpoint.Tensors.Keys.ToHashSet(StringComparer.Ordinal));
        Assert.Equal([32L, 12], checkpoint.Tensors["down_blocks_0_attentions_0_transformer_blocks_0_attn2_to_k.weight"].Shape);
    }

    [Fact]
    public void Views_of_one_storage_and_a_transposed_tensor_read_in_row_major_order()
    {
        var expected = ExpectedTensors("views");
        using var checkpoint = TorchCheckpoint.Open(Fixture("views.pt"));

        // a.weight = base[0:4] and b.weight = base[4:8] of one [8,3] storage; c.weight = a [3,4] tensor's .t().
        Assert.Equal(["a.weight", "b.weight", "c.weight"], checkpoint.Tensors.Keys);
        Assert.Equal([4L, 3], checkpoint.Tensors["a.weight"].Shape);
        Assert.Equal([4L, 3], checkpoint.Tensors["b.weight"].Shape);
        Assert.Equal([4L, 3], checkpoint.Tensors["c.weight"].Shape);
        Assert.All(checkpoint.Tensors.Values, t => Assert.Equal(TensorType.Float32, t.Type));
        Assert.NotEqual(checkpoint.Tensors["a.weight"].ReadFloats(), checkpoint.Tensors["b.weight"].ReadFloats());
        // Read in reverse order and twice: each read is independent of the others.
        foreach (var tensor in checkpoint.Tensors.Values.Reverse().Concat(checkpoint.Tensors.Values))
            Assert.Equal(expected[tensor.Name].Values, tensor.ReadFloats());
    }

    // ---- hand-made checkpoints: layouts and types the fixtures may not cover ----

    [Fact]
    public void Shared_storage_offsets_strides_and_scalars_are_honoured()
    {
        float[] storage = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11];
        PickledTensor[] tensors =
        [
            new("whole", "FloatStorage", "0", 12, 0, [3, 4], [4, 1]),
            new("rows_1_2", "FloatStorage", "0", 12, 4, [2, 4], [4, 1]),
            new("transposed", "FloatStorage", "0", 12, 0, [4, 3], [1, 4]),
            new("column_2", "FloatStorage", "0", 12, 2, [3], [4]),
            new("sliced_transposed", "FloatStorage", "0", 12, 5, [3, 2], [1, 4]),
            new("scalar", "FloatStorage", "0", 12, 7, [], []),
            new("empty", "FloatStorage", "0", 12, 0, [0, 4], [4, 1]),
            new("parameter", "FloatStorage", "1", 2, 0, [2], [1], AsParameter: true),
        ];
        var path = WriteCheckpoint("views", tensors, ("0", TorchZip.Floats(storage)), ("1", TorchZip.Floats(-1.5f, 2.25f)));

        using var checkpoint = TorchCheckpoint.Open(path);

        Assert.Equal(tensors.Select(t => t.Name), checkpoint.Tensors.Keys);
        Assert.Equal(storage, checkpoint.Tensors["whole"].ReadFloats());
        Assert.Equal([4f, 5, 6, 7, 8, 9, 10, 11], checkpoint.Tensors["rows_1_2"].ReadFloats());
        Assert.Equal([0f, 4, 8, 1, 5, 9, 2, 6, 10, 3, 7, 11], checkpoint.Tensors["transposed"].ReadFloats());
        Assert.Equal([2f, 6, 10], checkpoint.Tensors["column_2"].ReadFloats());
        Assert.Equal([5f, 9, 6, 10, 7, 11], checkpoint.Tensors["sliced_transposed"].ReadFloats());
        Assert.Equal([7f], checkpoint.Tensors["scalar"].ReadFloats());
        Assert.Empty(checkpoint.Tensors["scalar"].Shape);
        Assert.Empty(checkpoint.Tensors["empty"].ReadFloats());
        Assert.Equal([-1.5f, 2.25f], checkpoint.Tensors["parameter"].ReadFloats());
        Assert.Equal([4L, 3], checkpoint.Tensors["transposed"].Shape);
    }

    [Fact]
    public void Half_bfloat16_and_long_storages_convert_exactly_to_float32()
    {
        Half[] halves = [(Half)0.5f, (Half)(-2.75f), Half.MaxValue, Half.Epsilon, Half.NegativeZero, Half.PositiveInfinity];
        float[] bfloats = [1f, -3.5f, 1.0078125f, float.MaxValue];
        long[] longs = [0, 1, -76, 1L << 40];
        PickledTensor[] tensors =
        [
            new("half", "HalfStorage", "h", 6, 0, [2, 3], [3, 1]),
            new("half_t", "HalfStorage", "h", 6, 0, [3, 2], [1, 3]),
            new("bfloat", "BFloat16Storage", "b", 4, 0, [4], [1]),
            new("long", "LongStorage", "l", 4, 1, [3], [1]),
        ];
        var path = WriteCheckpoint(
            "types", tensors,
            ("h", halves.SelectMany(h => BitConverter.GetBytes(BitConverter.HalfToUInt16Bits(h))).ToArray()),
            ("b", bfloats.SelectMany(f => BitConverter.GetBytes((ushort)(BitConverter.SingleToUInt32Bits(f) >> 16))).ToArray()),
            ("l", longs.SelectMany(BitConverter.GetBytes).ToArray()));

        using var checkpoint = TorchCheckpoint.Open(path);

        Assert.Equal(TensorType.Float16, checkpoint.Tensors["half"].Type);
        Assert.Equal(TensorType.BFloat16, checkpoint.Tensors["bfloat"].Type);
        Assert.Equal(TensorType.Int64, checkpoint.Tensors["long"].Type);
        var halfFloats = halves.Select(h => (float)h).ToArray();
        Assert.Equal(Bits(halfFloats), Bits(checkpoint.Tensors["half"].ReadFloats()));
        Assert.Equal(Bits([halfFloats[0], halfFloats[3], halfFloats[1], halfFloats[4], halfFloats[2], halfFloats[5]]),
            Bits(checkpoint.Tensors["half_t"].ReadFloats()));
        Assert.Equal([1f, -3.5f, 1.0078125f, BitConverter.UInt32BitsToSingle(BitConverter.SingleToUInt32Bits(float.MaxValue) & 0xFFFF0000)],
            checkpoint.Tensors["bfloat"].ReadFloats());
        Assert.Equal([1f, -76, 1L << 40], checkpoint.Tensors["long"].ReadFloats());
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(1000)]
    [InlineData(2001)]
    public void Tensors_keep_the_state_dict_order_across_setitems_batches(int count)
    {
        // Names whose ordinal order differs from the saved order.
        var tensors = Enumerable.Range(0, count)
            .Select(i => new PickledTensor($"t{(i * 7919) % count:D5}", "FloatStorage", "0", count, i, [1], [1]))
            .ToArray();
        var path = WriteCheckpoint("order", tensors, ("0", TorchZip.Floats(Enumerable.Range(0, count).Select(i => (float)i).ToArray())));

        using var checkpoint = TorchCheckpoint.Open(path);

        Assert.Equal(tensors.Select(t => t.Name), checkpoint.Tensors.Keys);
        Assert.Equal([count - 1f], checkpoint.Tensors[tensors[^1].Name].ReadFloats());
    }

    [Fact]
    public void A_big_endian_file_is_byte_swapped()
    {
        float[] values = [1.5f, -2f, 3.25f];
        var bigEndian = values.SelectMany(v => BitConverter.GetBytes(v).Reverse()).ToArray();
        var path = WriteCheckpoint("big", [new("w", "FloatStorage", "0", 3, 0, [3], [1])], "big", ("0", bigEndian));

        using var checkpoint = TorchCheckpoint.Open(path);

        Assert.Equal(values, checkpoint.Tensors["w"].ReadFloats());
    }

    [Fact]
    public void A_plain_dict_is_read_with_its_keys_in_ordinal_order()
    {
        var pickle = new PickleWriter().Op('}').Op('(')
            .Str("b").Tensor(new("b", "FloatStorage", "0", 2, 1, [1], [1]))
            .Str("a").Tensor(new("a", "FloatStorage", "0", 2, 0, [1], [1]))
            .Op('u').Stop();
        var path = Temp("plain.pt");
        TorchZip.Write(path, "plain", pickle, [("0", TorchZip.Floats(10, 20))]);

        using var checkpoint = TorchCheckpoint.Open(path);

        Assert.Equal(["a", "b"], checkpoint.Tensors.Keys);
        Assert.Equal([20f], checkpoint.Tensors["b"].ReadFloats());
    }

    [Fact]
    public void Reading_after_dispose_fails_plainly()
    {
        var path = WriteCheckpoint("d", [new("w", "FloatStorage", "0", 1, 0, [1], [1])], ("0", TorchZip.Floats(1)));
        var checkpoint = TorchCheckpoint.Open(path);
        var tensor = checkpoint.Tensors["w"];
        checkpoint.Dispose();

        Assert.Throws<ObjectDisposedException>(() => tensor.ReadFloats());
    }

    // ---- errors ----

    [Fact]
    public void A_missing_file_is_a_clear_error() =>
        AssertError(Temp("absent.pt"), "cannot open the file");

    [Fact]
    public void Random_bytes_are_not_a_zip()
    {
        var path = Temp("random.pt");
        File.WriteAllBytes(path, RandomBytes(4096, seed: 1));
        AssertError(path, "not a zip archive");
    }

    [Fact]
    public void An_empty_file_is_not_a_zip()
    {
        var path = Temp("empty.pt");
        File.WriteAllBytes(path, []);
        AssertError(path, "not a zip archive");
    }

    [Fact]
    public void The_legacy_non_zip_torch_format_is_named()
    {
        // The legacy format starts with a protocol-2 pickle of torch's magic number.
        var path = Temp("legacy.pt");
        File.WriteAllBytes(path, [0x80, 0x02, 0x8a, 0x0a, 0x6c, 0xfc, 0x9c, 0x46, 0xf9, 0x20, 0x6a, 0xa8, 0x50, 0x19, 0x2e]);
        AssertError(path, "legacy torch.save format");
    }

    [Fact]
    public void An_empty_zip_has_no_data_pkl()
    {
        var path = Temp("empty-zip.pt");
        using (new ZipArchive(File.Create(path), ZipArchiveMode.Create))
        {
        }
        AssertError(path, "no data.pkl");
    }

    [Fact]
    public void A_zip_without_data_pkl_is_refused()
    {
        var path = Temp("no-pickle.pt");
        TorchZip.Write(path, "no-pickle", pickle: null, [("0", TorchZip.Floats(1))]);
        AssertError(path, "no data.pkl");
    }

    [Fact]
    public void A_pickle_of_a_list_is_not_a_dict_of_tensors()
    {
        var path = Temp("list.pt");
        TorchZip.Write(path, "list", new PickleWriter().Op(']').Op('(').Int(1).Int(2).Op('e').Stop(), []);
        AssertError(path, "list/data.pkl: the top level has type list, not a dict of tensors");
    }

    [Fact]
    public void A_dict_holding_something_else_than_tensors_is_refused()
    {
        // Like a training checkpoint {'step': 1000, 'state_dict': {...}}.
        var path = Temp("nested.pt");
        var pickle = new PickleWriter().Op('}').Op('(').Str("step").Int(1000).Str("state_dict").Op('}').Op('u').Stop();
        TorchZip.Write(path, "nested", pickle, []);
        AssertError(path, "the value of 'state_dict' has type dict, not a tensor");
    }

    [Theory]
    [InlineData("IntStorage", "torch.IntStorage")]
    [InlineData("DoubleStorage", "torch.DoubleStorage")]
    [InlineData("NoSuchStorage", "torch.NoSuchStorage")]
    public void An_unsupported_storage_type_is_named(string storageType, string expected)
    {
        var path = WriteCheckpoint("int", [new("w", storageType, "0", 1, 0, [1], [1])], ("0", new byte[8]));
        var error = AssertError(path, "unsupported storage type " + expected);
        Assert.Contains("torch.FloatStorage", error.Message);
    }

    [Fact]
    public void A_missing_storage_entry_is_named()
    {
        var path = WriteCheckpoint("missing", [new("w", "FloatStorage", "7", 1, 0, [1], [1])], ("0", TorchZip.Floats(1)));
        AssertError(path, "missing/data/7");
    }

    [Fact]
    public void A_storage_entry_too_short_for_its_tensor_is_refused()
    {
        var path = WriteCheckpoint("short", [new("w", "FloatStorage", "0", 4, 1, [2, 2], [2, 1])], ("0", TorchZip.Floats(1, 2, 3, 4)));
        AssertError(path, "needs 20 bytes of short/data/0, which holds 16");
    }

    [Fact]
    public void Random_bytes_in_data_pkl_are_a_clear_error()
    {
        for (var seed = 0; seed < 50; seed++)
        {
            var path = Temp($"garbage-{seed}.pt");
            TorchZip.Write(path, "garbage", RandomBytes(64, seed), []);
            AssertError(path, "data.pkl");
        }
    }

    [Fact]
    public void A_truncated_pickle_is_a_clear_error_at_every_length()
    {
        var pickle = new PickleWriter().StateDict([new("w", "FloatStorage", "0", 1, 0, [1], [1])]).Stop();
        for (var length = 0; length < pickle.Length; length++)
        {
            var path = Temp($"truncated-{length}.pt");
            TorchZip.Write(path, "truncated", pickle[..length], [("0", TorchZip.Floats(1))]);
            AssertError(path, "truncated/data.pkl");
        }
    }

    // ---- helpers ----

    private static string Fixture(string file)
    {
        var path = Path.Combine(FixtureDir, file);
        Assert.True(File.Exists(path), $"fixture {path} is missing; it is generated by torch.save (branch fixtures)");
        return path;
    }

    private static Dictionary<string, (long[] Shape, float[] Values)> ExpectedTensors(string stem) =>
        ExpectedSafetensors.Read(Fixture("expected.safetensors"))
            .Where(e => e.Key.StartsWith(stem + "/", StringComparison.Ordinal))
            .ToDictionary(e => e.Key[(stem.Length + 1)..], e => e.Value, StringComparer.Ordinal);

    private static int[] Bits(float[] values) => values.Select(BitConverter.SingleToInt32Bits).ToArray();

    private static byte[] RandomBytes(int length, int seed)
    {
        var bytes = new byte[length];
        new Random(seed).NextBytes(bytes);
        return bytes;
    }

    private string Temp(string file) => Path.Combine(tempDir, file);

    private string WriteCheckpoint(string archive, PickledTensor[] tensors, params (string Key, byte[] Bytes)[] storages) =>
        WriteCheckpoint(archive, tensors, "little", storages);

    private string WriteCheckpoint(string archive, PickledTensor[] tensors, string byteOrder, params (string Key, byte[] Bytes)[] storages)
    {
        var path = Temp(archive + ".pt");
        TorchZip.Write(path, archive, new PickleWriter().StateDict(tensors).Stop(), storages, byteOrder);
        return path;
    }

    private static CheckpointFormatException AssertError(string path, string expected)
    {
        var error = Assert.Throws<CheckpointFormatException>(() => TorchCheckpoint.Open(path).Dispose());
        Assert.Contains(path, error.Message);
        Assert.Contains(expected, error.Message);
        return error;
    }
}
