using Elite.Contracts.Packs;
using Elite.ModelBuilder.Graph;
using Elite.ModelBuilder.Weights;
using static Elite.ModelBuilder.Architectures.Layers;

namespace Elite.ModelBuilder.Architectures;

/// <summary>ELITE's mapper sizes: CLIP vision width in, CLIP text width out; five feature levels.</summary>
public sealed record MapperConfig(int InputDim, int OutputDim, int Tokens)
{
    public const int Levels = 5;
}

/// <summary>
/// ELITE's two mapping networks (train_global.py <c>Mapper</c>, train_local.py <c>MapperLocal</c>).
/// Each has, per feature level i, an MLP for the CLS token (<c>mapping_i</c>) and one for the patch
/// tokens (<c>mapping_patch_i</c>): Linear, LayerNorm, LeakyReLU, Linear, LayerNorm, LeakyReLU, Linear.
/// </summary>
public static class EliteMappers
{
    public const string GlobalComponent = "global-mapper";
    public const string LocalComponent = "local-mapper";

    /// <summary>Prefixes of the mappers' weights inside graphs: both checkpoints use the same key names.</summary>
    public const string GlobalInitializerPrefix = "global_mapper/";
    public const string LocalInitializerPrefix = "local_mapper/";

    /// <summary>Global mapping (spec §2.2): w_i = mapping_i(CLS) + mean over patches of mapping_patch_i(patches); words [B,5,768].</summary>
    public static void BuildGlobal(GraphBuilder g, WeightCatalog catalog, MapperConfig config)
    {
        var w = catalog.For(GlobalComponent, g, GlobalInitializerPrefix);
        var feats = FeaturesInput(g, config);
        var words = Enumerable.Range(0, MapperConfig.Levels).Select(i =>
        {
            var (cls, patches) = Level(g, feats, i, config);
            return g.Add(Mlp(w, $"mapping_{i}", cls, config), g.ReduceMean(Mlp(w, $"mapping_patch_{i}", patches, config), 1, keepDims: true));
        });
        g.Output(g.Concat(1, [.. words]), GraphNames.GlobalMapper.Words);
    }

    /// <summary>Local mapping (spec §3.2): mean over levels of mapping_i(CLS) + mapping_patch_i(patches), times the 16×16 object mask.</summary>
    public static void BuildLocal(GraphBuilder g, WeightCatalog catalog, MapperConfig config)
    {
        var w = catalog.For(LocalComponent, g, LocalInitializerPrefix);
        var feats = FeaturesInput(g, config);
        var mask = g.Input(GraphNames.LocalMapper.Mask16, g.FloatType, Dim.Named("B"), config.Tokens - 1, 1);
        Tensor? sum = null;
        for (var i = 0; i < MapperConfig.Levels; i++)
        {
            var (cls, patches) = Level(g, feats, i, config);
            var level = g.Add(Mlp(w, $"mapping_{i}", cls, config), Mlp(w, $"mapping_patch_{i}", patches, config));
            sum = sum is null ? level : g.Add(sum, level);
        }

        var mean = g.Mul(sum!, g.Scalar(1f / MapperConfig.Levels));
        g.Output(g.Mul(mean, mask), GraphNames.LocalMapper.LocalEmbeds);
    }

    private static Tensor FeaturesInput(GraphBuilder g, MapperConfig config) =>
        g.Input(GraphNames.ClipVision.Feats, g.FloatType, MapperConfig.Levels, Dim.Named("B"), config.Tokens, config.InputDim);

    private static (Tensor Cls, Tensor Patches) Level(GraphBuilder g, Tensor feats, int level, MapperConfig config)
    {
        var features = g.Squeeze(g.Slice(feats, 0, level, level + 1), 0);
        return (g.Slice(features, 1, 0, 1), g.Slice(features, 1, 1, config.Tokens));
    }

    private static Tensor Mlp(ComponentWeights w, string name, Tensor x, MapperConfig config)
    {
        var g = w.Graph;
        using var scope = g.Scope(name);
        var d = config.InputDim;
        x = g.LeakyRelu(LayerNorm(w, $"{name}.1", Linear(w, $"{name}.0", x, d, d), d, 1e-5f), 0.01f);
        x = g.LeakyRelu(LayerNorm(w, $"{name}.4", Linear(w, $"{name}.3", x, d, d), d, 1e-5f), 0.01f);
        return Linear(w, $"{name}.6", x, d, config.OutputDim);
    }
}
