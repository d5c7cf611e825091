using System.Collections.Concurrent;
using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using System.Text;
using Azure.Storage.Queues;
using Elite.Core;
using Elite.Core.Jobs;
using Elite.Core.Messages;
using Elite.Core.Rows;
using Elite.Core.Storage;
using Elite.Core.Webhooks;
using Elite.Functions.LocalHost;
using Microsoft.Extensions.Configuration;
using SkiaSharp;
using Spectre.Console;

namespace Elite.Bench.Ingest;

/// <summary>
/// <c>elite bench ingest --rows N</c>: tasks per second from a CSV upload to all its tasks enqueued, through the
/// functions on the local host (in this process) and the Azurite that <c>EliteStorage</c> names (<c>./run.sh azurite</c>).
/// The bench's concept and queued tasks are removed afterwards, so no worker ever takes them (the whole queue is
/// cleared when it held nothing else, since Azurite deletes messages one by one slowly).
/// </summary>
internal static class BenchIngestCommand
{
    private const int UserError = 2;
    private static readonly TimeSpan Timeout = TimeSpan.FromMinutes(10);

    public static RootCommand Create()
    {
        var rows = new Option<int>("--rows") { Description = "CSV rows (one image each).", DefaultValueFactory = _ => 10_000 };
        var command = new RootCommand("elite bench ingest: time CSV ingestion: upload → trigger → task rows and generate messages, through the local functions host.") { rows };
        command.SetAction(async (parse, cancellationToken) =>
        {
            var count = parse.GetValue(rows);
            if (count < 1 || count > JobLimits.Default.MaxCsvRows)
            {
                await parse.InvocationConfiguration.Error.WriteLineAsync($"elite bench ingest: --rows takes 1 to {JobLimits.Default.MaxCsvRows}.");
                return UserError;
            }

            StorageClients clients;
            try
            {
                clients = new StorageClients(StorageConnection.FromConfiguration(new ConfigurationBuilder().AddEnvironmentVariables().Build()));
            }
            catch (InvalidOperationException e)
            {
                await parse.InvocationConfiguration.Error.WriteLineAsync($"elite bench ingest: {e.Message}");
                return UserError;
            }

            if (!clients.Queue(StorageNames.Queues.Generate).Uri.IsLoopback)
            {
                await parse.InvocationConfiguration.Error.WriteLineAsync("elite bench ingest: runs on Azurite only (a loopback EliteStorage): its cleanup searches the generate queue.");
                return UserError;
            }

            using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            deadline.CancelAfter(Timeout);
            try
            {
                return await RunAsync(clients, count, parse.InvocationConfiguration.Output, deadline.Token);
            }
            catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
                await parse.InvocationConfiguration.Error.WriteLineAsync($"elite bench ingest: the job was not fully queued within {Timeout.TotalMinutes:F0} minutes.");
                return 1;
            }
        });
        return command;
    }

    private static async Task<int> RunAsync(StorageClients clients, int rows, TextWriter output, CancellationToken cancellationToken)
    {
        await new StorageInitializer(clients).InitializeAsync(cancellationToken);
        // Disposed, not stopped: stopping the WebJobs host sometimes throws "The timer has already been stopped"
        // from the queue listener its two blob triggers share.
        await using var functions = LocalFunctionsHost.Build(
            ["--urls", $"http://127.0.0.1:{LoopbackPort.Free()}", $"--Webhooks:SigningSecret={WebhookSecret.Generate()}", "--Logging:LogLevel:Default=Warning"]);
        await functions.StartAsync(cancellationToken);

        var stamp = $"bench-{DateTime.UtcNow:yyyyMMddHHmmss}-{Random.Shared.Next(1000):D3}";
        var conceptId = stamp;
        var conceptBlob = clients.Container(StorageNames.Containers.Concepts).GetBlobClient(BlobPaths.ConceptFile(conceptId, "photo.png"));
        await conceptBlob.UploadAsync(new BinaryData(SamplePhoto()), cancellationToken);
        await WaitForAsync(() => clients.Table(StorageNames.Tables.Concepts).GetOrDefaultAsync<ConceptRow>(conceptId, ConceptRow.RowKeyValue, cancellationToken), cancellationToken);

        var csv = new StringBuilder($"{CsvColumns.ConceptId},{CsvColumns.Prompt},{CsvColumns.Seed}\n");
        for (var i = 0; i < rows; i++) csv.Append(CultureInfo.InvariantCulture, $"{conceptId},\"a photo of S, variation {i}\",{i}\n");
        var csvBlob = clients.Container(StorageNames.Containers.Jobs).GetBlobClient(stamp + ".csv");

        var generate = clients.Queue(JobLanes.QueueOf(JobLanes.Default.For(rows))); // the lane the host gives such a job
        var queuedBefore = (await generate.GetPropertiesAsync(cancellationToken)).Value.ApproximateMessagesCount;
        var clock = Stopwatch.StartNew();
        var uploaded = await csvBlob.UploadAsync(new BinaryData(csv.ToString()), cancellationToken);
        var uploadSeconds = clock.Elapsed.TotalSeconds;
        var jobId = CsvJobIntake.JobIdFor(stamp, uploaded.Value.ETag.ToString());
        var jobs = clients.Table(StorageNames.Tables.Jobs);
        await WaitForAsync(() => jobs.GetOrDefaultAsync<JobRow>(jobId, JobRow.RowKeyValue, cancellationToken), cancellationToken);
        var triggerSeconds = clock.Elapsed.TotalSeconds;
        var job = await WaitForAsync(async () => await jobs.GetOrDefaultAsync<JobRow>(jobId, JobRow.RowKeyValue, cancellationToken) is { IntakeComplete: true } done && done.EnqueuedCount == done.TaskCount ? done : null, cancellationToken);
        var totalSeconds = clock.Elapsed.TotalSeconds;

        var intakeSeconds = totalSeconds - triggerSeconds;
        var table = new Table().AddColumns("rows", "tasks", "upload", "→ job row", "→ all queued", "tasks/s overall", "tasks/s intake");
        table.AddRow(
            rows.ToString(CultureInfo.InvariantCulture),
            job.TaskCount.ToString(CultureInfo.InvariantCulture),
            $"{uploadSeconds:F2} s",
            $"{triggerSeconds:F2} s",
            $"{intakeSeconds:F2} s",
            $"{job.TaskCount / totalSeconds:F0}",
            $"{job.TaskCount / intakeSeconds:F0}");
        var console = AnsiConsole.Create(new AnsiConsoleSettings { Out = new AnsiConsoleOutput(output) });
        console.WriteLine($"CSV job {jobId} on {generate.Uri.Authority}, local functions host;");
        console.WriteLine("'→ job row' is the blob trigger's latency (WebJobs polling here, Event Grid in Azure), '→ all queued' the intake:");
        console.Write(table);
        if (job.InvalidRowCount > 0) console.WriteLine($"{job.InvalidRowCount} rows were refused: {job.Reason}");

        output.WriteLine("removing the bench's concept and queued tasks...");
        int removed;
        if (queuedBefore == 0 && (await generate.GetPropertiesAsync(cancellationToken)).Value.ApproximateMessagesCount == job.TaskCount)
        {
            await generate.ClearMessagesAsync(cancellationToken); // only the bench's tasks are there; deleting 10,000 one by one takes Azurite minutes
            removed = job.TaskCount;
        }
        else
        {
            removed = await RemoveMessagesAsync(generate, body => QueueMessages.Deserialize<GenerateTask>(body).JobId == jobId, cancellationToken);
        }

        await RemoveMessagesAsync(clients.Queue(StorageNames.Queues.Encode), body => QueueMessages.Deserialize<EncodeRequest>(body).ConceptId == conceptId, cancellationToken);
        await clients.Table(StorageNames.Tables.Concepts).DeleteEntityAsync(conceptId, ConceptRow.RowKeyValue, cancellationToken: cancellationToken);
        await conceptBlob.DeleteIfExistsAsync(cancellationToken: cancellationToken);
        output.WriteLine($"removed {removed} generate messages; the job's rows stay in {StorageNames.Tables.Jobs}/{StorageNames.Tables.Tasks} as a record.");
        return job.TaskCount == rows ? 0 : 1;
    }

    private static async Task<T> WaitForAsync<T>(Func<Task<T?>> probe, CancellationToken cancellationToken) where T : class
    {
        while (true)
        {
            if (await probe() is { } value) return value;
            await Task.Delay(TimeSpan.FromMilliseconds(50), cancellationToken);
        }
    }

    /// <summary>Deletes the messages <paramref name="isOurs"/> picks; the others are hidden while the queue is searched, then shown again.</summary>
    private static async Task<int> RemoveMessagesAsync(QueueClient queue, Func<string, bool> isOurs, CancellationToken cancellationToken)
    {
        const int Receivers = 8;
        var removed = 0;
        var others = new ConcurrentBag<(string Id, string PopReceipt)>();
        await Parallel.ForEachAsync(Enumerable.Range(0, Receivers), cancellationToken, async (_, token) =>
        {
            while ((await queue.ReceiveMessagesAsync(32, TimeSpan.FromMinutes(5), token)).Value is { Length: > 0 } messages)
            {
                foreach (var message in messages)
                {
                    if (IsOurs(message.Body.ToString()))
                    {
                        await queue.DeleteMessageAsync(message.MessageId, message.PopReceipt, token);
                        Interlocked.Increment(ref removed);
                    }
                    else
                    {
                        others.Add((message.MessageId, message.PopReceipt));
                    }
                }
            }
        });

        await Parallel.ForEachAsync(others, cancellationToken, async (message, token) =>
            await queue.UpdateMessageAsync(message.Id, message.PopReceipt, visibilityTimeout: TimeSpan.Zero, cancellationToken: token));
        return removed;

        bool IsOurs(string body)
        {
            try
            {
                return isOurs(body);
            }
            catch (InvalidMessageException)
            {
                return false;
            }
        }
    }

    /// <summary>The concept's photo: registering it is all the bench needs (rows of a pending concept are accepted).</summary>
    private static byte[] SamplePhoto()
    {
        using var bitmap = new SKBitmap(64, 64);
        bitmap.Erase(SKColors.SteelBlue);
        using var data = bitmap.Encode(SKEncodedImageFormat.Png, 100);
        return data.ToArray();
    }
}
