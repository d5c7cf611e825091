using System.Reflection;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Elite.Core;
using Elite.Core.Api;
using Elite.Core.Jobs;
using Elite.Core.Rows;
using Elite.Core.Webhooks;
using Elite.Functions.LocalHost;
using Json.Schema;
using Microsoft.Azure.Functions.Worker;

namespace Elite.Functions.Tests;

/// <summary>
/// The OpenAPI document (<see cref="ApiDocument"/>) tells the truth: its operations are the HTTP triggers, its
/// submission schema is what <see cref="JobSubmissionJson"/> and <see cref="JobValidator"/> accept, the committed and
/// served copies are the generated one, and the README's examples validate against it.
/// </summary>
public sealed partial class OpenApiDocumentTests
{
    private static readonly JsonObject Document = JsonNode.Parse(ApiDocument.Json)!.AsObject();

    public static string CommittedPath { get; } = RepositoryFile(Path.Combine("docs", "openapi.json"));

    [Fact]
    public void The_operations_are_exactly_the_http_triggers_of_the_functions_app()
    {
        var triggers = (
            from type in typeof(JobFunctions).Assembly.GetTypes()
            from method in type.GetMethods()
            let function = method.GetCustomAttribute<FunctionAttribute>()
            let parameters = method.GetParameters()
            let trigger = parameters.Select(p => p.GetCustomAttribute<HttpTriggerAttribute>()).SingleOrDefault(t => t is not null)
            where function is not null && trigger is not null
            from verb in trigger.Methods!
            select Describe(function.Name, verb, "/api/" + trigger.Route, trigger.AuthLevel == AuthorizationLevel.Anonymous,
                parameters.Where(p => p.ParameterType == typeof(string)).Select(p => p.Name!))).Order(StringComparer.Ordinal).ToList();

        var operations = (
            from path in Document["paths"]!.AsObject()
            from operation in path.Value!.AsObject()
            let described = operation.Value!.AsObject()
            let security = described["security"]?.AsArray()
            select Describe((string)described["operationId"]!, operation.Key, path.Key, security is { Count: 0 },
                (described["parameters"]?.AsArray() ?? []).Where(p => (string)p!["in"]! == "path").Select(p => (string)p!["name"]!))).Order(StringComparer.Ordinal).ToList();

        Assert.Equal(triggers, operations);
        // Every route value of a path is a path parameter (and so a string argument of its function).
        foreach (var path in Document["paths"]!.AsObject())
        {
            var inRoute = RouteValue().Matches(path.Key).Select(m => m.Groups[1].Value).Order();
            foreach (var operation in path.Value!.AsObject())
            {
                Assert.Equal(inRoute, (operation.Value!["parameters"]?.AsArray() ?? []).Where(p => (string)p!["in"]! == "path").Select(p => (string)p!["name"]!).Order());
            }
        }
    }

    [Fact]
    public void Every_field_of_the_submission_schemas_is_read_into_the_submission_and_no_other_field_is_accepted()
    {
        foreach (var (schemaName, wrap) in SubmissionSchemas)
        {
            var schema = Component(schemaName);
            Assert.False((bool)schema["additionalProperties"]!, $"{schemaName} says it takes fields the contract does not have");
            foreach (var (field, fieldSchema) in schema["properties"]!.AsObject())
            {
                foreach (var sample in Samples(fieldSchema!))
                {
                    var body = wrap(new JsonObject { [field] = sample });
                    var read = JobSubmissionJson.Parse(JsonSerializer.SerializeToUtf8Bytes(body));
                    Assert.True(read.Submission is not null, $"{schemaName}.{field} = {sample?.ToJsonString() ?? "null"}: {string.Join("; ", read.Problems)}");
                    if (sample is not null)
                    {
                        // Read into the contract, not dropped: written back, the field is there.
                        Assert.Contains($"\"{field}\":", JsonSerializer.Serialize(read.Submission, JobSubmissionJson.Options));
                    }
                }
            }

            var unknown = JobSubmissionJson.Parse(JsonSerializer.SerializeToUtf8Bytes(wrap(new JsonObject { ["notAField"] = 1 })));
            Assert.Null(unknown.Submission);
            Assert.Contains("notAField", unknown.Problems.Single().Field);
        }
    }

