using Azure.Storage.Queues;
using Elite.Core.Messages;
using Elite.Core.Callers;
using Elite.Core.Rows;
using Elite.Core.Storage;

namespace Elite.Core.Tests;

/// <summary>
/// Tests that use Azurite's queues and tables share one collection: they run one after another, so a test can
/// clear a queue and count what it finds there.
/// </summary>
[CollectionDefinition(Name)]
public sealed class StorageCollection : ICollectionFixture<StorageFixture>
{
    public const string Name = "storage";
}

/// <summary>Azurite with every container, queue and table created.</summary>
public sealed class StorageFixture : IAsyncLifetime
{
    public Azurite Azurite { get; } = new();

    public StorageClients Clients => Azurite.Clients;

    public async Task InitializeAsync() => await new StorageInitializer(Clients).InitializeAsync();

    public Task DisposeAsync() => Task.CompletedTask;
}

internal static class TestStorage
{
    /// <summary>The caller the tests submit as, unless a test is about callers.</summary>
    public static Caller Caller { get; } = new("test-caller");

    public static string NewId(string prefix) => $"{prefix}-{Guid.NewGuid():N}"[..(prefix.Length + 13)];

    public static async Task<string> AddConceptAsync(this StorageClients clients, ConceptStatus status = ConceptStatus.Ready, string? reason = null)
    {
        var conceptId = NewId("concept");
        await clients.Table(StorageNames.Tables.Concepts).AddEntityAsync(new ConceptRow(conceptId)
        {
            Status = status,
            ImageBlob = BlobPaths.ConceptFile(conceptId, "photo.png"),
            Reason = reason,
        });
        return conceptId;
    }

    public static async Task ClearQueuesAsync(this StorageClients clients)
    {
        foreach (var queue in new[] { StorageNames.Queues.Generate, StorageNames.Queues.GenerateBulk, StorageNames.Queues.Encode, StorageNames.Queues.JobEvents })
        {
            await clients.Queue(queue).ClearMessagesAsync();
        }
    }

    public static async Task<int> CountAsync(this StorageClients clients, string queue) =>
        (await clients.Queue(queue).GetPropertiesAsync()).Value.ApproximateMessagesCount;

    /// <summary>Every message of the queue, read and deleted.</summary>
    public static async Task<List<T>> DrainAsync<T>(this StorageClients clients, string queueName)
    {
        QueueClient queue = clients.Queue(queueName);
        var messages = new List<T>();
        while (true)
        {
            var batch = (await queue.ReceiveMessagesAsync(32, TimeSpan.FromMinutes(5))).Value;
            if (batch.Length == 0)
            {
                return messages;
            }

            foreach (var message in batch)
            {
                messages.Add(QueueMessages.Deserialize<T>(message.Body.ToString()));
                await queue.DeleteMessageAsync(message.MessageId, message.PopReceipt);
            }
        }
    }

    public static async Task<JobRow> JobAsync(this StorageClients clients, string jobId) =>
        (await clients.Table(StorageNames.Tables.Jobs).GetEntityAsync<JobRow>(jobId, JobRow.RowKeyValue)).Value;

    public static async Task<List<TaskRow>> TasksAsync(this StorageClients clients, string jobId)
    {
        var rows = new List<TaskRow>();
        await foreach (var row in clients.Table(StorageNames.Tables.Tasks).QueryAsync<TaskRow>(r => r.PartitionKey == jobId))
        {
            rows.Add(row);
        }

        return rows;
    }
}

/// <summary>A clock that stands still where a test puts it.</summary>
internal sealed class FixedTime(DateTimeOffset now) : TimeProvider
{
    public DateTimeOffset Now { get; set; } = now;

    public override DateTimeOffset GetUtcNow() => Now;
}
