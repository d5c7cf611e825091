using System.Collections;
using System.Numerics;
using Razorvine.Pickle;
using Razorvine.Pickle.Objects;

namespace Elite.ModelBuilder.Weights;

/// <summary>A problem found while unpickling <c>data.pkl</c>; <see cref="TorchCheckpoint"/> adds the file name.</summary>
internal sealed class TorchPickleContentException(string problem) : Exception(problem);

/// <summary>A <c>torch.XxxStorage</c> class named in a pickle; <see cref="Type"/> is null where this reader cannot convert it.</summary>
internal sealed class TorchStorageKind(string name, TensorType? type, int elementSize) : IObjectConstructor
{
    public string Name { get; } = name;

    public TensorType? Type { get; } = type;

    public int ElementSize { get; } = elementSize;

    public object construct(object[] args) =>
        throw new TorchPickleContentException($"the pickle calls torch.{Name}(...) itself; only storages saved by torch.save are supported");
}

/// <summary>A storage loaded by persistent id: its bytes are the zip entry <c>{archive}/data/{Key}</c>.</summary>
internal sealed record TorchStorage(string Key, TorchStorageKind Kind, long ElementCount);

/// <summary>A tensor as <c>torch._utils._rebuild_tensor_v2</c> describes it: a strided view of a storage (offsets and strides in elements).</summary>
internal sealed record TorchTensorRef(TorchStorage Storage, long StorageOffset, long[] Shape, long[] Strides);

/// <summary>
/// <c>collections.OrderedDict</c>, keeping the insertion order (a state dict's order). Razorvine 1.5 fills dictionaries
/// through the <see cref="Hashtable"/> indexer, and for a SETITEMS opcode (a batch of up to 1000 items) it assigns the
/// items last to first. The items of one batch are assigned with nothing unpickled in between, while each batch's values
/// (tensors) are built by constructors that advance <see cref="TorchUnpickler.Constructions"/>; so a key assigned
/// without any construction since the previous one belongs to the same batch and goes before it.
/// </summary>
internal sealed class PickledOrderedDict : Hashtable
{
    private readonly List<object> order = [];
    private long batchConstructions = -1;
    private int batchStart;

    public IReadOnlyList<object> KeysInOrder => order;

    public override object? this[object key]
    {
        get => base[key];
        set
        {
            if (!ContainsKey(key))
            {
                if (TorchUnpickler.Constructions != batchConstructions)
                {
                    batchConstructions = TorchUnpickler.Constructions;
                    batchStart = order.Count;
                }
                order.Insert(batchStart, key);
            }
            base[key] = value;
        }
    }

    public override void Add(object key, object? value)
    {
        base.Add(key, value);
        order.Add(key);
    }

    public override void Remove(object key)
    {
        base.Remove(key);
        order.Remove(key);
    }

    public override void Clear()
    {
        base.Clear();
        order.Clear();
    }

    // A state dict pickles its instance attributes ({'_metadata': ...}) as BUILD state; they are not needed.
    public void __setstate__(Hashtable state)
    {
    }
}

/// <summary>Unpickles a <c>data.pkl</c> written by <c>torch.save</c> (zip format) into dictionaries of <see cref="TorchTensorRef"/>.</summary>
internal sealed class TorchUnpickler : Unpickler
{
    private static readonly TorchStorageKind[] StorageKinds =
    [
        new("FloatStorage", TensorType.Float32, 4),
        new("HalfStorage", TensorType.Float16, 2),
        new("BFloat16Storage", TensorType.BFloat16, 2),
        new("LongStorage", TensorType.Int64, 8),
        new("DoubleStorage", null, 8),
        new("IntStorage", null, 4),
        new("ShortStorage", null, 2),
        new("CharStorage", null, 1),
        new("ByteStorage", null, 1),
        new("BoolStorage", null, 1),
        new("ComplexFloatStorage", null, 8),
        new("ComplexDoubleStorage", null, 16),
        new("QInt8Storage", null, 1),
        new("QUInt8Storage", null, 1),
        new("QInt32Storage", null, 4),
        new("QUInt4x2Storage", null, 1),
        new("QUInt2x4Storage", null, 1),
        new("UntypedStorage", null, 1),
    ];

    [ThreadStatic]
    private static long constructions;

    // Razorvine keeps its constructor table in one static dictionary; a static constructor registers ours once.
    static TorchUnpickler()
    {
        Register("collections", "OrderedDict", new OrderedDictConstructor());
        Register("torch._utils", "_rebuild_tensor_v2", new RebuildTensorConstructor("_rebuild_tensor_v2"));
        Register("torch._utils", "_rebuild_tensor", new RebuildTensorConstructor("_rebuild_tensor"));
        Register("torch._utils", "_rebuild_parameter", new RebuildParameterConstructor());
        Register("torch._utils", "_rebuild_parameter_with_state", new RebuildParameterConstructor());
        Register("torch._tensor", "_rebuild_from_type_v2", new RebuildFromTypeConstructor());
        foreach (var kind in StorageKinds)
            registerConstructor("torch", kind.Name, kind);
    }

    /// <summary>How many objects this thread's unpickling has built so far (see <see cref="PickledOrderedDict"/>).</summary>
    public static long Constructions => constructions;

