using System.Text.Json.Nodes;
using Elite.Core.Storage;
using Elite.Infra.Tests.Arm;

namespace Elite.Infra.Tests;

/// <summary>The worker runs on a serverless GPU, scales from zero on the encode and generate queues, and starts on a checked model pack.</summary>
[Collection(CompiledInfraCollection.Name)]
public sealed class WorkerTemplateTests(CompiledInfra infra)
{
    private ArmResource WorkerApp(string gpuType = "T4") =>
        Assert.Single(infra.Evaluate(new Dictionary<string, JsonNode?> { ["gpuType"] = gpuType }).OfType("Microsoft.App/containerApps"));

    [Theory]
    [InlineData("T4", "Consumption-GPU-NC8as-T4", 8, 56)]
    [InlineData("A100", "Consumption-GPU-NC24-A100", 24, 220)]
    public void The_worker_runs_on_the_chosen_serverless_gpu_profile(string gpuType, string profileType, int cpu, int memoryGi)
    {
        var template = infra.Evaluate(new Dictionary<string, JsonNode?> { ["gpuType"] = gpuType });
        var environment = Assert.Single(template.OfType("Microsoft.App/managedEnvironments"));
        var app = Assert.Single(template.OfType("Microsoft.App/containerApps"));
        var profileName = (string?)app.Properties!["workloadProfileName"];
        var profile = Assert.Single(environment.Properties!["workloadProfiles"]!.AsArray(), p => (string?)p!["name"] == profileName)!;
        Assert.Equal(profileType, (string?)profile["workloadProfileType"]);

        // The worker (first container: the one that gets the GPU) and the init container share the replica.
        var containers = app.Properties["template"]!["containers"]!.AsArray();
        Assert.Equal("worker", (string?)containers[0]!["name"]);
        var all = containers.Concat(app.Properties["template"]!["initContainers"]!.AsArray()).ToList();
        Assert.Equal(cpu, all.Sum(c => (int)c!["resources"]!["cpu"]!));
        Assert.Equal(memoryGi, all.Sum(c => int.Parse(((string)c!["resources"]!["memory"]!).TrimEnd('G', 'i'), System.Globalization.CultureInfo.InvariantCulture)));

        // A replica stopped with SIGTERM is killed after its grace period (30 s by default): the worker's batch needs its own timeout.
        Assert.Equal(Elite.Core.Configuration.WorkerOptions.ShutdownSeconds, (int)app.Properties["template"]!["terminationGracePeriodSeconds"]!);
    }

    [Fact]
    public void The_worker_scales_to_zero_on_the_encode_and_generate_queues_with_its_identity()
    {
        var app = WorkerApp();
        var scale = app.Properties!["template"]!["scale"]!;
        Assert.Equal(0, (int)scale["minReplicas"]!);
        Assert.True((int)scale["maxReplicas"]! >= 1);
        var rules = scale["rules"]!.AsArray().Select(r => r!["azureQueue"]!).ToList();
        Assert.Equal([StorageNames.Queues.Encode, StorageNames.Queues.Generate, StorageNames.Queues.GenerateBulk], rules.Select(r => (string)r["queueName"]!).Order());
        var identities = app.Body["identity"]!["userAssignedIdentities"]!.AsObject().Select(p => p.Key).ToList();
        Assert.All(rules, r =>
        {
            Assert.StartsWith("stdata", (string?)r["accountName"], StringComparison.Ordinal);
            Assert.True((int)r["queueLength"]! >= 1);
            Assert.Null(r["auth"]);
            Assert.Contains((string)r["identity"]!, identities);
        });
    }

    [Fact]
    public void The_worker_has_no_ingress_and_pulls_its_image_with_its_identity()
    {
        var app = WorkerApp();
        var configuration = app.Properties!["configuration"]!;
        Assert.Null(configuration["ingress"]);
        Assert.Null(configuration["secrets"]);
        var registry = Assert.Single(configuration["registries"]!.AsArray())!;
        Assert.Null(registry["passwordSecretRef"]);
        Assert.NotNull(registry["identity"]);
    }

