using Elite.Contracts.Packs;
using Elite.ModelBuilder.Graph;
using Elite.ModelBuilder.Packs;
using Elite.ModelBuilder.Weights;
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;

namespace Elite.ModelBuilder.Tests;

/// <summary>Each graph's inputs and outputs (names, element types, symbolic shapes) are those of the spec table (elite-spec.md §6.1).</summary>
public sealed class GraphContractTests(TinyPack tiny) : IClassFixture<TinyPack>
{
    /// <summary>The spec table at SD v1.4 sizes; T is the text width (768), V the vision width (1024).</summary>
    private static readonly Dictionary<string, string[]> Spec = new()
    {
        ["clip_vision"] = ["in pixel_values Float [B,3,224,224]", "out feats Float [5,B,257,V]"],
        ["global_mapper"] = ["in feats Float [5,B,257,V]", "out words Float [B,5,T]"],
        ["local_mapper"] = ["in feats Float [5,B,257,V]", "in mask16 Float [B,256,1]", "out local_embeds Float [B,256,T]"],
        ["text_encoder"] = ["in input_ids Int64 [B,77]", "in inj_embedding Float [B,1,T]", "in inj_index Int64 [B]", "out last_hidden_state Float [B,77,T]"],
        ["unet"] =
        [
            "in sample Float [B,4,64,64]", "in timestep Float [B]", "in encoder_hidden_states Float [B,77,T]", "in local_embeds Float [B,256,T]",
            "in local_index Int64 [B]", "in llambda Float [B]", "out noise_pred Float [B,4,64,64]",
        ],
        ["vae_decoder"] = ["in latent Float [B,4,64,64]", "out image Float [B,3,512,512]"],
    };

    [Fact]
    public void Sd14_graphs_match_the_spec_table()
    {
        var graphs = EliteGraphs.Build(ElitePreset.Sd14Elite, new WeightCatalog(new RandomWeights(0)));
        foreach (var graph in graphs)
        {
            Assert.Equal(Expected(graph.Name, text: 768, vision: 1024), Describe(graph));
        }
    }

    [Fact]
    public void Tiny_pack_files_match_the_spec_table_at_tiny_widths()
    {
        Assert.Equal(GraphNames.All, tiny.Manifest.Graphs.Keys);
        foreach (var name in GraphNames.All)
        {
            var session = tiny.Session(name);
            var actual = session.InputMetadata.Select(m => Describe("in", m.Key, m.Value))
                .Concat(session.OutputMetadata.Select(m => Describe("out", m.Key, m.Value)));
            Assert.Equal(Expected(name, text: 32, vision: 32), actual);
        }
    }

    private static IEnumerable<string> Expected(string graph, int text, int vision) =>
        Spec[graph].Select(row => row.Replace(",T]", $",{text}]").Replace(",V]", $",{vision}]"));

    private static IEnumerable<string> Describe(GraphBuilder graph) =>
        graph.Inputs.Select(t => $"in {t.Name} {t.Type} {t.ShapeText}").Concat(graph.Outputs.Select(t => $"out {t.Name} {t.Type} {t.ShapeText}"));

    private static string Describe(string direction, string name, NodeMetadata metadata)
    {
        var dims = metadata.Dimensions.Select((d, i) => d >= 0 ? d.ToString(System.Globalization.CultureInfo.InvariantCulture) : metadata.SymbolicDimensions[i]);
        var type = metadata.ElementDataType switch
        {
            TensorElementType.Float => "Float",
            TensorElementType.Int64 => "Int64",
            var other => other.ToString(),
        };
        return $"{direction} {name} {type} [{string.Join(",", dims)}]";
    }
}
