using Elite.Contracts.Packs;
using Elite.ModelBuilder.Architectures;
using Elite.ModelBuilder.Graph;
using Elite.ModelBuilder.Weights;

namespace Elite.ModelBuilder.Packs;

/// <summary>The six graphs of a model pack (spec §6.1), built from the architectures.</summary>
public static class EliteGraphs
{
    /// <summary>Builds every graph of <paramref name="preset"/> in memory; weights are declared in <paramref name="catalog"/> and produced only when written.</summary>
    public static IReadOnlyList<GraphBuilder> Build(ElitePreset preset, WeightCatalog catalog, ElementType floatType = ElementType.Float, AttentionKind attention = PackBuilder.DefaultAttention)
    {
        GraphBuilder Graph(string name, Action<GraphBuilder> build)
        {
            var graph = new GraphBuilder(name, floatType, attention);
            build(graph);
            return graph;
        }

        return
        [
            Graph(GraphNames.ClipVision.Name, g => ClipVisionModel.Build(g, catalog, preset.Vision)),
            Graph(GraphNames.GlobalMapper.Name, g => EliteMappers.BuildGlobal(g, catalog, preset.Mapper)),
            Graph(GraphNames.LocalMapper.Name, g => EliteMappers.BuildLocal(g, catalog, preset.Mapper)),
            Graph(GraphNames.TextEncoder.Name, g => ClipTextModel.Build(g, catalog, preset.Text)),
            Graph(GraphNames.UNet.Name, g => UNet2DConditionElite.Build(g, catalog, preset.UNet)),
            Graph(GraphNames.VaeDecoder.Name, g => VaeDecoder.Build(g, catalog, preset.Vae)),
        ];
    }

    /// <summary>The checkpoint tensors <paramref name="preset"/> reads and those it accepts unread, without producing any weight.</summary>
    public static WeightCatalog Declare(ElitePreset preset)
    {
        var catalog = new WeightCatalog(new RandomWeights(0));
        Build(preset, catalog);
        return catalog;
    }
}
