using System.Text.RegularExpressions;
using Elite.Core.Storage;

namespace Elite.Core.Tests;

public sealed partial class StorageNamesTests
{
    // Azure's rules: containers and queues 3-63 lowercase letters, digits and single hyphens, starting
    // and ending with a letter or digit; tables 3-63 letters and digits, starting with a letter.
    [GeneratedRegex("^[a-z0-9](?!.*--)[a-z0-9-]{1,61}[a-z0-9]$")]
    private static partial Regex ContainerOrQueueName();

    [GeneratedRegex("^[A-Za-z][A-Za-z0-9]{2,62}$")]
    private static partial Regex TableName();

    public static TheoryData<string> Containers => [.. StorageNames.Containers.All];
    public static TheoryData<string> Queues => [.. StorageNames.Queues.All];
    public static TheoryData<string> Tables => [.. StorageNames.Tables.All];

    [Theory]
    [MemberData(nameof(Containers))]
    public void Container_names_are_valid_for_azure(string name) => Assert.Matches(ContainerOrQueueName(), name);

    [Theory]
    [MemberData(nameof(Queues))]
    public void Queue_names_are_valid_for_azure(string name) => Assert.Matches(ContainerOrQueueName(), name);

    [Theory]
    [MemberData(nameof(Tables))]
    public void Table_names_are_valid_for_azure(string name)
    {
        Assert.Matches(TableName(), name);
        Assert.NotEqual("tables", name, StringComparer.OrdinalIgnoreCase); // reserved
    }

    [Fact]
    public void Every_work_queue_has_its_poison_twin_and_the_two_generate_lanes_share_one()
    {
        var queues = StorageNames.Queues.All;
        var workQueues = queues.Where(q => !q.EndsWith(StorageNames.Queues.PoisonSuffix, StringComparison.Ordinal) && q != StorageNames.Queues.GenerateBulk).ToList();
        Assert.Equal(["encode", "generate", "job-events", "concept-events"], workQueues);
        Assert.All(workQueues, q => Assert.Contains(q + "-poison", queues));
        Assert.DoesNotContain(StorageNames.Queues.GenerateBulk + StorageNames.Queues.PoisonSuffix, queues);
        Assert.Equal(queues.Count, queues.Distinct().Count());
    }

    [Fact]
    public void Trigger_paths_start_with_their_container()
    {
        Assert.StartsWith(StorageNames.Containers.Concepts + "/", BlobPaths.ConceptUploadTrigger);
        Assert.StartsWith(StorageNames.Containers.Jobs + "/", BlobPaths.JobCsvTrigger);
    }
}
