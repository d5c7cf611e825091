using System.Text;
using Elite.Core.Jobs;
using Elite.Core.Messages;
using Elite.Core.Rows;
using Elite.Core.Storage;

namespace Elite.Core.Tests;

[Collection(StorageCollection.Name)]
public sealed class CsvJobIntakeTests(StorageFixture storage) : IAsyncLifetime
{
    private readonly StorageClients clients = storage.Clients;

    public Task InitializeAsync() => clients.ClearQueuesAsync();

    public Task DisposeAsync() => Task.CompletedTask;

    private async Task<string> UploadAsync(string csv, Dictionary<string, string>? metadata = null)
    {
        var name = TestStorage.NewId("prompts");
        var blob = clients.Container(StorageNames.Containers.Jobs).GetBlobClient(BlobPaths.JobCsv(name));
        await blob.UploadAsync(new BinaryData(Encoding.UTF8.GetBytes(csv)));
        if (metadata is not null)
        {
            await blob.SetMetadataAsync(metadata);
        }

        return name;
    }

    [Fact]
    public async Task Valid_rows_run_and_invalid_rows_are_listed_with_their_line_numbers()
    {
        var dog = await clients.AddConceptAsync();
        var cat = await clients.AddConceptAsync(ConceptStatus.Pending);
        var rejected = await clients.AddConceptAsync(ConceptStatus.Rejected, "the file is empty");
        var csv = $"""
            Concept_ID, Prompt ,NEGATIVE_PROMPT,seed,steps,guidance,lambda
            {dog},a photo of S on the beach,blurry,42,,,
            {dog},,,,,,
            {cat},"S, in a watercolor painting",,abc,500,,
            no-such-concept,a photo of S,,,,,
            {dog},{new string('p', 1001)},,,,,
            {rejected},a photo of S,,,,,
            {dog},only three,fields

            {dog},a photo of S at night,,,10,9.5,0.2
            {cat},"a ""quoted"" S",,7,,,
            {dog},a "stray" quote S,,,,,
            """;
        var name = await UploadAsync(csv, new() { ["webhookurl"] = "https://example.com/h", ["Steps"] = "25", ["scheduler"] = "DPMPP_2M" });

        var result = await new CsvJobIntake(clients).ProcessBlobAsync(name, default);

        Assert.Equal((false, JobStatus.Queued, 3, 7), (result.Repeated, result.Status, result.TaskCount, result.InvalidRowCount));
        var reason = result.Reason!;
        Assert.EndsWith("line 12: has a quote inside an unquoted field", reason);
        Assert.StartsWith("7 rows are invalid: line 3: prompt is required; line 4: seed 'abc' is not a whole number; steps 500 is outside 1-150; line 5: concept 'no-such-concept' does not exist", reason);
        Assert.Contains("line 6: prompt is 1001 characters long; at most 1000 are allowed", reason);
        Assert.Contains($"line 7: concept '{rejected}' was rejected: the file is empty", reason);
        Assert.Contains("line 8: has 3 fields; the header has 7", reason);

        var job = await clients.JobAsync(result.JobId);
        Assert.Equal(("csv", name + ".csv", "https://example.com/h", true, 3, 7), (job.Source, job.SourceBlob, job.WebhookUrl, job.IntakeComplete, job.TaskCount, job.InvalidRowCount));
        var tasks = (await clients.TasksAsync(result.JobId)).OrderBy(t => t.TaskId).ToList();
        Assert.Equal(
            [
                (2, dog, "a photo of S on the beach", "blurry", 42L, 25, 5.0, 0.6f),
                (10, dog, "a photo of S at night", null, 7L, 10, 9.5, 0.2f), // no seed: its row number (0-based, blank line not counted)
                (11, cat, "a \"quoted\" S", null, 7L, 25, 5.0, 0.6f),
            ],
            tasks.Select(t => (t.SourceLine!.Value, t.ConceptId, t.Prompt, t.NegativePrompt, t.Seed, t.Steps, t.Guidance, (float)t.Lambda)));
        Assert.All(tasks, t => Assert.Equal("dpmpp_2m", t.Scheduler));
        Assert.Equal(3, (await clients.DrainAsync<GenerateTask>(StorageNames.Queues.Generate)).Count);

        var redelivered = await new CsvJobIntake(clients).ProcessBlobAsync(name, default);
        Assert.Equal((true, result.JobId, 3), (redelivered.Repeated, redelivered.JobId, redelivered.TaskCount));
        Assert.Equal(0, await clients.CountAsync(StorageNames.Queues.Generate));
    }

