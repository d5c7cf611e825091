using Elite.Contracts.Packs;
using Google.Protobuf;
using Onnx;

namespace Elite.ModelBuilder.Graph;

/// <summary>A float initializer whose values are produced only when the model is written.</summary>
public sealed record Initializer(Tensor Value, Func<float[]> Values);

/// <summary>
/// Builds one ONNX graph (opset 21) node by node. Float weights and constants take the graph's
/// <see cref="FloatType"/>; numerically sensitive operators (softmax, normalisations) run in float32
/// whatever that type is. Every helper infers and checks shapes. <see cref="Attention"/> says how the
/// architectures build plain attention.
/// </summary>
public sealed class GraphBuilder(string name, ElementType floatType = ElementType.Float, AttentionKind attention = AttentionKind.Explicit)
{
    public const int Opset = 21;

    /// <summary>The domain of ONNX Runtime's contrib operators, and the version of it the graphs use.</summary>
    public const string MicrosoftDomain = "com.microsoft";
    public const int MicrosoftOpset = 1;

    private readonly List<NodeProto> nodes = [];
    private readonly List<Tensor> inputs = [];
    private readonly List<Tensor> outputs = [];
    private readonly List<Initializer> initializers = [];
    private readonly List<TensorProto> constants = [];
    private readonly Dictionary<string, Tensor> initializerByName = [];
    private readonly Stack<string> scopes = new();
    private int counter;

    public string Name { get; } = name;
    public ElementType FloatType { get; } = floatType;
    public AttentionKind Attention { get; } = attention;
    public IReadOnlyList<Tensor> Inputs => inputs;
    public IReadOnlyList<Tensor> Outputs => outputs;
    public IReadOnlyList<Initializer> Initializers => initializers;
    internal IReadOnlyList<NodeProto> Nodes => nodes;
    internal IReadOnlyList<TensorProto> Constants => constants;

    /// <summary>Names the nodes created until disposal after a module path, e.g. <c>down_blocks.0.resnets.1</c>.</summary>
    public IDisposable Scope(string module)
    {
        scopes.Push(module);
        return new PopScope(scopes);
    }

    public Tensor Input(string inputName, ElementType type, params Dim[] shape)
    {
        var tensor = new Tensor(inputName, type, shape);
        inputs.Add(tensor);
        return tensor;
    }

    /// <summary>Declares <paramref name="value"/> a graph output under <paramref name="outputName"/>.</summary>
    public void Output(Tensor value, string outputName)
    {
        var output = value.Name == outputName ? value : Node("Identity", [value], value.Type, value.Shape, outputName: outputName);
        outputs.Add(output);
    }

    /// <summary>A float weight; the same name always gives the same value.</summary>
    public Tensor Weight(string weightName, long[] shape, Func<float[]> values)
    {
        if (initializerByName.TryGetValue(weightName, out var existing))
        {
            Require(existing.Shape.Select(d => d.Size).SequenceEqual(shape), $"weight {weightName} asked with shape [{string.Join(",", shape)}] and {existing.ShapeText}");
            return existing;
        }

        var tensor = new Tensor(weightName, FloatType, [.. shape.Select(s => (Dim)s)]);
        initializers.Add(new Initializer(tensor, values));
        initializerByName[weightName] = tensor;
        return tensor;
    }

    public Tensor Int64s(params long[] values) => Int64s([values.Length], values);

    public Tensor Int64s(long[] shape, long[] values)
    {
        var proto = new TensorProto { Name = NewName("const"), DataType = (int)ElementType.Int64 };
        proto.Dims.AddRange(shape);
        proto.Int64Data.AddRange(values);
        constants.Add(proto);
        return new Tensor(proto.Name, ElementType.Int64, [.. shape.Select(s => (Dim)s)]);
    }

