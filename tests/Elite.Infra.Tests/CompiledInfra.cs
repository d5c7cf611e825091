using System.Text.Json.Nodes;
using Elite.Infra.Tests.Arm;

namespace Elite.Infra.Tests;

/// <summary>
/// Every Bicep file of infra/ compiled and linted once per test run, and main.bicep's compiled template
/// evaluated with the parameters a small default deployment gets.
/// </summary>
public sealed class CompiledInfra : IDisposable
{
    private readonly string outDir = Directory.CreateTempSubdirectory("elite-infra-").FullName;
    private readonly Lazy<BicepCli.Result> build;
    private readonly Lazy<BicepCli.Result> lint;
    private readonly Lazy<JsonObject> main;

    public CompiledInfra()
    {
        build = new(() => BicepCli.Run("build", "--pattern", "infra/**/*.bicep", "--outdir", outDir));
        lint = new(() => BicepCli.Run("lint", "--pattern", "infra/**/*.bicep"));
        main = new(() =>
        {
            var result = BicepCli.Run("build", "infra/main.bicep", "--outfile", Path.Combine(outDir, "main.compiled.json"));
            Assert.True(result.ExitCode == 0 && result.Diagnostics.Count == 0, $"bicep build infra/main.bicep: {result}");
            return JsonNode.Parse(File.ReadAllText(Path.Combine(outDir, "main.compiled.json")))!.AsObject();
        });
    }

    /// <summary>Parameters of a small default deployment (main.parameters.json's defaults), with the Event Grid subscriptions on.</summary>
    public static IReadOnlyDictionary<string, JsonNode?> DefaultParameters => new Dictionary<string, JsonNode?>
    {
        ["environmentName"] = "elite-test",
        ["location"] = "westus3",
        ["webhookSigningSecret"] = ArmExpression.Unknown,
        ["enableBlobEventSubscriptions"] = true,
    };

    public static IEnumerable<string> BicepFiles =>
        Directory.EnumerateFiles(Repository.Infra, "*.bicep", SearchOption.AllDirectories).Order(StringComparer.Ordinal);

    public BicepCli.Result Build => build.Value;
    public BicepCli.Result Lint => lint.Value;
    public string OutputDirectory => outDir;

    /// <summary>The compiled ARM template of infra/main.bicep.</summary>
    public JsonObject MainTemplate => main.Value;

    public ArmTemplate Evaluate(IReadOnlyDictionary<string, JsonNode?>? overrides = null)
    {
        var parameters = new Dictionary<string, JsonNode?>(DefaultParameters);
        foreach (var (key, value) in overrides ?? new Dictionary<string, JsonNode?>()) parameters[key] = value;
        return ArmTemplate.Evaluate(MainTemplate, parameters);
    }

    public void Dispose() => Directory.Delete(outDir, recursive: true);
}

[CollectionDefinition(Name)]
public sealed class CompiledInfraCollection : ICollectionFixture<CompiledInfra>
{
    public const string Name = "compiled infra";
}