    [Fact]
    public void The_required_fields_of_the_submission_schemas_are_the_ones_JobValidator_requires()
    {
        var valid = JsonNode.Parse("""{"conceptId":"dog-1","prompts":[{"prompt":"a photo of S"}]}""")!.AsObject();
        Assert.Empty(Validate(valid));
        foreach (var (schemaName, at, fields) in new[]
        {
            ("JobSubmission", "", (Func<JsonObject, JsonObject>)(body => body)),
            ("PromptRequest", "prompts[0].", body => body["prompts"]![0]!.AsObject()),
        })
        {
            var schema = Component(schemaName);
            var required = schema["required"]?.AsArray().Select(r => (string)r!).ToHashSet() ?? [];
            foreach (var (field, fieldSchema) in schema["properties"]!.AsObject())
            {
                var missing = valid.DeepClone().AsObject();
                fields(missing).Remove(field);
                var asNull = valid.DeepClone().AsObject();
                fields(asNull)[field] = null;

                Assert.Equal(required.Contains(field), Validate(missing).Any(p => p.Field == at + field));
                Assert.Equal(Types(fieldSchema!).Contains("null"), Validate(asNull).Count == 0);
            }
        }
    }

    [Fact]
    public void The_committed_document_is_the_generated_one()
    {
        var committed = File.Exists(CommittedPath) ? File.ReadAllText(CommittedPath).ReplaceLineEndings("\n") : "";
        if (committed != ApiDocument.Json)
        {
            Directory.CreateDirectory(Path.GetDirectoryName(CommittedPath)!);
            File.WriteAllText(CommittedPath, ApiDocument.Json);
            Assert.Fail($"{CommittedPath} was out of date with the functions' contracts and has been regenerated: review and commit it.");
        }
    }

    [Fact]
    public void Every_json_example_in_the_readme_api_section_is_labelled_and_validates()
    {
        var examples = ReadmeExamples.Read(RepositoryFile("README.md"));
        Assert.NotEmpty(examples);
        foreach (var example in examples)
        {
            var reference = (string?)SchemaOf(example.Label)["$ref"] ?? throw new InvalidOperationException($"{example.Label}: its schema is not a component");
            using var instance = JsonDocument.Parse(example.Json);
            var errors = Errors(reference, instance.RootElement);
            Assert.True(errors.Count == 0, $"README line {example.Line} ({example.Label}) does not validate against {reference}: {string.Join("; ", errors)}");
        }
    }

    [Fact]
    public void Answers_written_as_the_functions_write_them_validate_against_their_schemas()
    {
        var at = new DateTimeOffset(2025, 6, 1, 9, 30, 0, TimeSpan.Zero);
        var summary = new JobSummary { Id = "job-1", Status = JobStatus.Running, TaskCount = 2, CreatedAt = at, Webhook = WebhookState.Retrying, LastWebhookError = "503", NextWebhookAttemptAt = at };
        var tasks = new TaskPage(
        [
            new TaskView("000000", ImageTaskStatus.Succeeded, "a photo of S", 0, 0.6, "https://example.com/r.png", at, "0x8D1", null),
            new TaskView("000001", ImageTaskStatus.Queued, "a photo of S", 1, 0.6, null, null, null, null),
        ], "000001");
        object[] answers =
        [
            new JobAccepted("job-1", 2, false, "/api/jobs/job-1"), summary, new JobView(summary, tasks), tasks, new JobListPage([summary], null),
            ApiErrors.One("steps", "9999 is outside 1-150"), new ConceptCreated("c-1", "Pending", "https://example.com/p", null, at),
            new ConceptView("c-1", ConceptStatus.Rejected, null, null, "not an image"),
            new ServiceStatus(at, [new QueueDepth("generate", 3)], [new WorkerSeen("worker-1", "pack-1", "CUDA", 8, at, at)]),
        ];
        foreach (var answer in answers)
        {
            var errors = Errors("#/components/schemas/" + answer.GetType().Name, JsonSerializer.SerializeToElement(answer, answer.GetType(), ApiDocument.ResponseJson));
            Assert.True(errors.Count == 0, $"{answer.GetType().Name}: {string.Join("; ", errors)}");
        }
    }