    /// <summary>A float constant in the graph's float type.</summary>
    public Tensor Floats(long[] shape, float[] values)
    {
        var proto = new TensorProto { Name = NewName("const"), DataType = (int)FloatType };
        proto.Dims.AddRange(shape);
        proto.RawData = ByteString.CopyFrom(TensorBytes.Encode(values, FloatType));
        constants.Add(proto);
        return new Tensor(proto.Name, FloatType, [.. shape.Select(s => (Dim)s)]);
    }

    public Tensor Scalar(float value) => Floats([], [value]);

    // ---- element-wise ----------------------------------------------------------------------

    public Tensor Add(Tensor a, Tensor b) => Broadcasting("Add", a, b);
    public Tensor Sub(Tensor a, Tensor b) => Broadcasting("Sub", a, b);
    public Tensor Mul(Tensor a, Tensor b) => Broadcasting("Mul", a, b);
    public Tensor Div(Tensor a, Tensor b) => Broadcasting("Div", a, b);
    public Tensor Max(Tensor a, Tensor b) => Broadcasting("Max", a, b);

    public Tensor Equal(Tensor a, Tensor b) =>
        Node("Equal", [a, b], ElementType.Bool, BroadcastShape("Equal", a, b));

    public Tensor Greater(Tensor a, Tensor b) =>
        Node("Greater", [a, b], ElementType.Bool, BroadcastShape("Greater", a, b));

    public Tensor Where(Tensor condition, Tensor whenTrue, Tensor whenFalse)
    {
        Require(condition.Type == ElementType.Bool, "Where needs a bool condition");
        Require(whenTrue.Type == whenFalse.Type, $"Where of {whenTrue.Type} and {whenFalse.Type}");
        var shape = Broadcast(Broadcast(condition.Shape, whenTrue.Shape, "Where"), whenFalse.Shape, "Where");
        return Node("Where", [condition, whenTrue, whenFalse], whenTrue.Type, shape);
    }

    public Tensor Cast(Tensor x, ElementType to) =>
        x.Type == to ? x : Node("Cast", [x], to, x.Shape, attributes: [Attr("to", (long)to)]);

    public Tensor Sigmoid(Tensor x) => Unary("Sigmoid", x);
    public Tensor Sin(Tensor x) => Unary("Sin", x);
    public Tensor Cos(Tensor x) => Unary("Cos", x);
    public Tensor Exp(Tensor x) => Unary("Exp", x);

    public Tensor Silu(Tensor x) => Mul(x, Sigmoid(x));

    /// <summary>CLIP's quick_gelu: x * sigmoid(1.702 x).</summary>
    public Tensor QuickGelu(Tensor x) => Mul(x, Sigmoid(Mul(x, Scalar(1.702f))));

    /// <summary>Exact (erf) GELU.</summary>
    public Tensor Gelu(Tensor x) => Node("Gelu", [x], x.Type, x.Shape, attributes: [Attr("approximate", "none")]);

    public Tensor LeakyRelu(Tensor x, float alpha) =>
        Node("LeakyRelu", [x], x.Type, x.Shape, attributes: [Attr("alpha", alpha)]);

    // ---- linear algebra and normalisation ---------------------------------------------------

    public Tensor MatMul(Tensor a, Tensor b)
    {
        Require(a.Rank >= 2 && b.Rank >= 2, $"MatMul of {a.ShapeText} and {b.ShapeText}");
        Require(SameSize(a[-1], b[-2]), $"MatMul inner sizes differ: {a.ShapeText} x {b.ShapeText}");
        var batch = Broadcast(a.Shape[..^2], b.Shape[..^2], "MatMul");
        return Node("MatMul", [a, b], a.Type, [.. batch, a[-2], b[-1]]);
    }

    /// <summary>Softmax over the last axis, computed in float32.</summary>
    public Tensor Softmax(Tensor x) => InFloat32(x, v => Node("Softmax", [v], v.Type, v.Shape, attributes: [Attr("axis", -1L)]));

