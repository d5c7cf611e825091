using System.Text.Json.Nodes;
using System.Text.RegularExpressions;

namespace Elite.Infra.Tests;

/// <summary>main.parameters.json and azure.yaml agree with the template and the repository.</summary>
[Collection(CompiledInfraCollection.Name)]
public sealed partial class DeploymentFilesTests(CompiledInfra infra)
{
    private static readonly JsonObject ParametersFile =
        JsonNode.Parse(File.ReadAllText(Path.Combine(Repository.Infra, "main.parameters.json")))!["parameters"]!.AsObject();

    private static readonly string[] AzureYaml = File.ReadAllLines(Path.Combine(Repository.Root, "azure.yaml"));

    /// <summary>azd's substitution in parameter files: ${VAR} or ${VAR=default}.</summary>
    [GeneratedRegex(@"^\$\{(?<name>[A-Z0-9_]+)(=(?<default>[^}]*))?\}$")]
    private static partial Regex AzdVariable();

    [Fact]
    public void Every_parameter_in_the_file_exists_and_every_required_one_is_given()
    {
        var declared = infra.MainTemplate["parameters"]!.AsObject();
        foreach (var (name, _) in ParametersFile) Assert.True(declared.ContainsKey(name), $"main.bicep has no parameter {name}");
        foreach (var (name, definition) in declared)
        {
            if (definition!["defaultValue"] is null) Assert.True(ParametersFile.ContainsKey(name), $"{name} is required but not in main.parameters.json");
        }
    }

    [Fact]
    public void The_small_default_deployment_satisfies_the_parameter_constraints()
    {
        var declared = infra.MainTemplate["parameters"]!.AsObject();
        foreach (var (name, wrapper) in ParametersFile)
        {
            var definition = declared[name]!;
            var value = wrapper!["value"]!;
            if (value is JsonValue v && v.TryGetValue<string>(out var text) && AzdVariable().Match(text) is { Success: true } azd)
            {
                if (!azd.Groups["default"].Success) continue; // set by azd itself (AZURE_ENV_NAME, AZURE_LOCATION, ...)
                value = (string)definition["type"]! switch
                {
                    "bool" => JsonValue.Create(bool.Parse(azd.Groups["default"].Value)),
                    "int" => JsonValue.Create(int.Parse(azd.Groups["default"].Value, System.Globalization.CultureInfo.InvariantCulture)),
                    _ => JsonValue.Create(azd.Groups["default"].Value),
                };
            }
            else if (value is JsonValue s && s.TryGetValue<string>(out var function) && function.StartsWith("$(", StringComparison.Ordinal))
            {
                continue; // an azd function, e.g. $(secretOrRandomPassword ...)
            }

            if (definition["allowedValues"] is JsonArray allowed) Assert.Contains(allowed, a => JsonNode.DeepEquals(a, value));
            if (definition["minValue"] is { } min) Assert.True((int)value! >= (int)min, $"{name} = {value} < {min}");
            if (definition["maxValue"] is { } max) Assert.True((int)value! <= (int)max, $"{name} = {value} > {max}");
            if ((string?)definition["type"] == "int") Assert.True(value is JsonValue n && ArmHelpers.IsInteger(n), $"{name} is not an integer: {value}");
        }

        Assert.Equal(1, (int)ParametersFile["workerMaxReplicas"]!["value"]!);
    }

    [Fact]
    public void The_signing_secret_is_generated_once_and_kept_in_key_vault()
    {
        Assert.Equal("$(secretOrRandomPassword ${AZURE_KEY_VAULT_NAME} webhook-signing-secret)", (string?)ParametersFile["webhookSigningSecret"]!["value"]);
        Assert.True(infra.MainTemplate["outputs"]!.AsObject().ContainsKey("AZURE_KEY_VAULT_NAME"));
        var secret = Assert.Single(infra.Evaluate().OfType("Microsoft.KeyVault/vaults/secrets"));
        Assert.Equal("webhook-signing-secret", secret.LeafName);
    }