    [Theory]
    [InlineData("", "the CSV file is empty")]
    [InlineData("dog-1,a photo of S\n", "the first line must be a header naming the columns concept_id and prompt (optional: negative_prompt, seed, steps, guidance, lambda); it is: dog-1,a photo of S")]
    [InlineData("concept_id,prompt,style\ndog-1,S\n", "the header has unknown column 'style'")]
    [InlineData("concept_id,prompt,prompt\n", "the header has prompt more than once")]
    [InlineData("concept_id,prompt\n", "the CSV has a header but no rows")]
    public async Task A_file_without_a_usable_header_or_rows_fails_the_job_with_a_clear_reason(string csv, string reason)
    {
        var result = await new CsvJobIntake(clients).ProcessBlobAsync(await UploadAsync(csv), default);

        Assert.Equal((JobStatus.Failed, 0), (result.Status, result.TaskCount));
        Assert.StartsWith(reason, result.Reason);
        Assert.Equal([new JobEvent(result.JobId, JobEvent.Completed)], await clients.DrainAsync<JobEvent>(StorageNames.Queues.JobEvents));
    }

    [Fact]
    public async Task A_file_whose_rows_are_all_invalid_fails_and_invalid_metadata_fails_the_whole_job()
    {
        var allInvalid = await new CsvJobIntake(clients).ProcessBlobAsync(await UploadAsync("concept_id,prompt\nghost,S\n"), default);
        Assert.Equal((JobStatus.Failed, 1), (allInvalid.Status, allInvalid.InvalidRowCount));
        Assert.StartsWith("no row is valid. 1 row is invalid: line 2: concept 'ghost' does not exist", allInvalid.Reason);

        var dog = await clients.AddConceptAsync();
        var badMetadata = await new CsvJobIntake(clients).ProcessBlobAsync(
            await UploadAsync($"concept_id,prompt\n{dog},S\n", new() { ["steps"] = "many", ["webhookurl"] = "ftp://x" }), default);
        Assert.Equal(JobStatus.Failed, badMetadata.Status);
        Assert.Equal("the blob metadata is invalid: webhookurl: must use http or https, not ftp; steps: 'many' is not a whole number", badMetadata.Reason);
        Assert.Equal(0, await clients.CountAsync(StorageNames.Queues.Generate));
    }

    [Fact]
    public async Task A_100k_row_csv_is_streamed_and_reading_stops_at_the_row_limit()
    {
        var dog = await clients.AddConceptAsync();
        var limits = new JobLimits { MaxCsvRows = 1000 };
        await using var csv = new GeneratedCsv($"concept_id,prompt,seed\n", 100_000, i => $"{dog},a photo of S number {i},{i}\n");

        var result = await new CsvJobIntake(clients, limits).ProcessAsync(new CsvJobSource(TestStorage.NewId("big"), "\"0x1\"", new Dictionary<string, string>()), csv, default);

        Assert.Equal((JobStatus.Queued, 1000, 0), (result.Status, result.TaskCount, result.InvalidRowCount));
        Assert.Equal("the CSV has more than 1000 rows: only the first 1000 were read", result.Reason);
        Assert.True((await clients.JobAsync(result.JobId)).RowsNotRead);
        Assert.Equal(1000, await clients.CountAsync(StorageNames.Queues.GenerateBulk)); // a large job waits in the bulk lane
        Assert.InRange(csv.BytesRead, 1, csv.TotalBytes / 10); // streamed: the file was not read to its end
    }

    [Fact]
    public async Task A_quoted_field_with_a_line_break_is_one_field_as_rfc_4180_says()
    {
        var dog = await clients.AddConceptAsync();
        var csv = $"concept_id,prompt,seed\n{dog},\"a photo of S\non two lines\",3\n{dog},S again,4\n";

        var result = await new CsvJobIntake(clients).ProcessBlobAsync(await UploadAsync(csv), default);

        Assert.Equal((2, 0, null), (result.TaskCount, result.InvalidRowCount, result.Reason));
        Assert.Contains("a photo of S\non two lines", (await clients.TasksAsync(result.JobId)).Select(t => t.Prompt));
    }

    [Fact]
    public async Task A_csv_replaced_while_it_is_read_ends_its_job_with_the_rows_read_and_says_why()
    {
        var dog = await clients.AddConceptAsync();
        var csv = "concept_id,prompt\n" + string.Concat(Enumerable.Range(0, 300).Select(i => $"{dog},S number {i}\n"));
        // What the SDK's stream, pinned to the version read (If-Match), does when a new upload replaces it mid-read.
        await using var replaced = new ReplacedAfter(Encoding.UTF8.GetBytes(csv), bytes: 4000);
        var source = new CsvJobSource(TestStorage.NewId("replaced"), "\"0x8DE0000000000001\"", new Dictionary<string, string>());

        var result = await new CsvJobIntake(clients).ProcessAsync(source, replaced, default);

        var job = await clients.JobAsync(result.JobId);
        Assert.True(job.IntakeComplete); // before: the job stayed Queued with no reason, forever
        Assert.True(job.RowsNotRead);
        Assert.InRange(job.TaskCount, 1, 299);
        Assert.Contains("replaced while it was read", job.Reason);
    }