    /// <summary>
    /// ONNX Runtime's fused <c>com.microsoft.MultiHeadAttention</c>: softmax(QKᵀ/√d + bias)·V over
    /// [B,N,heads·d] queries and [B,M,heads·d] keys and values, heads split and merged inside the
    /// kernel; <paramref name="bias"/> is an additive [1|B, 1|heads, N, M] attention bias.
    /// </summary>
    public Tensor MultiHeadAttention(Tensor q, Tensor k, Tensor v, int heads, Tensor? bias = null)
    {
        Require(q.Rank == 3 && k.Rank == 3 && v.Rank == 3 && q.Type == k.Type && k.Type == v.Type, $"MultiHeadAttention of {q} over {k} and {v}");
        Require(SameSize(q[-1], k[-1]) && SameSize(k[1], v[1]) && q[-1].IsFixed && q[-1].Size % heads == 0 && v[-1].Size % heads == 0,
            $"MultiHeadAttention with {heads} heads of {q.ShapeText} over {k.ShapeText} and {v.ShapeText}");
        Require(bias is null || (bias.Rank == 4 && bias.Type == q.Type && SameSize(bias[2], q[1]) && SameSize(bias[3], k[1])), $"MultiHeadAttention bias {bias}");
        var none = new Tensor("", q.Type, []);
        Tensor[] operands = bias is null ? [q, k, v] : [q, k, v, none, none, bias];
        return Node("MultiHeadAttention", operands, q.Type, [q[0], q[1], v[2]], attributes: [Attr("num_heads", (long)heads)], domain: MicrosoftDomain);
    }

    /// <summary>LayerNormalization over the last axis, computed in float32.</summary>
    public Tensor LayerNorm(Tensor x, Tensor scale, Tensor bias, float epsilon)
    {
        Require(scale.Rank == 1 && SameSize(scale[0], x[-1]) && bias.ShapeText == scale.ShapeText, $"LayerNorm of {x.ShapeText} with scale {scale.ShapeText}");
        return InFloat32(x, v => Node("LayerNormalization", [v, Cast(scale, ElementType.Float), Cast(bias, ElementType.Float)], v.Type, v.Shape,
            attributes: [Attr("axis", -1L), Attr("epsilon", epsilon)]));
    }

    /// <summary>GroupNormalization-21 (per-channel scale and bias) on NCHW, computed in float32.</summary>
    public Tensor GroupNorm(Tensor x, Tensor scale, Tensor bias, int groups, float epsilon)
    {
        Require(x.Rank == 4 && x[1].IsFixed && x[1].Size % groups == 0, $"GroupNorm of {x.ShapeText} in {groups} groups");
        Require(scale.Rank == 1 && SameSize(scale[0], x[1]) && bias.ShapeText == scale.ShapeText, $"GroupNorm of {x.ShapeText} with scale {scale.ShapeText}");
        return InFloat32(x, v => Node("GroupNormalization", [v, Cast(scale, ElementType.Float), Cast(bias, ElementType.Float)], v.Type, v.Shape,
            attributes: [Attr("num_groups", (long)groups), Attr("epsilon", epsilon)]));
    }

    /// <summary>2-D convolution on NCHW with a square kernel.</summary>
    public Tensor Conv(Tensor x, Tensor weight, Tensor? bias, int stride, int padding)
    {
        Require(x.Rank == 4 && weight.Rank == 4 && SameSize(x[1], weight[1]), $"Conv of {x.ShapeText} with weight {weight.ShapeText}");
        Require(bias is null || (bias.Rank == 1 && SameSize(bias[0], weight[0])), $"Conv bias {bias?.ShapeText} for weight {weight.ShapeText}");
        var kernel = weight[2].Size;
        Dim Out(Dim size) => size.IsFixed ? (size.Size + (2 * padding) - kernel) / stride + 1 : Dim.Named(size.Symbol + "'");
        Tensor[] operands = bias is null ? [x, weight] : [x, weight, bias];
        return Node("Conv", operands, x.Type, [x[0], weight[0], Out(x[2]), Out(x[3])], attributes:
        [
            Attr("kernel_shape", [kernel, weight[3].Size]),
            Attr("strides", [(long)stride, stride]),
            Attr("pads", [(long)padding, padding, padding, padding]),
        ]);
    }

