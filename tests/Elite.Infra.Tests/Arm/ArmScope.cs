using System.Text.Json.Nodes;

namespace Elite.Infra.Tests.Arm;

/// <summary>The parameters, variables and copy-loop indexes an expression of one template sees.</summary>
public sealed class ArmScope
{
    private readonly JsonObject template;
    private readonly IReadOnlyDictionary<string, JsonNode?> parameters;
    private readonly Dictionary<string, JsonNode?> variables = new(StringComparer.OrdinalIgnoreCase);
    private readonly IReadOnlyDictionary<string, int> loops;
    private readonly Dictionary<string, JsonObject> deploymentOutputs;

    private ArmScope(
        JsonObject template,
        IReadOnlyDictionary<string, JsonNode?> parameters,
        IReadOnlyDictionary<string, int> loops,
        Dictionary<string, JsonObject> deploymentOutputs)
    {
        this.template = template;
        this.parameters = parameters;
        this.loops = loops;
        this.deploymentOutputs = deploymentOutputs;
    }

    /// <summary>
    /// A template's scope: each parameter is the given value, else its default value (evaluated in this
    /// scope), else <see cref="ArmExpression.Unknown"/>.
    /// </summary>
    public static ArmScope Create(JsonObject template, IReadOnlyDictionary<string, JsonNode?> given) =>
        Create(template, given, new Dictionary<string, JsonObject>(StringComparer.OrdinalIgnoreCase));

    /// <summary>The scope of a nested deployment (module), sharing the outputs of the deployments evaluated so far.</summary>
    public ArmScope CreateNested(JsonObject nestedTemplate, IReadOnlyDictionary<string, JsonNode?> given) =>
        Create(nestedTemplate, given, deploymentOutputs);

    private static ArmScope Create(JsonObject template, IReadOnlyDictionary<string, JsonNode?> given, Dictionary<string, JsonObject> outputs)
    {
        var values = new Dictionary<string, JsonNode?>(StringComparer.OrdinalIgnoreCase);
        var scope = new ArmScope(template, values, new Dictionary<string, int>(), outputs);
        foreach (var (name, definition) in template["parameters"]?.AsObject() ?? [])
        {
            var match = given.FirstOrDefault(p => string.Equals(p.Key, name, StringComparison.OrdinalIgnoreCase));
            values[name] = match.Key is not null ? match.Value?.DeepClone()
                : definition?["defaultValue"] is { } defaultValue ? ArmExpression.EvaluateValue(defaultValue, scope)
                : JsonValue.Create(ArmExpression.Unknown);
        }

        return scope;
    }

    public JsonObject Template => template;

    public JsonNode? Parameter(string name) =>
        parameters.TryGetValue(name, out var value) ? value?.DeepClone() : throw new KeyNotFoundException($"No parameter '{name}'");

    public JsonNode? Variable(string name)
    {
        if (!variables.TryGetValue(name, out var value))
        {
            var definition = template["variables"]?[name] ?? throw new KeyNotFoundException($"No variable '{name}'");
            value = ArmExpression.EvaluateValue(definition, this);
            variables[name] = value;
        }

        return value?.DeepClone();
    }

    /// <summary>The outputs (<c>{ name: { value } }</c>) of a nested deployment evaluated earlier; null if none.</summary>
    public JsonObject? DeploymentOutputs(string deployment) =>
        deploymentOutputs.TryGetValue(deployment, out var outputs) ? (JsonObject)outputs.DeepClone() : null;

    /// <summary>Evaluates this template's outputs and records them as the outputs of <paramref name="deployment"/>.</summary>
    public void RecordOutputs(string deployment)
    {
        var outputs = new JsonObject();
        foreach (var (name, definition) in template["outputs"]?.AsObject() ?? [])
        {
            if (definition?["copy"] is not null) continue;
            outputs[name] = new JsonObject { ["value"] = ArmExpression.EvaluateValue(definition?["value"], this) };
        }

        deploymentOutputs[deployment] = outputs;
    }

    public int? LoopIndex(string loop) => loops.TryGetValue(loop, out var index) ? index : null;

    public ArmScope WithLoop(string loop, int index)
    {
        var nested = new Dictionary<string, int>(loops) { [loop] = index };
        var scope = new ArmScope(template, parameters, nested, deploymentOutputs);
        foreach (var (name, value) in variables) scope.variables[name] = value;
        return scope;
    }
}
