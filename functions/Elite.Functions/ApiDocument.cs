using System.ComponentModel.DataAnnotations;
using System.Globalization;
using System.Reflection;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;
using System.Text.Json.Serialization.Metadata;
using Elite.Contracts.Generation;
using Elite.Core;
using Elite.Core.Api;
using Elite.Core.Concepts;
using Elite.Core.Jobs;
using Elite.Core.Storage;
using Microsoft.OpenApi;
using MvcJsonOptions = Microsoft.AspNetCore.Mvc.JsonOptions;

namespace Elite.Functions;

/// <summary>One HTTP operation: its function, method and route, what it reads and what it answers.</summary>
/// <param name="Route">The route of its trigger, without <see cref="ApiRoutes.Prefix"/>.</param>
public sealed record ApiOperation(string Function, HttpMethod Method, string Route, string Tag, string Summary, string Description)
{
    public IReadOnlyList<ApiParameter> Parameters { get; init; } = [];
    public ApiBody? Body { get; init; }

    /// <summary>The operation also reads a <c>text/csv</c> body, described so.</summary>
    public string? CsvBody { get; init; }
    public IReadOnlyList<ApiAnswer> Answers { get; init; } = [];

    /// <summary>Behind the function key and <see cref="ApiGate"/>: it can answer 401 and 429. False: anonymous.</summary>
    public bool Gated { get; init; } = true;

    public string Path => "/" + ApiRoutes.Prefix + Route;
}

public sealed record ApiParameter(string Name, ParameterLocation In, string Description, OpenApiSchema Schema, bool Required = false);

/// <summary>A JSON request body: the contract type and the options the function reads it with.</summary>
public sealed record ApiBody(Type Type, JsonSerializerOptions ReadWith, string Description);

/// <summary>An answer: its status, and the contract it carries (written with <see cref="ApiDocument.ResponseJson"/>).</summary>
public sealed record ApiAnswer(int Status, string Description, Type? Body = null, bool Location = false);

/// <summary>
/// The HTTP API as an OpenAPI 3.1 document, served at <c>GET /api/openapi.json</c> and committed at
/// <c>docs/openapi.json</c>. <see cref="Operations"/> is the table of the API; the schemas are generated from the
/// contract types as System.Text.Json reads and writes them, so a new contract member needs no edit here.
/// The functions' tests check the table against the trigger attributes and the bodies against the readers.
/// </summary>
public static class ApiDocument
{
    public const string JsonMediaType = "application/json";
    public const string FunctionKeyScheme = "functionKey";
    public const string FunctionKeyQueryScheme = "functionKeyQuery";

    /// <summary>How the functions write their answers: ASP.NET Core's defaults, which <c>OkObjectResult</c> and the others use.</summary>
    public static JsonSerializerOptions ResponseJson { get; } = new MvcJsonOptions().JsonSerializerOptions;

    private const string Jobs = "jobs";
    private const string Concepts = "concepts";
    private const string Service = "service";

    private static readonly ApiParameter JobId = PathId("The job's id.");
    private static readonly ApiParameter ConceptId = PathId("The concept's id.");

    private static readonly ApiParameter Continuation = new(ApiRoutes.ContinuationParameter, ParameterLocation.Query,
        "Where the page starts: the continuation of the page before. Absent: the first page. A made-up one is refused (400).",
        new() { Type = JsonSchemaType.String });

    private static readonly ApiParameter PageSize = new(ApiRoutes.PageSizeParameter, ParameterLocation.Query, "How many items the page holds at most.",
        new()
        {
            Type = JsonSchemaType.Integer,
            Minimum = "1",
            Maximum = Invariant(JobList.MaxPageSize),
            Default = JobList.DefaultPageSize,
        });

