using System.Text.Json.Nodes;
using Elite.Core.Configuration;
using Elite.Infra.Tests.Arm;

namespace Elite.Infra.Tests;

/// <summary>The apps get exactly the settings that core's AppSettings says they read, with identity-based values.</summary>
[Collection(CompiledInfraCollection.Name)]
public sealed class AppSettingsTemplateTests(CompiledInfra infra)
{
    private ArmResource FunctionApp() => Assert.Single(infra.Evaluate().OfType("Microsoft.Web/sites"));

    private ArmResource WorkerApp() => Assert.Single(infra.Evaluate().OfType("Microsoft.App/containerApps"));

    private static Dictionary<string, JsonNode?> Settings(JsonNode? list) =>
        list!.AsArray().ToDictionary(s => (string)s!["name"]!, s => s!["value"], StringComparer.Ordinal);

    private Dictionary<string, JsonNode?> FunctionSettings() => Settings(FunctionApp().Properties!["siteConfig"]!["appSettings"]);

    private JsonObject WorkerContainer() =>
        Assert.Single(WorkerApp().Properties!["template"]!["containers"]!.AsArray(), c => (string?)c!["name"] == "worker")!.AsObject();

    [Fact]
    public void The_function_app_sets_exactly_the_keys_the_functions_read()
    {
        var expected = AppSettings.FunctionsAppKeys.Except(AppSettings.FlexConsumptionPlatformKeys);
        Assert.Equal(expected.Order(StringComparer.Ordinal), FunctionSettings().Keys.Order(StringComparer.Ordinal));
    }

    [Fact]
    public void Flex_consumption_runs_dotnet_isolated_10_which_sets_FUNCTIONS_WORKER_RUNTIME()
    {
        Assert.Equal([AppSettings.FunctionsWorkerRuntime], AppSettings.FlexConsumptionPlatformKeys);
        var app = FunctionApp();
        Assert.Equal("functionapp,linux", (string?)app.Body["kind"]);
        var runtime = app.Properties!["functionAppConfig"]!["runtime"]!;
        Assert.Equal(AppSettings.DotnetIsolatedRuntime, (string?)runtime["name"]);
        Assert.Equal("10.0", (string?)runtime["version"]);
        var plan = Assert.Single(infra.Evaluate().OfType("Microsoft.Web/serverfarms"));
        Assert.Equal("FC1", (string?)plan.Body["sku"]!["name"]);
        Assert.Equal("FlexConsumption", (string?)plan.Body["sku"]!["tier"]);
    }

    [Fact]
    public void The_functions_connect_to_storage_with_their_identity()
    {
        var settings = FunctionSettings();
        Assert.Equal(AppSettings.ManagedIdentityCredential, (string?)settings[AppSettings.HostStorageCredential]);
        Assert.Equal(AppSettings.ManagedIdentityCredential, (string?)settings[AppSettings.EliteStorageCredential]);
        Assert.StartsWith("stdata", (string?)settings[AppSettings.EliteStorageAccountName], StringComparison.Ordinal);
        Assert.StartsWith("sthost", (string?)settings[AppSettings.HostStorageAccountName], StringComparison.Ordinal);
        var identity = FunctionApp().Body["identity"]!;
        Assert.Equal("UserAssigned", (string?)identity["type"]);
        Assert.Equal("UserAssignedIdentity", (string?)FunctionApp().Properties!["functionAppConfig"]!["deployment"]!["storage"]!["authentication"]!["type"]);
    }

    [Fact]
    public void The_signing_secret_is_a_key_vault_reference_and_private_addresses_are_refused()
    {
        var settings = FunctionSettings();
        Assert.StartsWith("@Microsoft.KeyVault(SecretUri=", (string?)settings[AppSettings.WebhookSigningSecret], StringComparison.Ordinal);
        Assert.Equal("false", (string?)settings[AppSettings.WebhookAllowPrivateAddresses]);
        Assert.NotNull(FunctionApp().Properties!["keyVaultReferenceIdentity"]);
    }

    [Fact]
    public void Callers_sign_in_with_entra_id_when_a_client_id_is_given_and_key_callers_are_the_default_caller_unless_refused()
    {
        Assert.Empty(infra.Evaluate().OfType("Microsoft.Web/sites/config"));
        Assert.Equal("function-key", (string?)FunctionSettings()[AppSettings.DefaultCaller]);

        const string clientId = "00000000-0000-0000-0000-00000000e11e";
        foreach (var allowKeys in new[] { true, false })
        {
            var deployment = infra.Evaluate(new Dictionary<string, JsonNode?> { ["apiEntraClientId"] = clientId, ["allowFunctionKeyCallers"] = allowKeys });
            var auth = Assert.Single(deployment.OfType("Microsoft.Web/sites/config"));
            Assert.Equal("authsettingsV2", auth.LeafName);
            var validation = auth.Properties!["globalValidation"]!;
            Assert.Equal((!allowKeys, allowKeys ? "AllowAnonymous" : "Return401"), ((bool)validation["requireAuthentication"]!, (string?)validation["unauthenticatedClientAction"]));
            Assert.Equal("/api/openapi.json", (string?)Assert.Single(validation["excludedPaths"]!.AsArray())); // readable before signing in
            var entra = auth.Properties!["identityProviders"]!["azureActiveDirectory"]!;
            Assert.Equal(clientId, (string?)entra["registration"]!["clientId"]);
            Assert.Equal($"api://{clientId}", (string?)entra["validation"]!["allowedAudiences"]![0]);
            var site = Assert.Single(deployment.OfType("Microsoft.Web/sites"));
            Assert.Equal(allowKeys ? "function-key" : "", (string?)Settings(site.Properties!["siteConfig"]!["appSettings"])[AppSettings.DefaultCaller]);
        }
    }