    /// <summary>Pads the last two axes of NCHW with zeros: (top, left, bottom, right).</summary>
    public Tensor Pad(Tensor x, int top, int left, int bottom, int right)
    {
        Require(x.Rank == 4 && x[2].IsFixed && x[3].IsFixed, $"Pad of {x.ShapeText}");
        return Node("Pad", [x, Int64s(0, 0, top, left, 0, 0, bottom, right)], x.Type,
            [x[0], x[1], x[2].Size + top + bottom, x[3].Size + left + right]);
    }

    /// <summary>Nearest-neighbour ×2 upsampling of NCHW.</summary>
    public Tensor Upsample2x(Tensor x)
    {
        Require(x.Rank == 4 && x[2].IsFixed && x[3].IsFixed, $"Upsample of {x.ShapeText}");
        var scales = new TensorProto { Name = NewName("scales"), DataType = (int)ElementType.Float };
        scales.Dims.Add(4);
        scales.FloatData.AddRange([1f, 1f, 2f, 2f]);
        constants.Add(scales);
        var scalesTensor = new Tensor(scales.Name, ElementType.Float, [4]);
        return Node("Resize", [x, new Tensor("", ElementType.Float, []), scalesTensor], x.Type, [x[0], x[1], x[2].Size * 2, x[3].Size * 2],
            attributes: [Attr("mode", "nearest"), Attr("nearest_mode", "floor"), Attr("coordinate_transformation_mode", "asymmetric")]);
    }

    // ---- shapes ---------------------------------------------------------------------------

    /// <summary>Reshape; 0 copies the input's size on that axis, -1 is inferred.</summary>
    public Tensor Reshape(Tensor x, params long[] target)
    {
        var shape = new Dim[target.Length];
        long knownIn = x.Shape.Where(d => d.IsFixed).Aggregate(1L, (a, d) => a * d.Size);
        var carried = new List<string>();
        long knownOut = 1;
        var inferred = -1;
        for (var i = 0; i < target.Length; i++)
        {
            if (target[i] == 0)
            {
                Require(i < x.Rank, $"Reshape of {x.ShapeText} copies axis {i}");
                shape[i] = x[i];
                if (x[i].IsFixed) knownOut *= x[i].Size;
                else carried.Add(x[i].Symbol!);
            }
            else if (target[i] == -1)
            {
                Require(inferred < 0, "Reshape with two -1");
                inferred = i;
            }
            else
            {
                shape[i] = target[i];
                knownOut *= target[i];
            }
        }

        var symbolsIn = x.Shape.Where(d => !d.IsFixed).Select(d => d.Symbol!).ToList();
        if (inferred >= 0)
        {
            Require(symbolsIn.SequenceEqual(carried), $"Reshape of {x.ShapeText} to [{string.Join(",", target)}]: symbolic sizes must be carried with 0");
            Require(knownIn % knownOut == 0, $"Reshape of {x.ShapeText} to [{string.Join(",", target)}]");
            shape[inferred] = knownIn / knownOut;
        }
        else
        {
            Require(symbolsIn.SequenceEqual(carried) && knownIn == knownOut, $"Reshape of {x.ShapeText} to [{string.Join(",", target)}] changes the element count");
        }

        return Node("Reshape", [x, Int64s(target)], x.Type, shape);
    }

    public Tensor Transpose(Tensor x, params long[] perm)
    {
        Require(perm.Length == x.Rank && perm.Order().SequenceEqual(Enumerable.Range(0, x.Rank).Select(i => (long)i)), $"Transpose of {x.ShapeText} by [{string.Join(",", perm)}]");
        return Node("Transpose", [x], x.Type, [.. perm.Select(p => x.Shape[p])], attributes: [Attr("perm", perm)]);
    }

