using System.Text;
using Azure.Data.Tables;
using Azure.Storage.Queues;
using Elite.Core.Rows;
using Elite.Core.Storage;

namespace Elite.Core.Tests;

/// <summary>The core storage layer against Azurite. Each test uses fresh ids, so tests share one account.</summary>
[Collection(StorageCollection.Name)] // deletes and re-creates shared tables and queues: nothing else may run meanwhile
public sealed class StorageRoundTripTests(Azurite azurite) : IClassFixture<Azurite>
{
    private readonly StorageClients clients = azurite.Clients;
    private static string NewId() => Guid.NewGuid().ToString("N");

    [Fact]
    public async Task Init_creates_everything_and_is_idempotent()
    {
        var initializer = new StorageInitializer(clients);
        await initializer.InitializeAsync();
        // One of each kind missing (tests of this class run one at a time, so nothing else needs them now).
        await clients.Container(StorageNames.Containers.Results).DeleteAsync();
        await clients.Queue(StorageNames.Queues.JobEventsPoison).DeleteAsync();
        await clients.Table(StorageNames.Tables.Tasks).DeleteAsync();

        var first = await initializer.InitializeAsync();
        var second = await initializer.InitializeAsync();

        var expected = StorageNames.Containers.All.Select(n => ("container", n))
            .Concat(StorageNames.Queues.All.Select(n => ("queue", n)))
            .Concat(StorageNames.Tables.All.Select(n => ("table", n)))
            .ToList();
        Assert.Equal(expected, first.Select(r => (r.Kind, r.Name)));
        Assert.Equal(expected, second.Select(r => (r.Kind, r.Name)));
        Assert.Equal(
            [StorageNames.Containers.Results, StorageNames.Queues.JobEventsPoison, StorageNames.Tables.Tasks],
            first.Where(r => r.Created).Select(r => r.Name));
        Assert.All(second, r => Assert.False(r.Created, $"{r.Kind} {r.Name} was created again"));

        foreach (var name in StorageNames.Containers.All) Assert.True(await clients.Container(name).ExistsAsync());
        foreach (var name in StorageNames.Queues.All) Assert.True(await clients.Queue(name).ExistsAsync());
        var tables = new List<string>();
        await foreach (var table in clients.Tables.QueryAsync()) tables.Add(table.Name);
        Assert.Superset(StorageNames.Tables.All.ToHashSet(), tables.ToHashSet());
    }

    [Fact]
    public async Task Init_lets_a_page_of_another_origin_upload_through_a_link_as_browsers_ask_first()
    {
        await new StorageInitializer(clients).InitializeAsync();
        await new StorageInitializer(clients).InitializeAsync();
        Assert.Contains((await clients.Blobs.GetPropertiesAsync()).Value.Cors, BrowserUploads.IsRule);

        using var http = new HttpClient();
        using var preflight = new HttpRequestMessage(HttpMethod.Options, clients.Container(StorageNames.Containers.Concepts).GetBlobClient($"{NewId()}/photo.png").Uri);
        preflight.Headers.Add("Origin", "http://127.0.0.1:7071");
        preflight.Headers.Add("Access-Control-Request-Method", "PUT");
        preflight.Headers.Add("Access-Control-Request-Headers", "content-type,x-ms-blob-type");
        using var answer = await http.SendAsync(preflight);
        Assert.True(answer.IsSuccessStatusCode, answer.StatusCode.ToString());
        Assert.Contains("PUT", answer.Headers.GetValues("Access-Control-Allow-Methods").Single());
    }

    [Fact]
    public async Task Blob_put_then_get_returns_the_same_bytes()
    {
        await new StorageInitializer(clients).InitializeAsync();
        var blob = clients.Container(StorageNames.Containers.Concepts).GetBlobClient(BlobPaths.ConceptFile(NewId(), "photo.png"));
        var bytes = new byte[100_000];
        new Random(7).NextBytes(bytes);

        await blob.UploadAsync(new BinaryData(bytes));
        var downloaded = await blob.DownloadContentAsync();

        Assert.Equal(bytes, downloaded.Value.Content.ToArray());
    }