    private static readonly ApiParameter IdempotencyKey = new(ApiRoutes.IdempotencyHeader, ParameterLocation.Header,
        "Makes the submission safe to retry: the same key with the same body returns the same job (repeated: true); with another body it is refused (409). Keys belong to their caller and do not expire.",
        new()
        {
            Type = JsonSchemaType.String,
            MinLength = 1,
            MaxLength = JobLimits.Default.MaxIdempotencyKeyLength,
            Pattern = "^[ -~]+$",
        });

    /// <summary>The options of a CSV posted as <c>text/csv</c>, as query parameters (the blob metadata keys of an uploaded CSV).</summary>
    private static readonly ApiParameter[] CsvOptions =
    [
        .. CsvJobMetadata.Options.Select(name => new ApiParameter(name, ParameterLocation.Query,
            "With a text/csv body only: " + name switch
            {
                CsvJobMetadata.WebhookUrl => "where the job's webhooks go.",
                CsvJobMetadata.Scheduler => "the job's scheduler.",
                _ => $"the {name} of rows that leave it empty.",
            },
            new() { Type = JsonSchemaType.String })),
    ];

    private static readonly string ImageTypes = string.Join(", ", ConceptLimits.Default.Extensions.Select(e => e.TrimStart('.')));

    public static IReadOnlyList<ApiOperation> Operations { get; } =
    [
        new(FunctionNames.SubmitJob, HttpMethod.Post, ApiRoutes.Jobs, Jobs, "Submit a job",
            "Queues one image task per prompt and seed. The job belongs to its caller; its status is at the Location.")
        {
            Parameters = [IdempotencyKey, .. CsvOptions],
            CsvBody = $"A prompt CSV, read as one uploaded to the jobs container: a header with {CsvColumns.Described}, one image per row, "
                + $"at most {JobLimits.Default.MaxCsvRows} rows and {JobLimits.Default.MaxCsvRequestBytes} bytes (413 past that). "
                + "Invalid rows are listed in the job's reason and the others run. The job's options are the query parameters.",
            Body = new(typeof(JobSubmission), JobSubmissionJson.Options,
                $"At most {JobLimits.Default.MaxRequestBytes} bytes, {JobLimits.Default.MaxPrompts} prompts and {JobLimits.Default.MaxImagesPerJob} images. "
                + $"Defaults: steps {GenerationDefaults.Steps}, guidance {Invariant(GenerationDefaults.Guidance)}, lambda {Invariant(GenerationDefaults.Lambda)}, "
                + $"scheduler {SchedulerNames.Of(GenerationDefaults.Scheduler)} (one of {SchedulerNames.Listed}, in any case). "
                + "Each prompt names the concept with the placeholder S once, and takes seeds or count (seeds 0 .. count - 1; neither: seed 0). "
                + "Field names are matched without case; a field the contract does not have is refused."),
            Answers =
            [
                new(202, "Accepted: the new job, or the earlier job of a repeated Idempotency-Key.", typeof(JobAccepted), Location: true),
                new(400, "The body or the Idempotency-Key breaks the rules: every problem, with the field it concerns.", typeof(ApiErrors)),
                new(409, "The Idempotency-Key was used before with another body.", typeof(ApiErrors)),
                new(413, "A text/csv body over the limit: upload the CSV to the jobs container instead.", typeof(ApiErrors)),
            ],
        },
        new(FunctionNames.ListJobs, HttpMethod.Get, ApiRoutes.Jobs, Jobs, "List the caller's jobs", "Newest first, a page at a time.")
        {
            Parameters = [Continuation, PageSize],
            Answers = [new(200, "A page of jobs.", typeof(JobListPage)), new(400, "Bad paging.", typeof(ApiErrors))],
        },
        new(FunctionNames.GetJob, HttpMethod.Get, ApiRoutes.Job, Jobs, "Read a job",
            "Its status, counts and problems, with the first page of its tasks; the next pages are at /api/jobs/{id}/tasks.")
        {
            Parameters = [JobId, PageSize],
            Answers =
            [
                new(200, "The job and its first page of tasks, with read links for that page's results.", typeof(JobView)),
                new(400, "A malformed id or page size.", typeof(ApiErrors)),
                new(404, "The caller has no such job.", typeof(ApiErrors)),
            ],
        },
        new(FunctionNames.GetJobTasks, HttpMethod.Get, ApiRoutes.JobTasks, Jobs, "Read a page of a job's tasks", "In task order, with read links for this page's results.")
        {
            Parameters = [JobId, Continuation, PageSize],
            Answers =
            [
                new(200, "A page of tasks.", typeof(TaskPage)),
                new(400, "A malformed id or bad paging.", typeof(ApiErrors)),
                new(404, "The caller has no such job.", typeof(ApiErrors)),
            ],
        },
        new(FunctionNames.CancelJob, HttpMethod.Post, ApiRoutes.JobCancel, Jobs, "Cancel a job",
            "Idempotent. No task of the job starts from now on; it ends Canceled once a batch in hand has finished.")
        {
            Parameters = [JobId],
            Answers =
            [
                new(202, "Canceling: the job as it is now.", typeof(JobSummary), Location: true),
                new(400, "A malformed id.", typeof(ApiErrors)),
                new(404, "The caller has no such job.", typeof(ApiErrors)),
                new(409, "The job has already ended.", typeof(ApiErrors)),
            ],
        },
        new(FunctionNames.RedeliverJobWebhook, HttpMethod.Post, ApiRoutes.JobWebhookRedeliver, Jobs, "Send a job's completion webhook again",
            "Whatever became of it before, with the same webhook-id and its attempts from the start.")
        {
            Parameters = [JobId],
            Answers =
            [
                new(202, "Queued for delivery.", Location: true),
                new(400, "A malformed id.", typeof(ApiErrors)),
                new(404, "The caller has no such job.", typeof(ApiErrors)),
                new(409, "The job has no completion webhook, or has not ended.", typeof(ApiErrors)),
            ],
        },
        new(FunctionNames.CreateConcept, HttpMethod.Post, ApiRoutes.Concepts, Concepts, "Create a concept",
            "A concept of the caller, with write-only upload links (PUT with x-ms-blob-type: BlockBlob) for its photo and, when asked for, its mask.")
        {
            Parameters =
            [
                new(ApiRoutes.PhotoTypeParameter, ParameterLocation.Query, $"The photo's file type: {ImageTypes}.", new() { Type = JsonSchemaType.String, Default = "png" }),
                new(ApiRoutes.MaskTypeParameter, ParameterLocation.Query, $"The mask's file type ({ImageTypes}); absent: no mask.", new() { Type = JsonSchemaType.String }),
                new(ApiRoutes.WebhookUrlParameter, ParameterLocation.Query,
                    "Where the concept's signed webhooks go: concept.ready, concept.rejected or concept.failed, once per version of its files.", new() { Type = JsonSchemaType.String, Format = "uri" }),
            ],
            Answers =
            [
                new(201, "Created: the concept and its upload links.", typeof(ConceptCreated), Location: true),
                new(400, "An unsupported file type, or a webhook URL that is refused.", typeof(ApiErrors)),
            ],
        },
        new(FunctionNames.GetConcept, HttpMethod.Get, ApiRoutes.Concept, Concepts, "Read a concept", "Pending, Ready, Rejected or Failed, with the reason.")
        {
            Parameters = [ConceptId],
            Answers =
            [
                new(200, "The concept.", typeof(ConceptView)),
                new(400, "A malformed id.", typeof(ApiErrors)),
                new(404, "No such concept of the caller's (or shared).", typeof(ApiErrors)),
            ],
        },
        new(FunctionNames.DeleteConcept, HttpMethod.Delete, ApiRoutes.Concept, Concepts, "Delete a concept",
            "Its photo, mask, embeddings and rows. Only the caller's own: an operator's shared concept is deleted in storage.")
        {
            Parameters = [ConceptId],
            Answers =
            [
                new(204, "Deleted."),
                new(400, "A malformed id.", typeof(ApiErrors)),
                new(404, "The caller has no such concept.", typeof(ApiErrors)),
                new(409, "Jobs that use it have not ended: cancel them or wait.", typeof(ApiErrors)),
            ],
        },
        new(FunctionNames.GetStatus, HttpMethod.Get, ApiRoutes.Status, Service, "Read the service's status",
            "The queues' approximate depths and the workers seen recently, with their pack, accelerator and batch size.")
        {
            Answers = [new(200, "The status.", typeof(ServiceStatus))],
        },
        new(FunctionNames.GetOpenApiDocument, HttpMethod.Get, ApiRoutes.OpenApiDocument, Service, "Read this document", "The API's OpenAPI 3.1 document; no key needed.")
        {
            Gated = false,
            Answers = [new(200, "This document.", typeof(JsonObject))],
        },
        new(FunctionNames.GetConsoleFile, HttpMethod.Get, ApiRoutes.ConsoleFile, Service, "Read a file of the web console",
            $"The web console's pages, styles and scripts, starting at /{ApiRoutes.Prefix}{ApiRoutes.ConsoleStart}; no key needed for the files, "
            + "while every API call the pages make carries the function key entered on the page.")
        {
            Gated = false,
            Parameters = [new("file", ParameterLocation.Path, "The file: index.html (concepts), jobs.html, results.html, or a style or script they load.", new() { Type = JsonSchemaType.String }, Required: true)],
            Answers =
            [
                new(200, "The file (HTML, CSS or JavaScript)."),
                new(404, "No such file.", typeof(ApiErrors)),
            ],
        },
    ];

