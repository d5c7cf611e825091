using Elite.Core.Storage;
using System.Text.Json.Nodes;
using Elite.Core.Configuration;
using Elite.Infra.Tests.Arm;

namespace Elite.Infra.Tests;

/// <summary>Event Grid feeds the blob triggers; each identity holds only the roles its app needs; the outputs azd and the README use exist.</summary>
[Collection(CompiledInfraCollection.Name)]
public sealed class AccessTemplateTests(CompiledInfra infra)
{
    private static readonly JsonObject RoleIds = JsonNode.Parse(File.ReadAllText(Path.Combine(Repository.Infra, "modules", "role-ids.json")))!.AsObject();

    private static string Role(string name) => (string)RoleIds[name]!;

    [Fact]
    public void Event_grid_delivers_blob_created_events_to_each_blob_trigger()
    {
        var template = infra.Evaluate();
        var topic = Assert.Single(template.OfType("Microsoft.EventGrid/systemTopics"));
        Assert.Equal("Microsoft.Storage.StorageAccounts", (string?)topic.Properties!["topicType"]);
        var subscriptions = template.OfType("Microsoft.EventGrid/systemTopics/eventSubscriptions").ToList();
        Assert.Equal(BlobTriggerFunctions.All.Count, subscriptions.Count);
        foreach (var trigger in BlobTriggerFunctions.All)
        {
            var subscription = Assert.Single(subscriptions, s =>
                ((string)s.Properties!["destination"]!["properties"]!["endpointUrl"]!).Contains($"functionName=Host.Functions.{trigger.FunctionName}&", StringComparison.Ordinal));
            var endpoint = (string)subscription.Properties!["destination"]!["properties"]!["endpointUrl"]!;
            Assert.StartsWith("https://", endpoint, StringComparison.Ordinal);
            Assert.Contains("/runtime/webhooks/blobs?", endpoint, StringComparison.Ordinal);
            var filter = subscription.Properties["filter"]!;
            Assert.Equal(["Microsoft.Storage.BlobCreated"], filter["includedEventTypes"]!.AsArray().Select(t => (string)t!));
            Assert.Equal($"/blobServices/default/containers/{trigger.Container}/", (string?)filter["subjectBeginsWith"]);
            Assert.Equal(trigger.NameSuffix, (string?)filter["subjectEndsWith"]);

            // An event given up on is kept (Event Grid drops it otherwise), written with the topic's own identity.
            var deadLetter = subscription.Properties["deadLetterWithResourceIdentity"]!;
            Assert.Equal("SystemAssigned", (string?)deadLetter["identity"]!["type"]);
            Assert.Equal(StorageNames.Containers.EventDeadLetters, (string?)deadLetter["deadLetterDestination"]!["properties"]!["blobContainerName"]);
        }

        Assert.Equal("SystemAssigned", (string?)topic.Body["identity"]!["type"]);

        Assert.Contains(BlobTriggerFunctions.All, t => t.Container == "concepts");
        Assert.Contains(BlobTriggerFunctions.All, t => t.Container == "jobs" && t.NameSuffix == ".csv");
    }

    [Fact]
    public void Until_the_code_runs_no_event_subscription_is_deployed()
    {
        var template = infra.Evaluate(new Dictionary<string, JsonNode?> { ["enableBlobEventSubscriptions"] = false });
        Assert.Empty(template.OfType("Microsoft.EventGrid/systemTopics/eventSubscriptions"));
        Assert.Single(template.OfType("Microsoft.EventGrid/systemTopics"));
    }

