using Elite.Core.Jobs;
using Elite.Core.Messages;
using Elite.Core.Rows;
using Elite.Core.Storage;
using Microsoft.Extensions.Configuration;

namespace Elite.Core.Tests;

/// <summary>Fairness: which lane a job's tasks wait in, and its place in the line, as the intakes decide them.</summary>
[Collection(StorageCollection.Name)]
public sealed class JobLanesTests(StorageFixture storage) : IAsyncLifetime
{
    private readonly StorageClients clients = storage.Clients;

    public Task InitializeAsync() => clients.ClearQueuesAsync();

    public Task DisposeAsync() => Task.CompletedTask;

    private static JobSubmission Submission(string conceptId, int images) => new()
    {
        ConceptId = conceptId,
        Prompts = [new PromptRequest { Prompt = "a photo of S", Count = images }],
        Steps = 2,
    };

    [Fact]
    public async Task A_small_job_waits_in_the_interactive_lane_and_a_large_one_in_bulk_with_their_places_in_line()
    {
        var conceptId = await clients.AddConceptAsync();
        var intake = new JobIntake(clients);

        var large = await intake.SubmitAsync(Submission(conceptId, 150), TestStorage.Caller, null, default);
        var small = await intake.SubmitAsync(Submission(conceptId, 4), TestStorage.Caller, null, default);
        var second = await intake.SubmitAsync(Submission(conceptId, 64), TestStorage.Caller, null, default);

        Assert.Equal((JobLane.Bulk, 0), ((await clients.JobAsync(large.JobId!)).Lane, (await clients.JobAsync(large.JobId!)).QueuedAhead));
        Assert.Equal((JobLane.Interactive, 0), ((await clients.JobAsync(small.JobId!)).Lane, (await clients.JobAsync(small.JobId!)).QueuedAhead));
        Assert.Equal((JobLane.Interactive, 4), ((await clients.JobAsync(second.JobId!)).Lane, (await clients.JobAsync(second.JobId!)).QueuedAhead));
        Assert.All(await clients.DrainAsync<GenerateTask>(StorageNames.Queues.GenerateBulk), t => Assert.Equal(large.JobId, t.JobId));
        var interactive = await clients.DrainAsync<GenerateTask>(StorageNames.Queues.Generate);
        Assert.Equal((4, 64), (interactive.Count(t => t.JobId == small.JobId), interactive.Count(t => t.JobId == second.JobId)));
    }

    [Fact]
    public async Task A_csv_is_interactive_when_it_ends_within_its_first_batch_and_small_enough()
    {
        var conceptId = await clients.AddConceptAsync();
        var intake = new CsvJobIntake(clients);

        var smallCsv = await intake.ProcessAsync(Source("small"), Csv(conceptId, 3), default);
        var largeCsv = await intake.ProcessAsync(Source("large"), Csv(conceptId, 250), default);

        Assert.Equal(JobLane.Interactive, (await clients.JobAsync(smallCsv.JobId)).Lane);
        Assert.Equal(JobLane.Bulk, (await clients.JobAsync(largeCsv.JobId)).Lane);
        Assert.Equal(3, await clients.CountAsync(StorageNames.Queues.Generate));
        Assert.Equal(250, await clients.CountAsync(StorageNames.Queues.GenerateBulk));
    }

    [Fact]
    public async Task With_the_interactive_lane_off_every_job_waits_in_bulk_and_a_bad_setting_is_refused()
    {
        var conceptId = await clients.AddConceptAsync();
        var off = JobLanes.FromConfiguration(Settings("0"));

        var job = await new JobIntake(clients, lanes: off).SubmitAsync(Submission(conceptId, 1), TestStorage.Caller, null, default);

        Assert.Equal(JobLane.Bulk, (await clients.JobAsync(job.JobId!)).Lane);
        Assert.Equal(0, await clients.CountAsync(StorageNames.Queues.Generate));
        var refused = Assert.Throws<InvalidOperationException>(() => JobLanes.FromConfiguration(Settings("100")));
        Assert.Contains("Lanes__InteractiveMaxImages is 100: it takes 0 to 99", refused.Message);
        Assert.Equal(64, JobLanes.FromConfiguration(new ConfigurationBuilder().Build()).InteractiveMaxImages);
    }

    private static IConfiguration Settings(string max) =>
        new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?> { ["Lanes:InteractiveMaxImages"] = max }).Build();

    private static CsvJobSource Source(string name) => new(TestStorage.NewId(name), "\"0x1\"", new Dictionary<string, string>());

    private static MemoryStream Csv(string conceptId, int rows) =>
        new(System.Text.Encoding.UTF8.GetBytes("concept_id,prompt,seed\n" + string.Concat(Enumerable.Range(0, rows).Select(i => $"{conceptId},a photo of S {i},{i}\n"))));
}