    /// <summary>The document as served and committed: OpenAPI 3.1 JSON, with a final newline.</summary>
    public static string Json { get; } = Serialize(Build());

    public static OpenApiDocument Build()
    {
        var document = new OpenApiDocument
        {
            Info = new()
            {
                Title = "ELITE pipeline API",
                Version = typeof(ApiDocument).Assembly.GetName().Version!.ToString(3),
                Description = "Personalized text-to-image jobs (ELITE): concepts, jobs of image tasks, their results and the service's status. "
                    + "Every operation but this document's takes the function key (x-functions-key, or ?code=). Where the deployment sets up "
                    + "Microsoft Entra ID sign-in, the signed-in principal is the caller; otherwise a request with the key is the deployment's "
                    + "default caller. Jobs, their tasks, idempotency keys and API-created concepts belong to their caller: another caller gets 404.",
            },
            Paths = new OpenApiPaths(),
            Components = new()
            {
                Schemas = new SortedDictionary<string, IOpenApiSchema>(StringComparer.Ordinal),
                SecuritySchemes = new Dictionary<string, IOpenApiSecurityScheme>
                {
                    [FunctionKeyScheme] = new OpenApiSecurityScheme { Type = SecuritySchemeType.ApiKey, In = ParameterLocation.Header, Name = ApiRoutes.FunctionKeyHeader, Description = "The Function App's function key." },
                    [FunctionKeyQueryScheme] = new OpenApiSecurityScheme { Type = SecuritySchemeType.ApiKey, In = ParameterLocation.Query, Name = ApiRoutes.FunctionKeyParameter, Description = "The function key as a query parameter." },
                },
            },
            Tags = new HashSet<OpenApiTag>
            {
                new() { Name = Jobs, Description = "Jobs of image tasks: submitted, read a page at a time, canceled." },
                new() { Name = Concepts, Description = "Concepts: a photo (and optional mask) of the subject that prompts name as S." },
                new() { Name = Service, Description = "The service itself." },
            },
        };
        document.Security = [KeyRequirement(document, FunctionKeyScheme), KeyRequirement(document, FunctionKeyQueryScheme)];

        var schemas = new ContractSchemas(document);
        foreach (var operation in Operations)
        {
            if (!document.Paths.TryGetValue(operation.Path, out var item))
            {
                document.Paths[operation.Path] = item = new OpenApiPathItem();
            }

            ((OpenApiPathItem)item).AddOperation(operation.Method, Describe(operation, document, schemas));
        }

        return document;
    }