    public Tensor Concat(int axis, params Tensor[] parts)
    {
        var first = parts[0];
        var a = axis < 0 ? first.Rank + axis : axis;
        Dim total = 0;
        foreach (var part in parts)
        {
            Require(part.Rank == first.Rank && part.Type == first.Type, $"Concat of {first} and {part}");
            for (var i = 0; i < first.Rank; i++)
            {
                Require(i == a || SameSize(part.Shape[i], first.Shape[i]), $"Concat on axis {axis} of {first.ShapeText} and {part.ShapeText}");
            }

            total = total.IsFixed && part.Shape[a].IsFixed ? total.Size + part.Shape[a].Size : Dim.Named("concat");
        }

        var shape = (Dim[])first.Shape.Clone();
        shape[a] = total;
        return Node("Concat", parts, first.Type, shape, attributes: [Attr("axis", (long)axis)]);
    }

    /// <summary>Rows of <paramref name="data"/> (axis 0) picked by <paramref name="indices"/>.</summary>
    public Tensor Gather(Tensor data, Tensor indices)
    {
        Require(indices.Type == ElementType.Int64, "Gather indices must be int64");
        return Node("Gather", [data, indices], data.Type, [.. indices.Shape, .. data.Shape[1..]], attributes: [Attr("axis", 0L)]);
    }

    /// <summary>x[start:end] along one axis (fixed bounds).</summary>
    public Tensor Slice(Tensor x, int axis, long start, long end)
    {
        var a = axis < 0 ? x.Rank + axis : axis;
        Require(x.Shape[a].IsFixed && 0 <= start && start < end && end <= x.Shape[a].Size, $"Slice [{start}:{end}] of axis {axis} of {x.ShapeText}");
        var shape = (Dim[])x.Shape.Clone();
        shape[a] = end - start;
        return Node("Slice", [x, Int64s(start), Int64s(end), Int64s(a)], x.Type, shape);
    }

    /// <summary>Splits the last axis into two equal halves.</summary>
    public (Tensor First, Tensor Second) SplitHalves(Tensor x)
    {
        Require(x[-1].IsFixed && x[-1].Size % 2 == 0, $"Split in halves of {x.ShapeText}");
        var half = x[-1].Size / 2;
        return (Slice(x, -1, 0, half), Slice(x, -1, half, 2 * half));
    }

    public Tensor Unsqueeze(Tensor x, params long[] axes)
    {
        var shape = x.Shape.ToList();
        foreach (var axis in axes.Order()) shape.Insert((int)axis, 1);
        return Node("Unsqueeze", [x, Int64s(axes)], x.Type, [.. shape]);
    }

    public Tensor Squeeze(Tensor x, long axis)
    {
        Require(x[(int)axis] == (Dim)1, $"Squeeze of axis {axis} of {x.ShapeText}");
        var a = axis < 0 ? x.Rank + axis : axis;
        return Node("Squeeze", [x, Int64s(a)], x.Type, [.. x.Shape.Where((_, i) => i != a)]);
    }

    public Tensor ReduceMean(Tensor x, long axis, bool keepDims) => Reduce("ReduceMean", x, [axis], keepDims);

    public Tensor ReduceMax(Tensor x, long[] axes, bool keepDims) => Reduce("ReduceMax", x, axes, keepDims);

    /// <summary>The shape of <paramref name="x"/> as an int64 tensor.</summary>
    public Tensor ShapeOf(Tensor x) => Node("Shape", [x], ElementType.Int64, [x.Rank]);

    /// <summary>Broadcasts <paramref name="x"/> to the runtime shape <paramref name="shape"/>, whose static form is <paramref name="result"/>.</summary>
    public Tensor Expand(Tensor x, Tensor shape, Dim[] result) => Node("Expand", [x, shape], x.Type, result);