    [Fact]
    public async Task Queue_send_receive_delete_round_trips_and_writes_base64()
    {
        var queue = clients.Queue("roundtrip-" + NewId()[..12]);
        await queue.CreateAsync();
        try
        {
            const string body = """{"jobId":"j1","taskId":"000001","prompt":"a photo of S on the beach"}""";
            await queue.SendMessageAsync(body);

            // The Functions/WebJobs triggers read Base64: the raw body on the wire must be Base64.
            var raw = new QueueClient(azurite.ConnectionString, queue.Name);
            var peeked = await raw.PeekMessageAsync();
            Assert.Equal(Convert.ToBase64String(Encoding.UTF8.GetBytes(body)), peeked.Value.Body.ToString());

            var received = await queue.ReceiveMessageAsync(TimeSpan.FromSeconds(30));
            Assert.Equal(body, received.Value.Body.ToString());
            await queue.DeleteMessageAsync(received.Value.MessageId, received.Value.PopReceipt);

            var properties = await queue.GetPropertiesAsync();
            Assert.Equal(0, properties.Value.ApproximateMessagesCount);
        }
        finally
        {
            await queue.DeleteAsync();
        }
    }

    [Fact]
    public async Task Table_rows_round_trip_and_a_stale_etag_is_a_conflict()
    {
        await new StorageInitializer(clients).InitializeAsync();
        var jobs = clients.Table(StorageNames.Tables.Jobs);
        var jobId = NewId();
        await jobs.UpsertEntityAsync(new JobRow(jobId) { Status = JobStatus.Queued, Source = "csv", TaskCount = 3 }, TableUpdateMode.Replace);

        var rows = new List<JobRow>();
        await foreach (var row in jobs.QueryAsync<JobRow>(r => r.PartitionKey == jobId)) rows.Add(row);
        var read = Assert.Single(rows);
        Assert.Equal((jobId, JobStatus.Queued, "csv", 3), (read.JobId, read.Status, read.Source, read.TaskCount));

        var winner = read with { SucceededCount = 1, Status = JobStatus.Running };
        var loser = read with { FailedCount = 1 };
        Assert.True(await jobs.TryReplaceAsync(winner));
        Assert.False(await jobs.TryReplaceAsync(loser)); // read before the winner wrote

        var stored = (await jobs.GetEntityAsync<JobRow>(jobId, JobRow.RowKeyValue)).Value;
        Assert.Equal((JobStatus.Running, 1, 0), (stored.Status, stored.SucceededCount, stored.FailedCount));
        Assert.Equal(winner.ETag, stored.ETag);
        Assert.True(await jobs.TryReplaceAsync(stored with { FailedCount = 1 })); // re-read, retried: accepted
    }

    [Fact]
    public async Task Concept_and_task_rows_keep_every_field()
    {
        await new StorageInitializer(clients).InitializeAsync();
        var conceptId = NewId();
        var concept = new ConceptRow(conceptId)
        {
            Status = ConceptStatus.Ready, ImageBlob = BlobPaths.ConceptFile(conceptId, "dog.png"), MaskBlob = BlobPaths.ConceptFile(conceptId, "mask.png"),
            MaskSource = "upload", EmbeddingBlob = BlobPaths.Embedding(conceptId, "tiny"), PackId = "tiny",
        };
        var task = new TaskRow(NewId(), "000042")
        {
            Status = ImageTaskStatus.Failed, ConceptId = conceptId, Prompt = "a photo of S on the beach", NegativePrompt = "blurry",
            Seed = 4_000_000_000, Steps = 50, Guidance = 5, Lambda = 0.6, Scheduler = "lms", Attempts = 2, Reason = "out of memory",
        };
        await clients.Table(StorageNames.Tables.Concepts).AddEntityAsync(concept);
        await clients.Table(StorageNames.Tables.Tasks).AddEntityAsync(task);

        var conceptBack = (await clients.Table(StorageNames.Tables.Concepts).GetEntityAsync<ConceptRow>(conceptId, ConceptRow.RowKeyValue)).Value;
        var taskBack = (await clients.Table(StorageNames.Tables.Tasks).GetEntityAsync<TaskRow>(task.JobId, task.TaskId)).Value;
        Assert.Equal(concept with { ETag = conceptBack.ETag, Timestamp = conceptBack.Timestamp }, conceptBack);
        Assert.Equal(task with { ETag = taskBack.ETag, Timestamp = taskBack.Timestamp }, taskBack);
    }
}