    public static string Serialize(OpenApiDocument document)
    {
        using var text = new StringWriter(CultureInfo.InvariantCulture) { NewLine = "\n" };
        document.SerializeAsV31(new OpenApiJsonWriter(text));
        return text.ToString().ReplaceLineEndings("\n") + "\n";
    }

    private static OpenApiOperation Describe(ApiOperation operation, OpenApiDocument document, ContractSchemas schemas)
    {
        var answers = operation.Gated
            ? operation.Answers.Concat(
            [
                new ApiAnswer(401, "No caller: the function key is missing or wrong (the Functions host answers, without a body), or no principal is signed in where the deployment requires one.", typeof(ApiErrors)),
                new ApiAnswer(429, "Past the caller's rate limit (per minute, writes and reads apart); retry after Retry-After seconds.", typeof(ApiErrors)),
            ])
            : operation.Answers;
        var described = new OpenApiOperation
        {
            OperationId = operation.Function,
            Summary = operation.Summary,
            Description = operation.Description,
            Tags = new HashSet<OpenApiTagReference> { new(operation.Tag, document) },
            Parameters = [.. operation.Parameters.Select(p => (IOpenApiParameter)new OpenApiParameter
            {
                Name = p.Name,
                In = p.In,
                Description = p.Description,
                Required = p.Required,
                Schema = p.Schema,
            })],
            Responses = new OpenApiResponses(),
        };
        if (operation.Body is { } body)
        {
            var content = new Dictionary<string, IOpenApiMediaType> { [JsonMediaType] = new OpenApiMediaType { Schema = schemas.Of(body.Type, body.ReadWith, reads: true) } };
            if (operation.CsvBody is { } csv)
            {
                content[JobFunctions.CsvMediaType] = new OpenApiMediaType { Schema = new OpenApiSchema { Type = JsonSchemaType.String, Description = csv } };
            }

            described.RequestBody = new OpenApiRequestBody { Required = true, Description = body.Description, Content = content };
        }

        if (!operation.Gated)
        {
            described.Security = [];
        }

        foreach (var answer in answers.OrderBy(a => a.Status))
        {
            var response = new OpenApiResponse { Description = answer.Description };
            if (answer.Body is not null)
            {
                response.Content = new Dictionary<string, IOpenApiMediaType> { [JsonMediaType] = new OpenApiMediaType { Schema = schemas.Of(answer.Body, ResponseJson, reads: false) } };
            }

            if (answer.Location)
            {
                response.Headers = new Dictionary<string, IOpenApiHeader> { ["Location"] = Header("The status URL of the job or concept, relative to the host.", JsonSchemaType.String) };
            }

            if (answer.Status == 429)
            {
                response.Headers = new Dictionary<string, IOpenApiHeader> { ["Retry-After"] = Header("Seconds to wait.", JsonSchemaType.Integer) };
            }

            described.Responses[answer.Status.ToString(CultureInfo.InvariantCulture)] = response;
        }

        return described;
    }

