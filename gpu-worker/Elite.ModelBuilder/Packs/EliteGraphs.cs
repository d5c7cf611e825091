using Elite.ModelBuilder.Architectures;
using Elite.ModelBuilder.Graph;
using Elite.ModelBuilder.Weights;

namespace Elite.ModelBuilder.Packs;

/// <summary>The six graphs of a model pack (spec §6.1), by file name.</summary>
public static class EliteGraphs
{
    public const string ClipVision = "clip_vision";
    public const string GlobalMapper = "global_mapper";
    public const string LocalMapper = "local_mapper";
    public const string TextEncoder = "text_encoder";
    public const string UNet = "unet";
    public const string VaeDecoder = "vae_decoder";

    public static IReadOnlyList<string> Names { get; } = [ClipVision, GlobalMapper, LocalMapper, TextEncoder, UNet, VaeDecoder];

    /// <summary>Builds every graph of <paramref name="preset"/> in memory; weights are declared in <paramref name="catalog"/> and produced only when written.</summary>
    public static IReadOnlyList<GraphBuilder> Build(ElitePreset preset, WeightCatalog catalog, ElementType floatType = ElementType.Float)
    {
        GraphBuilder Graph(string name, Action<GraphBuilder> build)
        {
            var graph = new GraphBuilder(name, floatType);
            build(graph);
            return graph;
        }

        return
        [
            Graph(ClipVision, g => ClipVisionModel.Build(g, catalog, preset.Vision)),
            Graph(GlobalMapper, g => EliteMappers.BuildGlobal(g, catalog, preset.Mapper)),
            Graph(LocalMapper, g => EliteMappers.BuildLocal(g, catalog, preset.Mapper)),
            Graph(TextEncoder, g => ClipTextModel.Build(g, catalog, preset.Text)),
            Graph(UNet, g => UNet2DConditionElite.Build(g, catalog, preset.UNet)),
            Graph(VaeDecoder, g => Architectures.VaeDecoder.Build(g, catalog, preset.Vae)),
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