    /// <summary>What is wrong with <paramref name="instance"/> by the document's schema at <paramref name="reference"/> (<c>#/components/schemas/X</c>).</summary>
    private static IReadOnlyList<string> Errors(string reference, JsonElement instance)
    {
        var registry = new SchemaRegistry();
        var baseUri = new Uri("https://elite.local/openapi.json");
        using var document = JsonDocument.Parse(ApiDocument.Json);
        registry.Register(new JsonElementBaseDocument(document.RootElement.Clone(), baseUri));
        var schema = JsonSchema.FromText(new JsonObject { ["$ref"] = baseUri + reference }.ToJsonString(), new BuildOptions { SchemaRegistry = registry });
        var result = schema.Evaluate(instance, new EvaluationOptions { OutputFormat = OutputFormat.List });
        return result.IsValid ? [] : [.. (result.Details ?? []).Where(d => d.Errors is not null).SelectMany(d => d.Errors!.Select(e => $"{d.InstanceLocation}: {e.Value}"))];
    }

    /// <summary>The schemas of a job submission, and how a field of each is put into a body.</summary>
    private static readonly (string Schema, Func<JsonObject, JsonObject> Wrap)[] SubmissionSchemas =
    [
        ("JobSubmission", fields => fields),
        ("PromptRequest", fields => new JsonObject { ["prompts"] = new JsonArray(fields) }),
    ];

    private static IReadOnlyList<ValidationProblem> Validate(JsonObject body)
    {
        var read = JobSubmissionJson.Parse(JsonSerializer.SerializeToUtf8Bytes(body));
        return read.Submission is null ? read.Problems : JobValidator.Validate(read.Submission);
    }

    /// <summary>A value of each type the schema allows (numbers also as the strings it allows).</summary>
    private static IEnumerable<JsonNode?> Samples(JsonNode schema)
    {
        if ((string?)schema["$ref"] is { } reference)
        {
            foreach (var sample in Samples(Component(reference.Split('/')[^1]))) yield return sample;
            yield break;
        }

        if ((string?)schema["anyOf"]?[0]?["$ref"] is not null)
        {
            foreach (var option in schema["anyOf"]!.AsArray()) foreach (var sample in Samples(option!)) yield return sample;
            yield break;
        }

        foreach (var type in Types(schema))
        {
            yield return type switch
            {
                "null" => null,
                "string" when (string?)schema["pattern"] is not null && Types(schema).Contains("integer") => "7",
                "string" when (string?)schema["pattern"] is not null => "0.5",
                "string" => (string?)schema["enum"]?[0] ?? "x",
                "integer" => 7,
                "number" => 0.5,
                "boolean" => true,
                "array" => new JsonArray(Samples(schema["items"]!).First(s => s is not null)!.DeepClone()),
                "object" => new JsonObject(),
                _ => throw new InvalidOperationException($"no sample of {type}"),
            };
        }
    }

    private static IReadOnlyList<string> Types(JsonNode schema) => schema["type"] switch
    {
        JsonArray types => [.. types.Select(t => (string)t!)],
        JsonValue type => [(string)type!],
        _ => schema["anyOf"]?.AsArray().SelectMany(s => Types(s!)).ToList() ?? [],
    };

    private static JsonObject Component(string name) => Document["components"]!["schemas"]![name]!.AsObject();

    /// <summary>The schema a README label names: <c>POST /api/jobs request</c> or <c>GET /api/jobs/{id} 200</c>.</summary>
    private static JsonObject SchemaOf(string label)
    {
        var parts = label.Split(' ', StringSplitOptions.RemoveEmptyEntries);
        Assert.True(parts.Length == 3, $"README label '{label}': write METHOD PATH request|STATUS");
        var operation = Document["paths"]?[parts[1]]?[parts[0].ToLowerInvariant()] ?? throw new InvalidOperationException($"README label '{label}': no such operation");
        var body = parts[2] == "request" ? operation["requestBody"] : operation["responses"]?[parts[2]];
        return body?["content"]?[ApiDocument.JsonMediaType]?["schema"]?.AsObject() ?? throw new InvalidOperationException($"README label '{label}': no JSON body there");
    }

    private static string Describe(string function, string method, string path, bool anonymous, IEnumerable<string> pathParameters) =>
        $"{function} {method.ToUpperInvariant()} {path}{(anonymous ? " anonymous" : "")} ({string.Join(",", pathParameters.Order(StringComparer.Ordinal))})";

    private static string RepositoryFile(string relative)
    {
        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            if (File.Exists(Path.Combine(directory.FullName, "Elite.Pipeline.sln"))) return Path.Combine(directory.FullName, relative);
        }

        throw new InvalidOperationException($"No Elite.Pipeline.sln above {AppContext.BaseDirectory}.");
    }

    [GeneratedRegex(@"\{(\w+)\}")]
    private static partial Regex RouteValue();
}

