using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;

namespace Elite.Infra.Tests.Arm;

/// <summary>
/// Evaluates the ARM template language expressions ("[format('{0}', parameters('x'))]") that Bicep
/// compiles to, as far as a template can be evaluated without Azure: literals, parameters, variables,
/// property access, copy indexes and the pure functions Bicep emits. Anything that needs a deployment
/// (resourceId, reference, listKeys, uniqueString, guid, ...) evaluates to <see cref="Unknown"/>, and so
/// does every expression that depends on it, except that <c>format</c> and <c>concat</c> keep their known
/// parts (a storage account named <c>stdata⟨?⟩</c> is still told apart from <c>sthost⟨?⟩</c>).
/// </summary>
public sealed class ArmExpression
{
    /// <summary>Stands for a value only a deployment knows.</summary>
    public const string Unknown = "⟨?⟩";

    private readonly string text;
    private int position;

    private ArmExpression(string text) => this.text = text;

    /// <summary>An integer however it was stored (parsed JSON, a parsed literal, a computed value).</summary>
    public static bool TryGetInt(JsonNode? node, out int value)
    {
        value = 0;
        if (node is not JsonValue v) return false;
        if (v.TryGetValue<int>(out value)) return true;
        if (v.TryGetValue<long>(out var l) && l is >= int.MinValue and <= int.MaxValue)
        {
            value = (int)l;
            return true;
        }

        return false;
    }

    public static bool IsUnknown(JsonNode? node) =>
        node is JsonValue value && value.TryGetValue<string>(out var s) && s.Contains(Unknown, StringComparison.Ordinal);

    /// <summary>Evaluates a template value: expression strings are evaluated, objects and arrays deeply.</summary>
    public static JsonNode? EvaluateValue(JsonNode? value, ArmScope scope, int? copyIndex = null)
    {
        switch (value)
        {
            case JsonObject obj:
            {
                // Property copy loops: "copy": [{ "name": "env", "count": ..., "input": ... }].
                var result = new JsonObject();
                if (obj["copy"] is JsonArray propertyLoops)
                {
                    foreach (var loop in propertyLoops.OfType<JsonObject>())
                    {
                        var name = (string)loop["name"]!;
                        var items = new JsonArray();
                        var count = EvaluateValue(loop["count"], scope, copyIndex);
                        if (TryGetInt(count, out var n))
                        {
                            for (var i = 0; i < n; i++)
                            {
                                items.Add(EvaluateValue(loop["input"], scope.WithLoop(name, i), copyIndex));
                            }
                        }
                        else
                        {
                            items.Add(JsonValue.Create(Unknown));
                        }

                        result[name] = items;
                    }
                }

                foreach (var (key, child) in obj)
                {
                    if (key == "copy" && child is JsonArray) continue;
                    // Keys can be expressions too ("[format('{0}', parameters('identityId'))]": {}).
                    var evaluatedKey = EvaluateValue(JsonValue.Create(key), scope, copyIndex) is JsonValue k && k.TryGetValue<string>(out var text) ? text : Unknown;
                    result[evaluatedKey] = EvaluateValue(child, scope, copyIndex);
                }

                return result;
            }
            case JsonArray array:
                return new JsonArray(array.Select(item => EvaluateValue(item, scope, copyIndex)).ToArray());
            case JsonValue v when v.TryGetValue<string>(out var s):
                if (s.StartsWith("[[", StringComparison.Ordinal)) return JsonValue.Create(s[1..]);
                if (s.StartsWith('[') && s.EndsWith(']')) return Evaluate(s[1..^1], scope, copyIndex);
                return JsonValue.Create(s);
            default:
                return value?.DeepClone();
        }
    }

    /// <summary>Evaluates one expression (without its surrounding brackets).</summary>
    public static JsonNode? Evaluate(string expression, ArmScope scope, int? copyIndex = null)
    {
        var parser = new ArmExpression(expression);
        var node = parser.ParseExpression();
        parser.SkipSpace();
        if (parser.position != parser.text.Length)
        {
            throw new FormatException($"Unexpected '{parser.text[parser.position..]}' in expression [{expression}]");
        }

        return node.Evaluate(scope, copyIndex);
    }

    // ---- parsing ----

    private abstract record Node
    {
        public abstract JsonNode? Evaluate(ArmScope scope, int? copyIndex);
    }