    [Fact]
    public void An_init_container_fetches_and_checks_the_model_pack_before_the_worker_starts()
    {
        var template = WorkerApp().Properties!["template"]!;
        var init = Assert.Single(template["initContainers"]!.AsArray())!;
        Assert.Equal(["/bin/bash", "-c"], init["command"]!.AsArray().Select(a => (string)a!));
        var script = (string)Assert.Single(init["args"]!.AsArray())!;
        Assert.Equal(File.ReadAllText(Path.Combine(Repository.Infra, "worker", "fetch-model-pack.sh")), script);
        var env = init["env"]!.AsArray().ToDictionary(e => (string)e!["name"]!, e => (string?)e!["value"]);
        Assert.Equal("sd14-elite", env["MODEL_PACK"]);
        Assert.EndsWith("models", env["MODEL_CONTAINER_URL"], StringComparison.Ordinal); // the host account's blob endpoint + "models"
        Assert.Equal("/models", env["MODELS_DIR"]);

        // Both containers see the same downloaded folder; nothing is baked into the image.
        var volume = Assert.Single(template["volumes"]!.AsArray())!;
        Assert.Equal("EmptyDir", (string?)volume["storageType"]);
        var worker = template["containers"]!.AsArray()[0]!;
        foreach (var container in new[] { init, worker })
        {
            var mount = Assert.Single(container["volumeMounts"]!.AsArray())!;
            Assert.Equal((string?)volume["name"], (string?)mount["volumeName"]);
            Assert.Equal("/models", (string?)mount["mountPath"]);
        }

        // The init container may use the identity (it downloads with it).
        var settings = Assert.Single(WorkerApp().Properties!["configuration"]!["identitySettings"]!.AsArray())!;
        Assert.Contains((string?)settings["lifecycle"], new[] { "All", "Init" });
    }

    [Fact]
    public void The_pinned_asset_checksums_are_the_ones_run_sh_pins()
    {
        var runSh = File.ReadAllLines(Path.Combine(Repository.Root, "run.sh"));
        string Pinned(string variable) =>
            Assert.Single(runSh, l => l.StartsWith(variable + "=", StringComparison.Ordinal))[(variable.Length + 1)..].Trim();

        var env = Assert.Single(WorkerApp().Properties!["template"]!["initContainers"]!.AsArray())!["env"]!.AsArray()
            .ToDictionary(e => (string)e!["name"]!, e => (string?)e!["value"]);
        Assert.Equal(Pinned("CLIP_BPE_SHA"), env["VOCABULARY_SHA256"]);
        Assert.Equal(Pinned("U2NETP_SHA"), env["MASK_MODEL_SHA256"]);
    }

    [Fact]
    public void Health_probes_hit_the_workers_healthz_on_port_8080()
    {
        var worker = WorkerApp().Properties!["template"]!["containers"]!.AsArray()[0]!;
        var probes = worker["probes"]!.AsArray();
        Assert.Contains(probes, p => (string?)p!["type"] == "Startup");
        Assert.Contains(probes, p => (string?)p!["type"] == "Liveness");
        Assert.All(probes, p =>
        {
            Assert.Equal("/healthz", (string?)p!["httpGet"]!["path"]);
            Assert.Equal(8080, (int)p["httpGet"]!["port"]!);
        });
    }

    [Fact]
    public void Before_azd_builds_the_image_a_placeholder_is_deployed_and_afterwards_the_built_image()
    {
        var placeholder = (string?)WorkerApp().Properties!["template"]!["containers"]!.AsArray()[0]!["image"];
        Assert.False(string.IsNullOrEmpty(placeholder));
        var built = infra.Evaluate(new Dictionary<string, JsonNode?> { ["workerImage"] = "crexample.azurecr.io/elite/worker:1" });
        var app = Assert.Single(built.OfType("Microsoft.App/containerApps"));
        Assert.Equal("crexample.azurecr.io/elite/worker:1", (string?)app.Properties!["template"]!["containers"]!.AsArray()[0]!["image"]);
        Assert.Equal("crexample.azurecr.io/elite/worker:1", (string?)app.Properties!["template"]!["initContainers"]!.AsArray()[0]!["image"]);
    }
}
