using Google.Protobuf;
using Onnx;

namespace Elite.ModelBuilder.Graph;

/// <summary>What <see cref="ModelWriter"/> wrote: the graph file, its external data file if any, and its parameter count.</summary>
public sealed record WrittenModel(string Path, string? ExternalDataPath, long Parameters, long WeightBytes);

/// <summary>
/// Writes a <see cref="GraphBuilder"/> as an ONNX model. Weights are produced one at a time, so a
/// multi-gigabyte model never sits in memory whole; past <see cref="ExternalDataThreshold"/> bytes of
/// weights (protobuf cannot hold 2 GB) they go to a <c>.data</c> file beside the model.
/// </summary>
public static class ModelWriter
{
    public const long ExternalDataThreshold = 1L << 30;
    private const long IrVersion = 10;

    public static WrittenModel Write(GraphBuilder builder, string path, long externalDataThreshold = ExternalDataThreshold)
    {
        var graph = new GraphProto { Name = builder.Name };
        graph.Input.AddRange(builder.Inputs.Select(ValueInfo));
        graph.Output.AddRange(builder.Outputs.Select(ValueInfo));
        graph.Node.AddRange(builder.Nodes);
        graph.Initializer.AddRange(builder.Constants);

        var elementSize = TensorBytes.Size(builder.FloatType);
        var parameters = builder.Initializers.Sum(i => Count(i.Value));
        var weightBytes = parameters * elementSize;
        var external = weightBytes > externalDataThreshold;
        var dataPath = external ? path + ".data" : null;
        using (var data = dataPath is null ? null : File.Create(dataPath))
        {
            foreach (var initializer in builder.Initializers)
            {
                graph.Initializer.Add(WriteInitializer(initializer, builder.FloatType, data, dataPath));
            }
        }

        var model = new ModelProto
        {
            IrVersion = IrVersion,
            ProducerName = "elite-modelbuilder",
            ProducerVersion = typeof(ModelWriter).Assembly.GetName().Version?.ToString() ?? "",
            Graph = graph,
        };
        model.OpsetImport.Add(new OperatorSetIdProto { Domain = "", Version = GraphBuilder.Opset });
        if (builder.Nodes.Any(n => n.Domain == GraphBuilder.MicrosoftDomain))
        {
            model.OpsetImport.Add(new OperatorSetIdProto { Domain = GraphBuilder.MicrosoftDomain, Version = GraphBuilder.MicrosoftOpset });
        }

        using (var file = File.Create(path))
        {
            model.WriteTo(file);
        }

        return new WrittenModel(path, dataPath, parameters, weightBytes);
    }

    private static TensorProto WriteInitializer(Initializer initializer, ElementType type, FileStream? data, string? dataPath)
    {
        var values = initializer.Values();
        var expected = Count(initializer.Value);
        if (values.LongLength != expected)
        {
            throw new InvalidOperationException($"weight {initializer.Value.Name} {initializer.Value.ShapeText} got {values.LongLength} values, expected {expected}");
        }

        var bytes = TensorBytes.Encode(values, type);
        var proto = new TensorProto { Name = initializer.Value.Name, DataType = (int)type };
        proto.Dims.AddRange(initializer.Value.Shape.Select(d => d.Size));
        if (data is null)
        {
            proto.RawData = ByteString.CopyFrom(bytes);
            return proto;
        }

        var offset = data.Position;
        data.Write(bytes);
        proto.DataLocation = TensorProto.Types.DataLocation.External;
        proto.ExternalData.Add(new StringStringEntryProto { Key = "location", Value = Path.GetFileName(dataPath) });
        proto.ExternalData.Add(new StringStringEntryProto { Key = "offset", Value = offset.ToString(System.Globalization.CultureInfo.InvariantCulture) });
        proto.ExternalData.Add(new StringStringEntryProto { Key = "length", Value = bytes.LongLength.ToString(System.Globalization.CultureInfo.InvariantCulture) });
        return proto;
    }

    private static long Count(Tensor tensor) => tensor.Shape.Aggregate(1L, (a, d) => a * d.Size);

    private static ValueInfoProto ValueInfo(Tensor tensor)
    {
        var shape = new TensorShapeProto();
        shape.Dim.AddRange(tensor.Shape.Select(d => d.IsFixed
            ? new TensorShapeProto.Types.Dimension { DimValue = d.Size }
            : new TensorShapeProto.Types.Dimension { DimParam = d.Symbol }));
        return new ValueInfoProto
        {
            Name = tensor.Name,
            Type = new TypeProto { TensorType = new TypeProto.Types.Tensor { ElemType = (int)tensor.Type, Shape = shape } },
        };
    }
}