    private sealed record Literal(JsonNode? Value) : Node
    {
        public override JsonNode? Evaluate(ArmScope scope, int? copyIndex) => Value?.DeepClone();
    }

    private sealed record Call(string Function, IReadOnlyList<Node> Arguments) : Node
    {
        public override JsonNode? Evaluate(ArmScope scope, int? copyIndex) => Functions.Call(Function, Arguments, scope, copyIndex);
    }

    private sealed record Member(Node Target, Node Key) : Node
    {
        public override JsonNode? Evaluate(ArmScope scope, int? copyIndex)
        {
            var target = Target.Evaluate(scope, copyIndex);
            var key = Key.Evaluate(scope, copyIndex);
            if (IsUnknown(target) || IsUnknown(key)) return JsonValue.Create(Unknown);
            return (target, key) switch
            {
                (JsonObject obj, JsonValue k) when k.TryGetValue<string>(out var name) =>
                    obj.FirstOrDefault(p => string.Equals(p.Key, name, StringComparison.OrdinalIgnoreCase)).Value?.DeepClone()
                    ?? throw new KeyNotFoundException($"No property '{name}' in {obj.ToJsonString()}"),
                (JsonArray arr, JsonValue k) when TryGetInt(k, out var index) => arr[index]?.DeepClone(),
                _ => throw new InvalidOperationException($"Cannot index {target?.ToJsonString()} with {key?.ToJsonString()}"),
            };
        }
    }

    private Node ParseExpression()
    {
        var node = ParsePrimary();
        while (true)
        {
            SkipSpace();
            if (TryTake('.'))
            {
                node = new Member(node, new Literal(JsonValue.Create(ParseIdentifier())));
            }
            else if (TryTake('['))
            {
                var key = ParseExpression();
                SkipSpace();
                Expect(']');
                node = new Member(node, key);
            }
            else
            {
                return node;
            }
        }
    }

    private Node ParsePrimary()
    {
        SkipSpace();
        if (position >= text.Length) throw new FormatException($"Unexpected end of expression [{text}]");
        var c = text[position];
        if (c == '\'') return new Literal(JsonValue.Create(ParseString()));
        if (char.IsDigit(c) || c == '-')
        {
            var start = position++;
            while (position < text.Length && char.IsDigit(text[position])) position++;
            return new Literal(JsonValue.Create(long.Parse(text[start..position], CultureInfo.InvariantCulture)));
        }

        var name = ParseIdentifier();
        SkipSpace();
        Expect('(');
        var arguments = new List<Node>();
        SkipSpace();
        if (!TryTake(')'))
        {
            do
            {
                arguments.Add(ParseExpression());
                SkipSpace();
            }
            while (TryTake(','));
            Expect(')');
        }

        return new Call(name, arguments);
    }

    private string ParseString()
    {
        Expect('\'');
        var builder = new StringBuilder();
        while (true)
        {
            if (position >= text.Length) throw new FormatException($"Unterminated string in [{text}]");
            var c = text[position++];
            if (c == '\'')
            {
                if (position < text.Length && text[position] == '\'')
                {
                    builder.Append('\'');
                    position++;
                    continue;
                }

                return builder.ToString();
            }

            builder.Append(c);
        }
    }

    private string ParseIdentifier()
    {
        SkipSpace();
        var start = position;
        while (position < text.Length && (char.IsLetterOrDigit(text[position]) || text[position] is '_' or '$')) position++;
        if (start == position) throw new FormatException($"Expected a name at {position} in [{text}]");
        return text[start..position];
    }

    private void SkipSpace()
    {
        while (position < text.Length && char.IsWhiteSpace(text[position])) position++;
    }

    private bool TryTake(char c)
    {
        SkipSpace();
        if (position < text.Length && text[position] == c)
        {
            position++;
            return true;
        }

        return false;
    }

    private void Expect(char c)
    {
        if (!TryTake(c)) throw new FormatException($"Expected '{c}' at {position} in [{text}]");
    }

    // ---- functions ----