    [Fact]
    public void The_worker_image_parameter_follows_the_azd_service_name()
    {
        Assert.Equal("${SERVICE_WORKER_IMAGE_NAME=}", (string?)ParametersFile["workerImage"]!["value"]);
        Assert.Contains("  worker:", AzureYaml);
    }

    [Fact]
    public void Azure_yaml_deploys_the_function_app_and_the_worker_image_built_from_the_dockerfile()
    {
        string Value(string key, int after) =>
            AzureYaml.Skip(after).Select(l => l.Trim()).First(l => l.StartsWith(key + ":", StringComparison.Ordinal))[(key.Length + 1)..].Trim();

        Assert.Equal("bicep", Value("provider", 0));
        Assert.Equal("infra", Value("path", 0));
        Assert.Equal("main", Value("module", 0));

        var api = Array.IndexOf(AzureYaml, "  api:");
        Assert.True(api > 0, "service api");
        Assert.Equal("./functions/Elite.Functions", Value("project", api));
        Assert.Equal("function", Value("host", api));

        var worker = Array.IndexOf(AzureYaml, "  worker:");
        Assert.True(worker > 0, "service worker");
        var project = Value("project", worker);
        Assert.Equal("./gpu-worker/Elite.Worker", project);
        Assert.Equal("containerapp", Value("host", worker));
        Assert.Equal("true", Value("remoteBuild", worker));
        // docker paths are relative to the service's project folder.
        var projectDir = Path.GetFullPath(Path.Combine(Repository.Root, project));
        Assert.Equal(Path.Combine(Repository.Root, "gpu-worker", "Dockerfile"), Path.GetFullPath(Path.Combine(projectDir, Value("path", worker))));
        Assert.Equal(Repository.Root.TrimEnd(Path.DirectorySeparatorChar), Path.GetFullPath(Path.Combine(projectDir, Value("context", worker))).TrimEnd(Path.DirectorySeparatorChar));
    }

    [Fact]
    public void The_hooks_exist_and_use_only_outputs_the_template_has()
    {
        var outputs = infra.MainTemplate["outputs"]!.AsObject();
        foreach (var run in AzureYaml.Select(l => l.Trim()).Where(l => l.StartsWith("run: infra/", StringComparison.Ordinal)))
        {
            var script = Path.Combine(Repository.Root, run["run: ".Length..]);
            Assert.True(File.Exists(script), $"{script} is missing");
            foreach (Match used in Regex.Matches(File.ReadAllText(script), @"(?<=\$(env:|\{)?)(FUNCTION_APP_\w+|AZURE_\w+|API_\w+|MODEL_\w+|WORKER_\w+)"))
            {
                Assert.True(outputs.ContainsKey(used.Value), $"{script} uses {used.Value}, which main.bicep does not output");
            }
        }

        var posix = new FileInfo(Path.Combine(Repository.Infra, "hooks", "postdeploy.sh"));
        Assert.True((posix.UnixFileMode & UnixFileMode.UserExecute) != 0, "postdeploy.sh is executable");
        var check = System.Diagnostics.Process.Start("sh", ["-n", posix.FullName])!;
        check.WaitForExit();
        Assert.Equal(0, check.ExitCode);
    }

    [Fact]
    public void The_event_subscription_switch_is_the_one_the_hooks_flip()
    {
        Assert.Equal("${ELITE_BLOB_EVENTS=false}", (string?)ParametersFile["enableBlobEventSubscriptions"]!["value"]);
        Assert.Contains("azd env set ELITE_BLOB_EVENTS true", File.ReadAllText(Path.Combine(Repository.Infra, "hooks", "postdeploy.sh")), StringComparison.Ordinal);
        Assert.Contains("azd env set ELITE_BLOB_EVENTS true", File.ReadAllText(Path.Combine(Repository.Infra, "hooks", "postdeploy.ps1")), StringComparison.Ordinal);
        Assert.Contains(AzureYaml, l => l.Trim() == "run: azd env set ELITE_BLOB_EVENTS false");
    }
}

internal static class ArmHelpers
{
    public static bool IsInteger(JsonValue value) => value.TryGetValue<int>(out _) || value.TryGetValue<long>(out _);
}
