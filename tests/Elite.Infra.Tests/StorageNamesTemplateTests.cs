using Elite.Core.Storage;
using Elite.Infra.Tests.Arm;

namespace Elite.Infra.Tests;

/// <summary>The compiled template creates exactly the containers, queues and tables that core defines.</summary>
[Collection(CompiledInfraCollection.Name)]
public sealed class StorageNamesTemplateTests(CompiledInfra infra)
{
    private const string DataAccountPrefix = "stdata";
    private const string HostAccountPrefix = "sthost";

    private static List<string> Leaves(ArmTemplate template, string type, string accountPrefix) =>
        template.OfType(type)
            .Where(r => r.Name.StartsWith(accountPrefix, StringComparison.Ordinal))
            .Select(r => r.LeafName)
            .ToList();

    [Fact]
    public void The_data_account_has_exactly_cores_containers()
    {
        var containers = Leaves(infra.Evaluate(), "Microsoft.Storage/storageAccounts/blobServices/containers", DataAccountPrefix);
        Assert.Equal(StorageNames.Containers.All.Order(), containers.Order());
    }

    [Fact]
    public void The_data_account_has_exactly_cores_queues()
    {
        var queues = Leaves(infra.Evaluate(), "Microsoft.Storage/storageAccounts/queueServices/queues", DataAccountPrefix);
        Assert.Equal(StorageNames.Queues.All.Order(), queues.Order());
        Assert.Equal(
            ["concept-events", "concept-events-poison", "encode", "encode-poison", "generate", "generate-bulk", "generate-poison", "job-events", "job-events-poison"],
            queues.Order());
    }

    [Fact]
    public void The_data_account_has_exactly_cores_tables()
    {
        var tables = Leaves(infra.Evaluate(), "Microsoft.Storage/storageAccounts/tableServices/tables", DataAccountPrefix);
        Assert.Equal(StorageNames.Tables.All.Order(), tables.Order());
    }

    [Fact]
    public void No_name_is_unknown_and_nothing_else_lives_in_the_data_account()
    {
        var template = infra.Evaluate();
        var dataChildren = template.Resources
            .Where(r => r.Type.StartsWith("Microsoft.Storage/storageAccounts/", StringComparison.OrdinalIgnoreCase))
            .Where(r => r.Name.StartsWith(DataAccountPrefix, StringComparison.Ordinal))
            .ToList();
        Assert.All(dataChildren, r => Assert.DoesNotContain(ArmExpression.Unknown, r.LeafName, StringComparison.Ordinal));
        Assert.Equal(
            StorageNames.Containers.All.Count + StorageNames.Queues.All.Count + StorageNames.Tables.All.Count + 4,
            dataChildren.Count); // plus the blob, queue and table services and the lifecycle policy that expires results
    }

    [Fact]
    public void The_host_account_holds_only_the_deployment_package_and_the_model_packs()
    {
        var containers = Leaves(infra.Evaluate(), "Microsoft.Storage/storageAccounts/blobServices/containers", HostAccountPrefix);
        Assert.Equal(["app-package", "models"], containers.Order());
    }

    [Fact]
    public void Both_accounts_refuse_shared_keys_and_public_blobs()
    {
        var accounts = infra.Evaluate().OfType("Microsoft.Storage/storageAccounts").ToList();
        Assert.Equal(2, accounts.Count);
        Assert.All(accounts, a =>
        {
            Assert.False((bool)a.Properties!["allowSharedKeyAccess"]!);
            Assert.False((bool)a.Properties!["allowBlobPublicAccess"]!);
            Assert.Equal("TLS1_2", (string?)a.Properties!["minimumTlsVersion"]);
        });
    }

    [Fact]
    public void Deleted_and_overwritten_result_blobs_are_soft_deleted()
    {
        var service = Assert.Single(infra.Evaluate().OfType("Microsoft.Storage/storageAccounts/blobServices"),
            r => r.Name.StartsWith(DataAccountPrefix, StringComparison.Ordinal));
        var policy = service.Properties!["deleteRetentionPolicy"]!;
        Assert.True((bool)policy["enabled"]!);
        Assert.True((int)policy["days"]! >= 1);
    }
}