/// <summary>The served document, through the local functions host: started with a storage account like the other local host test.</summary>
[Collection(ConceptUploadsCollection.Name)]
public sealed class OpenApiServedDocumentTests
{
    [Fact]
    public async Task The_local_host_serves_the_committed_document_without_a_key()
    {
        var port = LoopbackPort.Free();
        await using var host = LocalFunctionsHost.Build(["--urls", $"http://127.0.0.1:{port}", "--Webhooks:AllowPrivateAddresses=true", $"--Webhooks:SigningSecret={WebhookSecret.Generate()}"]);
        await host.StartAsync();
        using var http = new HttpClient();

        var response = await http.GetAsync($"http://127.0.0.1:{port}/api/openapi.json");

        response.EnsureSuccessStatusCode();
        Assert.Equal(ApiDocument.JsonMediaType, response.Content.Headers.ContentType?.MediaType);
        Assert.Equal(File.ReadAllText(OpenApiDocumentTests.CommittedPath).ReplaceLineEndings("\n"), await response.Content.ReadAsStringAsync());
    }
}

/// <summary>
/// The JSON examples of README.md's "### Call the API": <c>```json</c> blocks, here-documents ending in a line
/// <c>JSON</c>, and <c>curl -d '{...}'</c> bodies. Each is labelled by an HTML comment before its block,
/// <c>&lt;!-- openapi: POST /api/jobs request --&gt;</c> or <c>&lt;!-- openapi: GET /api/jobs/{id} 200 --&gt;</c>,
/// one label for each example of the block, in order.
/// </summary>
internal static partial class ReadmeExamples
{
    public sealed record Example(string Label, string Json, int Line);

    public static IReadOnlyList<Example> Read(string readmePath)
    {
        var lines = File.ReadAllLines(readmePath);
        var start = Array.FindIndex(lines, l => l.Trim() == "### Call the API");
        Assert.True(start >= 0, "README.md has no '### Call the API' section");
        var examples = new List<Example>();
        var labels = new Queue<string>();
        for (var i = start + 1; i < lines.Length && !lines[i].StartsWith("## ", StringComparison.Ordinal) && !lines[i].StartsWith("### ", StringComparison.Ordinal); i++)
        {
            if (Label().Match(lines[i]) is { Success: true } label)
            {
                labels.Enqueue(label.Groups[1].Value.Trim());
                continue;
            }

            if (!lines[i].StartsWith("```", StringComparison.Ordinal)) continue;
            var language = lines[i][3..].Trim();
            var blockStart = i;
            var block = new List<string>();
            for (i++; i < lines.Length && !lines[i].StartsWith("```", StringComparison.Ordinal); i++) block.Add(lines[i]);

            IEnumerable<(string Json, int Line)> found = language == "json" ? [(string.Join("\n", block), blockStart + 2)] : InBlock(block, blockStart + 2);
            foreach (var (json, line) in found)
            {
                Assert.True(labels.Count > 0, $"README line {line}: a JSON example without an <!-- openapi: METHOD PATH request|STATUS --> label before its block");
                examples.Add(new(labels.Dequeue(), json, line));
            }

            Assert.True(labels.Count == 0, $"README line {blockStart + 1}: more openapi labels than JSON examples in the block");
        }

        return examples;
    }

    /// <summary>Here-documents ending in <c>JSON</c>, and <c>-d '{...}'</c> bodies, with their first line (1-based).</summary>
    private static IEnumerable<(string Json, int Line)> InBlock(List<string> block, int firstLine)
    {
        for (var i = 0; i < block.Count; i++)
        {
            if (block[i].Contains("<<'JSON'", StringComparison.Ordinal))
            {
                var end = block.FindIndex(i + 1, l => l.Trim() == "JSON");
                yield return (string.Join("\n", block.Skip(i + 1).Take(end - i - 1)), firstLine + i + 1);
                i = end;
                continue;
            }

            foreach (Match body in InlineBody().Matches(block[i])) yield return (body.Groups[1].Value, firstLine + i);
        }
    }

    [GeneratedRegex(@"^\s*<!--\s*openapi:\s*(.+?)\s*-->\s*$")]
    private static partial Regex Label();

    [GeneratedRegex(@"(?:-d|--data|--data-raw)\s+'(\{.*?\})'")]
    private static partial Regex InlineBody();
}
