using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Nodes;
using Elite.Core.Api;
using Elite.Core.Configuration;
using Elite.Core.Storage;

namespace Elite.Infra.Tests;

/// <summary>
/// infra/core-names.json carries core's storage names and blob-triggered functions into the Bicep
/// (<c>loadJsonContent</c>), so that no name is typed a second time. It is generated here from core; when
/// core changes, this test rewrites the file and fails until the new file is committed.
/// </summary>
public sealed class CoreNamesFileTests
{
    public static string FilePath => Path.Combine(Repository.Infra, "core-names.json");

    public static string Generate()
    {
        var names = new JsonObject
        {
            ["comment"] = "Generated from core/Elite.Core (StorageNames, BlobTriggerFunctions, BrowserUploads) by tests/Elite.Infra.Tests; do not edit by hand.",
            ["containers"] = new JsonArray(StorageNames.Containers.All.Select(n => (JsonNode?)n).ToArray()),
            ["queues"] = new JsonArray(StorageNames.Queues.All.Select(n => (JsonNode?)n).ToArray()),
            ["tables"] = new JsonArray(StorageNames.Tables.All.Select(n => (JsonNode?)n).ToArray()),
            ["workerQueues"] = new JsonObject
            {
                ["encode"] = StorageNames.Queues.Encode,
                ["generate"] = StorageNames.Queues.Generate,
                ["generateBulk"] = StorageNames.Queues.GenerateBulk,
            },
            ["userUploadContainers"] = new JsonArray(StorageNames.Containers.Concepts, StorageNames.Containers.Jobs),
            ["resultsContainer"] = StorageNames.Containers.Results,
            ["deadLetterContainer"] = StorageNames.Containers.EventDeadLetters,
            ["openApiDocumentPath"] = "/" + ApiRoutes.Prefix + ApiRoutes.OpenApiDocument,
            ["browserUploadCors"] = new JsonObject
            {
                ["allowedOrigins"] = new JsonArray(BrowserUploads.AllowedOrigins.Select(o => (JsonNode?)o).ToArray()),
                ["allowedMethods"] = new JsonArray(BrowserUploads.AllowedMethods.Select(m => (JsonNode?)m).ToArray()),
                ["allowedHeaders"] = new JsonArray(BrowserUploads.AllowedHeaders.Select(h => (JsonNode?)h).ToArray()),
                ["exposedHeaders"] = new JsonArray(),
                ["maxAgeInSeconds"] = BrowserUploads.MaxAgeSeconds,
            },
            ["blobTriggers"] = new JsonArray(BlobTriggerFunctions.All.Select(t => (JsonNode?)new JsonObject
            {
                ["functionName"] = t.FunctionName,
                ["container"] = t.Container,
                ["nameSuffix"] = t.NameSuffix,
            }).ToArray()),
        };
        var options = new JsonSerializerOptions { WriteIndented = true, Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };
        return names.ToJsonString(options) + "\n";
    }

    [Fact]
    public void The_names_file_matches_core()
    {
        var expected = Generate();
        var actual = File.Exists(FilePath) ? File.ReadAllText(FilePath).ReplaceLineEndings("\n") : "";
        if (actual != expected)
        {
            File.WriteAllText(FilePath, expected);
            Assert.Fail($"{FilePath} was out of date with core/Elite.Core and has been regenerated: review and commit it.");
        }
    }
}