    private static class Functions
    {
        public static JsonNode? Call(string function, IReadOnlyList<Node> arguments, ArmScope scope, int? copyIndex)
        {
            JsonNode? Arg(int i) => arguments[i].Evaluate(scope, copyIndex);
            var unknown = JsonValue.Create(Unknown);
            switch (function.ToLowerInvariant())
            {
                case "parameters":
                    return scope.Parameter(AsString(Arg(0)));
                case "variables":
                    return scope.Variable(AsString(Arg(0)));
                case "copyindex":
                {
                    var offset = 0;
                    string? loop = null;
                    foreach (var value in arguments.Select(a => a.Evaluate(scope, copyIndex)))
                    {
                        if (TryGetInt(value, out var o)) offset = o;
                        else loop = AsString(value);
                    }

                    var index = loop is null ? copyIndex : scope.LoopIndex(loop);
                    return index is null ? unknown : JsonValue.Create(index.Value + offset);
                }
                case "format":
                {
                    var values = arguments.Skip(1).Select(a => (object)AsText(a.Evaluate(scope, copyIndex))).ToArray();
                    return JsonValue.Create(string.Format(CultureInfo.InvariantCulture, AsString(Arg(0)), values));
                }
                case "concat":
                {
                    var values = arguments.Select(a => a.Evaluate(scope, copyIndex)).ToList();
                    if (values.All(v => v is JsonArray))
                    {
                        return new JsonArray(values.SelectMany(v => ((JsonArray)v!).Select(x => x?.DeepClone())).ToArray());
                    }

                    return JsonValue.Create(string.Concat(values.Select(AsText)));
                }
                case "string":
                {
                    var value = Arg(0);
                    return JsonValue.Create(value is JsonValue ? AsText(value) : value?.ToJsonString());
                }
                case "tolower":
                    return JsonValue.Create(AsText(Arg(0)).ToLowerInvariant());
                case "toupper":
                    return JsonValue.Create(AsText(Arg(0)).ToUpperInvariant());
                case "length":
                {
                    var value = Arg(0);
                    if (IsUnknown(value)) return unknown;
                    return JsonValue.Create(value switch
                    {
                        JsonArray a => a.Count,
                        JsonObject o => o.Count,
                        _ => AsString(value).Length,
                    });
                }
                case "empty":
                {
                    var value = Arg(0);
                    if (IsUnknown(value)) return unknown;
                    return JsonValue.Create(value switch
                    {
                        null => true,
                        JsonArray a => a.Count == 0,
                        JsonObject o => o.Count == 0,
                        _ => AsText(value).Length == 0,
                    });
                }
                case "not":
                {
                    var value = Arg(0);
                    return IsUnknown(value) ? unknown : JsonValue.Create(!AsBool(value));
                }
                case "equals":
                {
                    var (a, b) = (Arg(0), Arg(1));
                    return IsUnknown(a) || IsUnknown(b) ? unknown : JsonValue.Create(JsonNode.DeepEquals(a, b));
                }
                case "and":
                {
                    var values = arguments.Select(a => a.Evaluate(scope, copyIndex)).ToList();
                    return values.Any(IsUnknown) ? unknown : JsonValue.Create(values.All(AsBool));
                }
                case "or":
                {
                    var values = arguments.Select(a => a.Evaluate(scope, copyIndex)).ToList();
                    return values.Any(IsUnknown) ? unknown : JsonValue.Create(values.Any(AsBool));
                }
                case "if":
                {
                    var condition = Arg(0);
                    if (IsUnknown(condition)) return unknown;
                    return AsBool(condition) ? Arg(1) : Arg(2);
                }
                case "true":
                    return JsonValue.Create(true);
                case "false":
                    return JsonValue.Create(false);
                case "null":
                    return null;
                case "json":
                    return JsonNode.Parse(AsString(Arg(0)));
                case "createobject":
                {
                    var obj = new JsonObject();
                    for (var i = 0; i + 1 < arguments.Count; i += 2) obj[AsString(Arg(i))] = Arg(i + 1);
                    return obj;
                }
                case "createarray":
                    return new JsonArray(arguments.Select(a => a.Evaluate(scope, copyIndex)).ToArray());
                case "union":
                {
                    var values = arguments.Select(a => a.Evaluate(scope, copyIndex)).ToList();
                    if (values.All(v => v is JsonObject))
                    {
                        var merged = new JsonObject();
                        foreach (var obj in values.Cast<JsonObject>())
                        {
                            foreach (var (key, child) in obj) merged[key] = child?.DeepClone();
                        }

                        return merged;
                    }

                    if (values.All(v => v is JsonArray))
                    {
                        var merged = new JsonArray();
                        foreach (var item in values.Cast<JsonArray>().SelectMany(a => a))
                        {
                            if (!merged.Any(m => JsonNode.DeepEquals(m, item))) merged.Add(item?.DeepClone());
                        }

                        return merged;
                    }

                    return unknown;
                }
                case "split":
                {
                    var value = Arg(0);
                    if (IsUnknown(value)) return unknown;
                    return new JsonArray(AsString(value).Split(AsString(Arg(1))).Select(s => (JsonNode?)JsonValue.Create(s)).ToArray());
                }
                case "last":
                {
                    var value = Arg(0);
                    return value is JsonArray a ? a[^1]?.DeepClone() : IsUnknown(value) ? unknown : JsonValue.Create(AsString(value)[^1..]);
                }
                case "first":
                {
                    var value = Arg(0);
                    return value is JsonArray a ? a[0]?.DeepClone() : IsUnknown(value) ? unknown : JsonValue.Create(AsString(value)[..1]);
                }
                case "resourceid":
                case "subscriptionresourceid":
                case "tenantresourceid":
                case "extensionresourceid":
                    return ResourceId(arguments.Select(a => a.Evaluate(scope, copyIndex)).ToList());
                case "reference":
                {
                    // A module's outputs, once that nested deployment has been evaluated; anything else needs Azure.
                    var id = Arg(0) is JsonValue v && v.TryGetValue<string>(out var text) ? text : "";
                    const string marker = "/providers/Microsoft.Resources/deployments/";
                    var at = id.LastIndexOf(marker, StringComparison.OrdinalIgnoreCase);
                    if (at >= 0 && scope.DeploymentOutputs(id[(at + marker.Length)..]) is { } outputs)
                    {
                        return new JsonObject { ["outputs"] = outputs };
                    }

                    return unknown;
                }
                case "coalesce":
                    return arguments.Select(a => a.Evaluate(scope, copyIndex)).FirstOrDefault(v => v is not null);
                default:
                    // resourceId, reference, list*, uniqueString, guid, subscription, resourceGroup, deployment,
                    // environment, lambdas (map, filter, ...), ...: only a deployment knows.
                    return unknown;
            }
        }

