using System.Text.Json.Nodes;

namespace Elite.Infra.Tests.Arm;

/// <summary>A resource of a compiled template with its expressions evaluated, found in any nested deployment.</summary>
/// <param name="Type">The resource type, e.g. <c>Microsoft.Storage/storageAccounts/queueServices/queues</c>.</param>
/// <param name="Name">The evaluated full name (<c>account/default/queue</c>); unknown parts read <see cref="ArmExpression.Unknown"/>.</param>
/// <param name="Body">The whole resource, evaluated.</param>
/// <param name="Deployment">The module (nested deployment) it is declared in; empty for the main template.</param>
public sealed record ArmResource(string Type, string Name, JsonObject Body, string Deployment)
{
    /// <summary>The last segment of the name: a container's, queue's or table's own name.</summary>
    public string LeafName => Name.Split('/')[^1];

    public JsonNode? Properties => Body["properties"];
}

/// <summary>
/// A compiled ARM template (what <c>bicep build</c> writes) evaluated as a deployment with the given
/// parameters would see it, with every nested deployment (Bicep module) expanded and every copy loop
/// unrolled where its count is known.
/// </summary>
public sealed class ArmTemplate
{
    private ArmTemplate(JsonObject root, IReadOnlyList<ArmResource> resources, ArmScope scope)
    {
        Root = root;
        Resources = resources;
        Scope = scope;
    }

    public JsonObject Root { get; }
    public IReadOnlyList<ArmResource> Resources { get; }
    public ArmScope Scope { get; }

    public static ArmTemplate Evaluate(JsonObject template, IReadOnlyDictionary<string, JsonNode?> parameters)
    {
        var scope = ArmScope.Create(template, parameters);
        var resources = new List<ArmResource>();
        Collect(scope, "", resources);
        return new ArmTemplate(template, resources, scope);
    }

    public IEnumerable<ArmResource> OfType(string type) =>
        Resources.Where(r => string.Equals(r.Type, type, StringComparison.OrdinalIgnoreCase));

    private static IEnumerable<JsonObject> ResourceDefinitions(JsonObject template) => template["resources"] switch
    {
        JsonArray array => array.OfType<JsonObject>(),
        JsonObject symbolic => symbolic.Select(p => p.Value).OfType<JsonObject>(), // languageVersion 2.0
        _ => [],
    };

    private static void Collect(ArmScope scope, string deployment, List<ArmResource> into)
    {
        foreach (var definition in ResourceDefinitions(scope.Template))
        {
            if (definition["existing"]?.GetValue<bool>() == true) continue;
            foreach (var index in CopyIndexes(definition, scope))
            {
                if (definition["condition"] is { } condition)
                {
                    var value = ArmExpression.EvaluateValue(condition, scope, index);
                    if (value is JsonValue v && v.TryGetValue<bool>(out var deployed) && !deployed) continue;
                }

                var type = (string)definition["type"]!;
                var name = ArmExpression.EvaluateValue(definition["name"], scope, index)?.GetValue<string>() ?? "";
                if (string.Equals(type, "Microsoft.Resources/deployments", StringComparison.OrdinalIgnoreCase)
                    && definition["properties"]?["template"] is JsonObject nested)
                {
                    var given = new Dictionary<string, JsonNode?>(StringComparer.OrdinalIgnoreCase);
                    foreach (var (parameter, wrapper) in definition["properties"]?["parameters"]?.AsObject() ?? [])
                    {
                        given[parameter] = ArmExpression.EvaluateValue(wrapper?["value"], scope, index);
                    }

                    var path = deployment.Length == 0 ? name : $"{deployment}/{name}";
                    into.Add(new ArmResource(type, name, new JsonObject { ["type"] = type, ["name"] = name }, deployment));
                    var nestedScope = scope.CreateNested(nested, given);
                    Collect(nestedScope, path, into);
                    nestedScope.RecordOutputs(name);
                    continue;
                }

                var body = (JsonObject)ArmExpression.EvaluateValue(definition, scope, index)!;
                into.Add(new ArmResource(type, name, body, deployment));
            }
        }
    }

    private static IEnumerable<int?> CopyIndexes(JsonObject definition, ArmScope scope)
    {
        if (definition["copy"] is not JsonObject copy) return [null];
        var count = ArmExpression.EvaluateValue(copy["count"], scope);
        if (!ArmExpression.TryGetInt(count, out var n))
        {
            throw new InvalidOperationException($"The copy loop of {definition["name"]} has a count only a deployment knows: {copy["count"]}");
        }

        return Enumerable.Range(0, n).Select(i => (int?)i);
    }
}