    private static ApiParameter PathId(string description) => new("id", ParameterLocation.Path, description,
        new() { Type = JsonSchemaType.String, Pattern = ResourceId.PatternText }, Required: true);

    private static OpenApiHeader Header(string description, JsonSchemaType type) => new() { Description = description, Schema = new OpenApiSchema { Type = type } };

    private static OpenApiSecurityRequirement KeyRequirement(OpenApiDocument document, string scheme) => new() { [new OpenApiSecuritySchemeReference(scheme, document)] = [] };

    private static string Invariant(IFormattable value) => value.ToString(null, CultureInfo.InvariantCulture);
}

/// <summary>
/// JSON Schemas of contract types, as System.Text.Json sees them with the given options: its property names, the
/// properties it reads or writes, nullability, string enums and number handling. Records and enums become components
/// named after their type. Only the shapes the contracts use are known: anything else throws, to be added here.
/// </summary>
internal sealed class ContractSchemas(OpenApiDocument document)
{
    // The patterns System.Text.Json's schema exporter gives numbers that may be read from strings.
    private const string IntegerText = @"^-?(?:0|[1-9]\d*)$";
    private const string NumberText = @"^-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?$";

    private readonly Dictionary<Type, bool> _generated = []; // the type, and whether its schema is the read one

    public IOpenApiSchema Of(Type type, JsonSerializerOptions options, bool reads)
    {
        // As the first (de)serialization would: the reflection resolver, and the options locked.
        if (!options.IsReadOnly) options.MakeReadOnly(populateMissingResolver: true);
        return Of(type, options, reads, options.NumberHandling);
    }

