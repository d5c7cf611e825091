using System.Text.Json.Nodes;
using Elite.Infra.Tests.Arm;

namespace Elite.Infra.Tests;

/// <summary>The template evaluator the other tests rely on.</summary>
public sealed class ArmExpressionTests
{
    private static readonly JsonObject Template = JsonNode.Parse("""
        {
          "parameters": {
            "name": { "type": "string" },
            "count": { "type": "int", "defaultValue": 2 },
            "image": { "type": "string", "defaultValue": "" }
          },
          "variables": {
            "$fxv#0": { "queues": ["encode", "generate"], "o'k": 1 },
            "names": "[variables('$fxv#0')]",
            "image": "[if(empty(parameters('image')), 'placeholder', parameters('image'))]"
          },
          "resources": [
            {
              "copy": { "name": "queues", "count": "[length(variables('names').queues)]" },
              "type": "Microsoft.Storage/storageAccounts/queueServices/queues",
              "name": "[format('{0}/{1}/{2}', parameters('name'), 'default', variables('names').queues[copyIndex()])]"
            },
            {
              "type": "Microsoft.Resources/deployments",
              "name": "inner",
              "properties": {
                "parameters": { "prefix": { "value": "[concat(parameters('name'), '-x')]" } },
                "template": {
                  "parameters": { "prefix": { "type": "string" } },
                  "resources": [
                    {
                      "type": "Microsoft.Web/sites",
                      "name": "[format('{0}-{1}', parameters('prefix'), uniqueString(resourceGroup().id))]",
                      "tags": "[union(createObject('a', '1'), createObject('b', '2'))]",
                      "properties": { "[format('{0}', 'key')]": "[[literal]" }
                    }
                  ],
                  "outputs": { "site": { "type": "string", "value": "[parameters('prefix')]" } }
                }
              }
            },
            {
              "condition": "[not(empty(parameters('image')))]",
              "type": "Microsoft.Web/serverfarms",
              "name": "skipped"
            }
          ]
        }
        """)!.AsObject();

    private static ArmTemplate Evaluate() => ArmTemplate.Evaluate(Template, new Dictionary<string, JsonNode?> { ["name"] = "st1" });

    [Fact]
    public void Copy_loops_are_unrolled_with_names_from_variables()
    {
        var queues = Evaluate().OfType("Microsoft.Storage/storageAccounts/queueServices/queues").Select(q => q.Name);
        Assert.Equal(["st1/default/encode", "st1/default/generate"], queues);
    }

    [Fact]
    public void Modules_get_their_parameters_and_unknown_parts_stay_marked()
    {
        var site = Assert.Single(Evaluate().OfType("Microsoft.Web/sites"));
        Assert.Equal($"st1-x-{ArmExpression.Unknown}", site.Name);
        Assert.Equal("inner", site.Deployment);
        Assert.Equal("""{"a":"1","b":"2"}""", site.Body["tags"]!.ToJsonString());
        Assert.Equal("[literal]", (string?)site.Properties!["key"]);
    }

    [Fact]
    public void False_conditions_leave_a_resource_out_and_module_outputs_are_readable()
    {
        var template = Evaluate();
        Assert.Empty(template.OfType("Microsoft.Web/serverfarms"));
        var output = ArmExpression.Evaluate(
            "reference(resourceId('Microsoft.Resources/deployments', 'inner'), '2025-04-01').outputs.site.value", template.Scope);
        Assert.Equal("st1-x", (string?)output);
    }

    [Theory]
    [InlineData("variables('image')", "placeholder")]
    [InlineData("string(parameters('count'))", "2")]
    [InlineData("toLower('ABC')", "abc")]
    [InlineData("format('{0}{1}', 'it''s', 1)", "it's1")]
    [InlineData("last(split('a/b/c', '/'))", "c")]
    [InlineData("variables('names')['o''k']", "1")]
    public void Functions_evaluate_like_arm(string expression, string expected)
    {
        var value = ArmExpression.Evaluate(expression, Evaluate().Scope);
        Assert.Equal(expected, value is JsonValue v && v.TryGetValue<string>(out var s) ? s : value!.ToJsonString());
    }

    [Fact]
    public void Resource_ids_keep_type_and_names()
    {
        var id = (string?)ArmExpression.Evaluate(
            "subscriptionResourceId('Microsoft.Authorization/roleDefinitions', 'ba92f5b4-2d11-453d-a403-e96b0029c9fe')", Evaluate().Scope);
        Assert.Equal($"{ArmExpression.Unknown}/providers/Microsoft.Authorization/roleDefinitions/ba92f5b4-2d11-453d-a403-e96b0029c9fe", id);
    }
}