    // ---- model ----------------------------------------------------------------------------

    internal static void Require(bool condition, string message)
    {
        if (!condition)
        {
            throw new GraphShapeException(message);
        }
    }

    internal string NewName(string hint) => $"{string.Join("/", scopes.Reverse())}/{hint}_{counter++}".TrimStart('/');

    private Tensor Reduce(string op, Tensor x, long[] axes, bool keepDims)
    {
        var normalised = axes.Select(a => a < 0 ? a + x.Rank : a).ToHashSet();
        var shape = x.Shape.Select((d, i) => normalised.Contains(i) ? (keepDims ? (Dim)1 : (Dim?)null) : d).OfType<Dim>().ToArray();
        return Node(op, [x, Int64s(axes)], x.Type, shape, attributes: [Attr("keepdims", keepDims ? 1L : 0L)]);
    }

    private Tensor InFloat32(Tensor x, Func<Tensor, Tensor> op) => Cast(op(Cast(x, ElementType.Float)), x.Type);

    private Tensor Unary(string op, Tensor x) => Node(op, [x], x.Type, x.Shape);

    private Tensor Broadcasting(string op, Tensor a, Tensor b)
    {
        Require(a.Type == b.Type, $"{op} of {a} and {b}");
        return Node(op, [a, b], a.Type, BroadcastShape(op, a, b));
    }

    private static Dim[] BroadcastShape(string op, Tensor a, Tensor b) => Broadcast(a.Shape, b.Shape, $"{op} of {a.Name} {a.ShapeText} and {b.Name} {b.ShapeText}");

    private static Dim[] Broadcast(Dim[] a, Dim[] b, string what)
    {
        var rank = Math.Max(a.Length, b.Length);
        var result = new Dim[rank];
        for (var i = 0; i < rank; i++)
        {
            var da = i < rank - a.Length ? (Dim)1 : a[i - (rank - a.Length)];
            var db = i < rank - b.Length ? (Dim)1 : b[i - (rank - b.Length)];
            if (da == (Dim)1) result[i] = db;
            else if (db == (Dim)1 || SameSize(da, db)) result[i] = da;
            else throw new GraphShapeException($"cannot broadcast: {what}");
        }

        return result;
    }

    private static bool SameSize(Dim a, Dim b) => a == b;

    private Tensor Node(string op, Tensor[] operands, ElementType type, Dim[] shape, AttributeProto[]? attributes = null, string? outputName = null, string domain = "")
    {
        var node = new NodeProto { OpType = op, Name = NewName(op), Domain = domain };
        node.Input.AddRange(operands.Select(t => t.Name));
        var output = new Tensor(outputName ?? node.Name + ":0", type, shape);
        node.Output.Add(output.Name);
        if (attributes is not null) node.Attribute.AddRange(attributes);
        nodes.Add(node);
        return output;
    }

    private static AttributeProto Attr(string attrName, long value) =>
        new() { Name = attrName, Type = AttributeProto.Types.AttributeType.Int, I = value };

    private static AttributeProto Attr(string attrName, float value) =>
        new() { Name = attrName, Type = AttributeProto.Types.AttributeType.Float, F = value };

    private static AttributeProto Attr(string attrName, string value) =>
        new() { Name = attrName, Type = AttributeProto.Types.AttributeType.String, S = ByteString.CopyFromUtf8(value) };

    private static AttributeProto Attr(string attrName, long[] values)
    {
        var attribute = new AttributeProto { Name = attrName, Type = AttributeProto.Types.AttributeType.Ints };
        attribute.Ints.AddRange(values);
        return attribute;
    }

    private sealed class PopScope(Stack<string> scopes) : IDisposable
    {
        public void Dispose() => scopes.Pop();
    }
}

/// <summary>Shapes that do not fit together while building a graph: a bug in an architecture or its config.</summary>
public sealed class GraphShapeException(string message) : Exception(message);