    private IOpenApiSchema Of(Type type, JsonSerializerOptions options, bool reads, JsonNumberHandling numbers)
    {
        if (type.IsEnum) return Component(type, reads, () => StringEnum(type));
        var info = options.GetTypeInfo(type);
        return info.Kind switch
        {
            // Items are never null in what the API writes, and a null item is refused in what it reads (JobValidator).
            JsonTypeInfoKind.Enumerable => new OpenApiSchema { Type = JsonSchemaType.Array, Items = Of(Nullable.GetUnderlyingType(info.ElementType!) ?? info.ElementType!, options, reads, numbers) },
            JsonTypeInfoKind.Object => Component(type, reads, () => Object(info, options, reads)),
            _ => Primitive(type, reads ? numbers.HasFlag(JsonNumberHandling.AllowReadingFromString) : numbers.HasFlag(JsonNumberHandling.WriteAsString)),
        };
    }

    private OpenApiSchema Object(JsonTypeInfo info, JsonSerializerOptions options, bool reads)
    {
        var schema = new OpenApiSchema
        {
            Type = JsonSchemaType.Object,
            Properties = new Dictionary<string, IOpenApiSchema>(),
            Required = new HashSet<string>(),
            // What it reads: the options refuse unknown members. What it writes: these members and no others.
            AdditionalPropertiesAllowed = reads && (info.UnmappedMemberHandling ?? options.UnmappedMemberHandling) == JsonUnmappedMemberHandling.Skip,
        };
        foreach (var property in info.Properties.Where(p => reads ? p.Set is not null : p.Get is not null))
        {
            var member = property.AttributeProvider as MemberInfo;
            // A [Required] member of a request is one JobValidator requires: present and not null.
            var requiredInRequest = property.IsRequired || member?.GetCustomAttribute<RequiredAttribute>() is not null;
            var required = reads ? requiredInRequest : property.ShouldSerialize is null && options.DefaultIgnoreCondition == JsonIgnoreCondition.Never;
            var nullable = reads
                ? !requiredInRequest && CanBeNull(property.PropertyType) && (!options.RespectNullableAnnotations || property.IsSetNullable)
                : CanBeNull(property.PropertyType) && property.IsGetNullable;
            var type = Nullable.GetUnderlyingType(property.PropertyType) ?? property.PropertyType;
            if (type.IsEnum && !WritesNames(property, options))
            {
                throw new NotSupportedException($"{info.Type.Name}.{member?.Name}: give the enum a JsonStringEnumConverter, so the API says its names");
            }

            var valueSchema = Of(type, options, reads, property.NumberHandling ?? info.NumberHandling ?? options.NumberHandling);
            schema.Properties[property.Name] = nullable ? OrNull(valueSchema) : valueSchema;
            if (required) schema.Required.Add(property.Name);
        }

        return schema;
    }