    /// <summary>A stream that gives the first bytes of a file, then fails as a blob stream does once its version is replaced.</summary>
    private sealed class ReplacedAfter(byte[] content, int bytes) : MemoryStream(content[..bytes])
    {
        public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) =>
            Position < Length ? base.ReadAsync(buffer[..Math.Min(buffer.Length, 512)], cancellationToken)
            : throw new Azure.RequestFailedException(412, "The condition specified using HTTP conditional header(s) is not met.", "ConditionNotMet", null);

        public override int Read(byte[] buffer, int offset, int count) =>
            Position < Length ? base.Read(buffer, offset, Math.Min(count, 512))
            : throw new Azure.RequestFailedException(412, "The condition specified using HTTP conditional header(s) is not met.", "ConditionNotMet", null);
    }

    [Fact]
    public async Task A_runaway_row_stops_the_reading_and_the_rows_before_it_run()
    {
        var dog = await clients.AddConceptAsync();
        var csv = $"concept_id,prompt\n{dog},S one\n{dog},{new string('x', 40_000)}\n{dog},S three\n";

        var result = await new CsvJobIntake(clients).ProcessBlobAsync(await UploadAsync(csv), default);

        Assert.Equal((JobStatus.Queued, 1), (result.Status, result.TaskCount));
        Assert.Equal("line 3: a row longer than 32768 bytes (an unclosed quote?); reading stopped there", result.Reason);
        Assert.True((await clients.JobAsync(result.JobId)).RowsNotRead);
    }

    [Fact]
    public async Task The_uploader_finds_the_job_of_a_csv_in_a_receipt_beside_it()
    {
        var dog = await clients.AddConceptAsync();
        var name = await UploadAsync($"concept_id,prompt\n{dog},a photo of S\n");

        var result = await new CsvJobIntake(clients).ProcessBlobAsync(name, default);

        var receipt = (await clients.Container(StorageNames.Containers.Results).GetBlobClient(Elite.Core.Api.CsvJobReceipt.BlobName(name)).DownloadContentAsync()).Value;
        Assert.Equal("application/json", receipt.Details.ContentType);
        var read = receipt.Content.ToObjectFromJson<Elite.Core.Api.CsvJobReceipt>(new System.Text.Json.JsonSerializerOptions(System.Text.Json.JsonSerializerDefaults.Web))!;
        Assert.Equal((result.JobId, $"/api/jobs/{result.JobId}"), (read.JobId, read.Status));
    }

    [Fact]
    public async Task The_job_id_follows_the_blob_version()
    {
        Assert.Equal(CsvJobIntake.JobIdFor("prompts", "\"0x1\""), CsvJobIntake.JobIdFor("prompts", "\"0x1\""));
        Assert.NotEqual(CsvJobIntake.JobIdFor("prompts", "\"0x1\""), CsvJobIntake.JobIdFor("prompts", "\"0x2\""));
        Assert.True(ResourceId.IsValid(CsvJobIntake.JobIdFor(new string('n', 64), "e")));
        Assert.StartsWith("sub-dir-", CsvJobIntake.JobIdFor("sub/dir", "e"));
        await Task.CompletedTask;
    }

    /// <summary>A CSV of a header and <c>rows</c> generated rows, produced as it is read, counting the bytes read.</summary>
    private sealed class GeneratedCsv(string header, int rows, Func<int, string> row) : Stream
    {
        private byte[] _pending = Encoding.UTF8.GetBytes(header);
        private int _offset;
        private int _next;

        public long BytesRead { get; private set; }

        public long TotalBytes { get; } = Encoding.UTF8.GetByteCount(header) + Enumerable.Range(0, rows).Sum(i => (long)Encoding.UTF8.GetByteCount(row(i)));

        public override int Read(byte[] buffer, int offset, int count)
        {
            var written = 0;
            while (written < count)
            {
                if (_offset == _pending.Length)
                {
                    if (_next == rows)
                    {
                        break;
                    }

                    _pending = Encoding.UTF8.GetBytes(row(_next++));
                    _offset = 0;
                }

                var n = Math.Min(count - written, _pending.Length - _offset);
                Array.Copy(_pending, _offset, buffer, offset + written, n);
                _offset += n;
                written += n;
            }

            BytesRead += written;
            return written;
        }

        public override bool CanRead => true;
        public override bool CanSeek => false;
        public override bool CanWrite => false;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }
        public override void Flush() { }
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }
}