    [Fact]
    public void Each_identity_gets_only_its_apps_roles_on_the_narrowest_scope()
    {
        var assignments = infra.Evaluate().OfType("Microsoft.Authorization/roleAssignments")
            .Select(r => (Module: r.Deployment, Role: ((string)r.Properties!["roleDefinitionId"]!).Split('/')[^1]))
            .ToList();
        List<string> RolesIn(string module) => assignments.Where(a => a.Module == module).Select(a => a.Role).Order().ToList();

        // The data account: blob, queue and table data contributor, for each of the two apps.
        string[] data = [Role("storageBlobDataContributor"), Role("storageQueueDataContributor"), Role("storageTableDataContributor")];
        Assert.Equal(data.Concat(data).Order(), RolesIn("data-storage"));
        // The host account: the Functions host's storage; the worker only reads the model container.
        Assert.Equal(new[] { Role("storageBlobDataOwner"), Role("storageQueueDataContributor"), Role("storageTableDataContributor"), Role("storageBlobDataReader") }.Order(),
            RolesIn("host-storage"));
        Assert.Equal([Role("keyVaultSecretsUser")], RolesIn("key-vault"));
        Assert.Equal([Role("acrPull")], RolesIn("registry"));
        Assert.Equal([Role("monitoringMetricsPublisher"), Role("monitoringMetricsPublisher")], RolesIn("monitoring"));
        Assert.DoesNotContain(assignments, a => a.Module.Length == 0); // nothing at subscription scope

        // The narrow ones: the worker reads the model container only; the functions read the one secret only.
        var all = infra.Evaluate().OfType("Microsoft.Authorization/roleAssignments").ToList();
        Assert.Equal("models", ScopeLeaf(Assert.Single(all, r => ((string)r.Properties!["roleDefinitionId"]!).EndsWith(Role("storageBlobDataReader"), StringComparison.Ordinal))));
        Assert.Equal("webhook-signing-secret", ScopeLeaf(Assert.Single(all, r => ((string)r.Properties!["roleDefinitionId"]!).EndsWith(Role("keyVaultSecretsUser"), StringComparison.Ordinal))));
        Assert.All(all, r => Assert.Equal("ServicePrincipal", (string?)r.Properties!["principalType"]));
    }

    [Fact]
    public void The_deploying_user_may_upload_model_packs_concepts_and_jobs_read_results_and_the_webhook_secret()
    {
        const string user = "00000000-0000-0000-0000-000000000001";
        var template = infra.Evaluate(new Dictionary<string, JsonNode?> { ["principalId"] = user });
        var mine = template.OfType("Microsoft.Authorization/roleAssignments")
            .Where(r => (string?)r.Properties!["principalId"] == user)
            .Select(r => (Role: ((string)r.Properties!["roleDefinitionId"]!).Split('/')[^1], Scope: ScopeLeaf(r)))
            .OrderBy(a => a.Scope, StringComparer.Ordinal)
            .ToList();
        Assert.Equal(
            [
                (Role("storageBlobDataContributor"), "concepts"),
                (Role("storageBlobDataContributor"), "jobs"),
                (Role("storageBlobDataContributor"), "models"),
                (Role("storageBlobDataReader"), "results"),
                (Role("keyVaultSecretsUser"), "webhook-signing-secret"),
            ],
            mine);
        Assert.All(template.OfType("Microsoft.Authorization/roleAssignments").Where(r => (string?)r.Properties!["principalId"] == user),
            r => Assert.Null(r.Properties!["principalType"])); // a user or a service principal, whichever azd runs as
    }

    /// <summary>The last name in a role assignment's scope: the container, secret, ... it applies to.</summary>
    private static string ScopeLeaf(ArmResource assignment) => ((string?)assignment.Body["scope"])?.Split('/')[^1] ?? "";

    [Fact]
    public void The_key_vault_uses_rbac_and_holds_the_signing_secret()
    {
        var template = infra.Evaluate();
        var vault = Assert.Single(template.OfType("Microsoft.KeyVault/vaults"));
        Assert.True((bool)vault.Properties!["enableRbacAuthorization"]!);
        var secret = Assert.Single(template.OfType("Microsoft.KeyVault/vaults/secrets"));
        Assert.Equal("webhook-signing-secret", secret.LeafName);
        Assert.True(ArmExpression.IsUnknown(secret.Properties!["value"]), "the secret's value comes from a secure parameter");
    }

    [Fact]
    public void The_outputs_name_the_api_the_storage_account_and_the_worker()
    {
        var outputs = infra.MainTemplate["outputs"]!.AsObject();
        foreach (var name in new[]
                 {
                     "API_BASE_URL", "AZURE_STORAGE_ACCOUNT_NAME", "WORKER_CONTAINER_APP_NAME", "FUNCTION_APP_NAME",
                     "FUNCTION_APP_HOSTNAME", "MODEL_STORAGE_ACCOUNT_NAME", "MODEL_CONTAINER_NAME", "MODEL_PACK",
                     "AZURE_CONTAINER_REGISTRY_ENDPOINT", "AZURE_KEY_VAULT_NAME", "AZURE_RESOURCE_GROUP",
                 })
        {
            Assert.True(outputs.ContainsKey(name), $"no output {name}");
            Assert.Equal("string", (string?)outputs[name]!["type"]);
        }

        var apiBase = ArmExpression.EvaluateValue(outputs["API_BASE_URL"]!["value"], infra.Evaluate().Scope);
        Assert.Matches("^https://.+/api$", (string?)apiBase);
    }
}