    private IOpenApiSchema Component(Type type, bool reads, Func<OpenApiSchema> build)
    {
        if (_generated.TryGetValue(type, out var readSchema))
        {
            if (readSchema != reads) throw new NotSupportedException($"{type.Name} is both read and written: its two schemas would share one name");
        }
        else
        {
            if (document.Components!.Schemas!.ContainsKey(type.Name)) throw new NotSupportedException($"two contract types are named {type.Name}");
            _generated[type] = reads;
            document.Components.Schemas[type.Name] = build();
        }

        return new OpenApiSchemaReference(type.Name, document);
    }

    private static OpenApiSchema StringEnum(Type type) => new()
    {
        Type = JsonSchemaType.String,
        Enum = [.. type.GetFields(BindingFlags.Public | BindingFlags.Static)
            .Select(f => (JsonNode)JsonValue.Create(f.GetCustomAttribute<JsonStringEnumMemberNameAttribute>()?.Name ?? f.Name))],
    };

    private static OpenApiSchema Primitive(Type type, bool numberAsString)
    {
        (JsonSchemaType Kind, string? Format) json = Type.GetTypeCode(type) switch
        {
            TypeCode.String => (JsonSchemaType.String, null),
            TypeCode.Boolean => (JsonSchemaType.Boolean, null),
            TypeCode.Int32 => (JsonSchemaType.Integer, "int32"),
            TypeCode.Int64 => (JsonSchemaType.Integer, "int64"),
            TypeCode.Single => (JsonSchemaType.Number, "float"),
            TypeCode.Double => (JsonSchemaType.Number, "double"),
            _ when type == typeof(DateTimeOffset) => (JsonSchemaType.String, "date-time"),
            _ when type == typeof(JsonObject) => (JsonSchemaType.Object, null),
            _ => throw new NotSupportedException($"no JSON Schema for {type}: add it to {nameof(ContractSchemas)}"),
        };
        var (kind, format) = json;
        var number = kind is JsonSchemaType.Integer or JsonSchemaType.Number;
        return new()
        {
            Type = number && numberAsString ? kind | JsonSchemaType.String : kind,
            Format = format,
            Pattern = number && numberAsString ? (kind == JsonSchemaType.Integer ? IntegerText : NumberText) : null,
        };
    }

    private static IOpenApiSchema OrNull(IOpenApiSchema schema) => schema is OpenApiSchema { Type: { } type } inline
        ? WithType(inline, type | JsonSchemaType.Null)
        : new OpenApiSchema { AnyOf = [schema, new OpenApiSchema { Type = JsonSchemaType.Null }] };

    private static OpenApiSchema WithType(OpenApiSchema schema, JsonSchemaType type)
    {
        var copy = (OpenApiSchema)schema.CreateShallowCopy();
        copy.Type = type;
        return copy;
    }

    private static bool CanBeNull(Type type) => !type.IsValueType || Nullable.GetUnderlyingType(type) is not null;

    /// <summary>Whether the enum property is written by name: a JsonStringEnumConverter on it, on its type, or in the options.</summary>
    private static bool WritesNames(JsonPropertyInfo property, JsonSerializerOptions options)
    {
        static bool IsStringEnum(object? converter) =>
            converter is JsonStringEnumConverter
            || converter?.GetType() is { IsGenericType: true } generic && generic.GetGenericTypeDefinition() == typeof(JsonStringEnumConverter<>);
        var enumType = Nullable.GetUnderlyingType(property.PropertyType) ?? property.PropertyType;
        static bool Declares(ICustomAttributeProvider? on) =>
            on?.GetCustomAttributes(typeof(JsonConverterAttribute), true).OfType<JsonConverterAttribute>().FirstOrDefault() is { ConverterType: { } declared }
            && IsStringEnum(Activator.CreateInstance(declared));
        return IsStringEnum(property.CustomConverter)
            || Declares(property.AttributeProvider) // a nullable enum's converter is wrapped: read it from the attribute
            || Declares(enumType)
            || options.Converters.Any(IsStringEnum);
    }
}