    [Fact]
    public void Results_expire_by_one_lifecycle_rule_and_the_functions_are_told_the_same_number_of_days()
    {
        var deployment = infra.Evaluate(new Dictionary<string, JsonNode?> { ["resultRetentionDays"] = 12 });
        var rule = Assert.Single(Assert.Single(deployment.OfType("Microsoft.Storage/storageAccounts/managementPolicies")).Properties!["policy"]!["rules"]!.AsArray())!;
        Assert.Equal("results/", (string?)Assert.Single(rule["definition"]!["filters"]!["prefixMatch"]!.AsArray()));
        Assert.Equal(12, (int)rule["definition"]!["actions"]!["baseBlob"]!["delete"]!["daysAfterCreationGreaterThan"]!);
        var site = Assert.Single(deployment.OfType("Microsoft.Web/sites"));
        Assert.Equal("12", (string?)Settings(site.Properties!["siteConfig"]!["appSettings"])[AppSettings.ResultRetentionDays]);
        Assert.Equal("30", (string?)FunctionSettings()[AppSettings.ResultRetentionDays]);
    }

    [Fact]
    public void Telemetry_goes_to_application_insights_with_entra_authentication()
    {
        foreach (var settings in new[] { FunctionSettings(), Settings(WorkerContainer()["env"]) })
        {
            Assert.Matches("^Authorization=AAD;ClientId=.+$", (string?)settings[AppSettings.AppInsightsAuthenticationString]);
            Assert.True(settings.ContainsKey(AppSettings.AppInsightsConnectionString));
        }

        var component = Assert.Single(infra.Evaluate().OfType("Microsoft.Insights/components"));
        Assert.True((bool)component.Properties!["DisableLocalAuth"]!);
    }

    [Fact]
    public void The_worker_container_sets_exactly_the_keys_the_worker_reads()
    {
        var env = Settings(WorkerContainer()["env"]);
        Assert.Equal(AppSettings.WorkerKeys.Order(StringComparer.Ordinal), env.Keys.Order(StringComparer.Ordinal));
        Assert.Equal(AppSettings.WorkerKeys.Count, AppSettings.WorkerKeys.Distinct().Count());
    }

    [Fact]
    public void The_worker_reads_its_pack_and_assets_from_the_downloaded_folder()
    {
        var env = Settings(WorkerContainer()["env"]);
        Assert.Equal("/models/pack", (string?)env[AppSettings.WorkerPackDirectory]);
        Assert.Equal("/models/assets/bpe_simple_vocab_16e6.txt", (string?)env[AppSettings.WorkerVocabularyPath]);
        Assert.Equal("/models/assets/u2netp.onnx", (string?)env[AppSettings.WorkerMaskModelPath]);
        Assert.Equal("4", (string?)env[AppSettings.WorkerMaxBatch]);
        Assert.Equal("true", (string?)env[AppSettings.WorkerUseCuda]);
        Assert.Equal(AppSettings.ManagedIdentityCredential, (string?)env[AppSettings.EliteStorageCredential]);
        Assert.All(env.Values, v => Assert.IsAssignableFrom<JsonValue>(v));
    }

    [Fact]
    public void Worker_option_keys_are_one_per_option_in_the_worker_section()
    {
        Assert.All(AppSettings.WorkerOptionsKeys, k => Assert.StartsWith(WorkerOptions.SectionName + AppSettings.SectionSeparator, k, StringComparison.Ordinal));
        Assert.Equal(14, AppSettings.WorkerOptionsKeys.Distinct().Count());
        Assert.Equal(["EliteStorage__accountName", "EliteStorage__credential", "EliteStorage__clientId"],
            [AppSettings.EliteStorageAccountName, AppSettings.EliteStorageCredential, AppSettings.EliteStorageClientId]);
    }

    [Fact]
    public void Azd_finds_both_apps_by_their_service_tags()
    {
        Assert.Equal("api", (string?)FunctionApp().Body["tags"]!["azd-service-name"]);
        Assert.Equal("worker", (string?)WorkerApp().Body["tags"]!["azd-service-name"]);
    }
}