        /// <summary>
        /// A resource id whose scope (subscription, resource group) is unknown but whose type and names are
        /// kept: <c>⟨?⟩/providers/Microsoft.Storage/storageAccounts/st1/blobServices/default</c>.
        /// </summary>
        private static JsonNode ResourceId(IReadOnlyList<JsonNode?> arguments)
        {
            var typeAt = -1;
            for (var i = 0; i < arguments.Count; i++)
            {
                if (arguments[i] is JsonValue v && v.TryGetValue<string>(out var s)
                    && System.Text.RegularExpressions.Regex.IsMatch(s, @"^[A-Za-z0-9]+(\.[A-Za-z0-9]+)+/[A-Za-z0-9]+"))
                {
                    typeAt = i;
                    break;
                }
            }

            if (typeAt < 0) return JsonValue.Create(Unknown);
            var segments = AsString(arguments[typeAt]).Split('/');
            var names = arguments.Skip(typeAt + 1).Select(AsText).ToList();
            var id = new StringBuilder($"{Unknown}/providers/{segments[0]}");
            for (var i = 1; i < segments.Length; i++)
            {
                id.Append('/').Append(segments[i]).Append('/').Append(i - 1 < names.Count ? names[i - 1] : Unknown);
            }

            return JsonValue.Create(id.ToString());
        }

        private static string AsString(JsonNode? node) =>
            node is JsonValue v && v.TryGetValue<string>(out var s) ? s : throw new InvalidOperationException($"Expected a string, not {node?.ToJsonString() ?? "null"}");

        private static bool AsBool(JsonNode? node) =>
            node is JsonValue v && v.TryGetValue<bool>(out var b) ? b
            : node is JsonValue s && s.TryGetValue<string>(out var text) && bool.TryParse(text, out var parsed) ? parsed
            : throw new InvalidOperationException($"Expected a bool, not {node?.ToJsonString() ?? "null"}");

        /// <summary>A value as text inside a string: strings as they are, other scalars as ARM writes them.</summary>
        public static string AsText(JsonNode? node) => node switch
        {
            null => "",
            JsonValue v when v.TryGetValue<string>(out var s) => s,
            JsonValue v when v.TryGetValue<bool>(out var b) => b ? "True" : "False",
            JsonValue v => v.ToJsonString(),
            _ => Unknown,
        };
    }
}