    private static void Register(string module, string name, IObjectConstructor constructor) =>
        registerConstructor(module, name, new CountingConstructor(constructor));

    public static string SupportedStorageTypes =>
        string.Join(", ", StorageKinds.Where(k => k.Type is not null).Select(k => "torch." + k.Name));

    // torch.save's persistent id of a storage: ('storage', storage_type, key, location, numel).
    protected override object persistentLoad(object pid)
    {
        constructions++;
        if (pid is not object[] { Length: 5 } id || id[0] is not "storage")
            throw new TorchPickleContentException($"unsupported persistent id {Describe(pid)} (expected ('storage', type, key, location, numel))");
        if (id[2] is not string key)
            throw new TorchPickleContentException($"storage key is {Describe(id[2])}, not a string");
        var kind = id[1] switch
        {
            TorchStorageKind { Type: not null } k => k,
            TorchStorageKind k => throw UnsupportedStorage("torch." + k.Name, key),
            ClassDictConstructor c => throw UnsupportedStorage($"{c.module}.{c.name}", key),
            var other => throw UnsupportedStorage(Describe(other), key),
        };
        return new TorchStorage(key, kind, ToLong(id[4], "storage numel"));
    }

    private static TorchPickleContentException UnsupportedStorage(string type, string key) =>
        new($"unsupported storage type {type} (storage '{key}'); supported: {SupportedStorageTypes}");

    /// <summary>A short Python-like name of an unpickled value's type, for error messages.</summary>
    public static string Describe(object? value) => value switch
    {
        null => "None",
        string => "str",
        bool => "bool",
        int or long or BigInteger => "int",
        double => "float",
        byte[] => "bytes",
        object[] => "tuple",
        ArrayList => "list",
        Hashtable => "dict",
        ClassDict c => c.ClassName,
        ClassDictConstructor c => $"{c.module}.{c.name}",
        TorchTensorRef => "tensor",
        TorchStorage => "storage",
        TorchStorageKind k => "torch." + k.Name,
        _ => value.GetType().Name,
    };

    public static long ToLong(object? value, string what) => value switch
    {
        int i => i,
        long l => l,
        _ => throw new TorchPickleContentException($"{what} is {Describe(value)}, not an int"),
    };

    private static long[] ToLongs(object? value, string what) => value is object[] items
        ? items.Select(v => ToLong(v, what + " item")).ToArray()
        : throw new TorchPickleContentException($"{what} is {Describe(value)}, not a tuple");

    private sealed class CountingConstructor(IObjectConstructor inner) : IObjectConstructor
    {
        public object construct(object[] args)
        {
            constructions++;
            return inner.construct(args);
        }
    }

    private sealed class OrderedDictConstructor : IObjectConstructor
    {
        public object construct(object[] args)
        {
            var dict = new PickledOrderedDict();
            if (args.Length == 0)
                return dict;
            if (args is not [ArrayList pairs])
                throw new TorchPickleContentException("collections.OrderedDict called with unsupported arguments");
            foreach (var pair in pairs)
            {
                if (pair is not object[] { Length: 2 } kv)
                    throw new TorchPickleContentException("collections.OrderedDict called with a list that is not of (key, value) pairs");
                dict.Add(kv[0], kv[1]);
            }
            return dict;
        }
    }

    // _rebuild_tensor_v2(storage, storage_offset, size, stride, requires_grad, backward_hooks[, metadata]);
    // the older _rebuild_tensor(storage, storage_offset, size, stride).
    private sealed class RebuildTensorConstructor(string function) : IObjectConstructor
    {
        public object construct(object[] args)
        {
            if (args.Length < 4)
                throw new TorchPickleContentException($"torch._utils.{function} called with {args.Length} arguments, expected at least 4");
            if (args[0] is not TorchStorage storage)
                throw new TorchPickleContentException($"torch._utils.{function}: the first argument is {Describe(args[0])}, not a storage");
            var shape = ToLongs(args[2], "tensor size");
            var strides = ToLongs(args[3], "tensor stride");
            if (shape.Length != strides.Length)
                throw new TorchPickleContentException($"tensor size has {shape.Length} dimensions but its stride has {strides.Length}");
            return new TorchTensorRef(storage, ToLong(args[1], "storage offset"), shape, strides);
        }
    }

    // _rebuild_parameter(data, requires_grad, backward_hooks) and _rebuild_parameter_with_state(..., state): the data is the tensor.
    private sealed class RebuildParameterConstructor : IObjectConstructor
    {
        public object construct(object[] args) => args is [TorchTensorRef tensor, ..]
            ? tensor
            : throw new TorchPickleContentException("torch._utils._rebuild_parameter is not called on a tensor");
    }

    // _rebuild_from_type_v2(func, new_type, args, state): torch.Tensor subclasses; the tensor is func(*args).
    private sealed class RebuildFromTypeConstructor : IObjectConstructor
    {
        public object construct(object[] args) => args is [IObjectConstructor func, _, object[] funcArgs, ..]
            ? func.construct(funcArgs)
            : throw new TorchPickleContentException("torch._tensor._rebuild_from_type_v2 called with unsupported arguments");
    }
}
