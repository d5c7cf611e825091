using System.Net;
using System.Text;
using Elite.Core;
using Elite.Cli;
using Elite.Core.Api;
using Elite.Core.Jobs;
using Elite.Core.Rows;
using Elite.Core.Tests;
using Elite.Core.Webhooks;
using Elite.Functions.LocalHost;

namespace Elite.Pipeline.Tests;

/// <summary>Bad input through the running pipeline: each gets a clear error where the user looks, and what was accepted still runs.</summary>
[Collection(PipelineCollection.Name)]
public sealed class BadInputTests(PipelineFixture fixture)
{
    [Fact]
    public async Task Unusable_photos_reject_their_concept_with_the_reason_the_api_shows()
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(3));
        var photo = await File.ReadAllBytesAsync(CommandHelpers.AssetPath("chelsea.png"));
        var uploads = new (byte[] Bytes, string Reason)[]
        {
            (photo[..(photo.Length / 2)], "truncated"),                        // the header is fine: the worker's decoder finds it
            ("just some text, not a picture"u8.ToArray(), "not a PNG, JPEG or WebP image"), // refused at upload, from its first bytes
            (TestImages.HundredMegapixelPng(), "100,000,000 pixels"),                     // refused at upload, before any pixel is decoded
            ([], "empty"),
        };
        var conceptIds = new List<string>();
        foreach (var upload in uploads) conceptIds.Add(await Uploads.ConceptAsync(fixture, upload.Bytes, cancellationToken: timeout.Token));

        for (var i = 0; i < uploads.Length; i++)
        {
            var concept = await fixture.Api.WaitForConceptAsync(conceptIds[i], TimeSpan.FromMilliseconds(300), timeout.Token);
            Assert.Equal(ConceptStatus.Rejected, concept.Status);
            Assert.Contains(uploads[i].Reason, concept.Reason);
        }

        var job = await CliSubmitAsync(conceptIds[1]);
        Assert.Equal(2, job.ExitCode);
        Assert.Contains("was rejected", job.Error);
    }

    [Fact]
    public async Task A_csv_with_bad_rows_runs_its_good_rows_and_lists_the_bad_ones_by_line()
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(3));
        var conceptId = await Uploads.ReadyConceptAsync(fixture, timeout.Token);
        var csv = $"""
            concept_id,prompt,seed,steps
            {conceptId},a photo of S on a boat,3,2
            {conceptId},a photo of S,not-a-seed,2
            {conceptId},,4,2
            no-such-concept,a photo of S,5,2
            {conceptId},"a photo of S, unclosed,6,2
            """;
        var jobId = await Uploads.CsvJobAsync(fixture, Uploads.NewId("bad-rows"), csv.ReplaceLineEndings("\n"));

        var job = await Uploads.FinishedJobAsync(fixture, jobId, timeout.Token);
        Assert.Equal((JobStatus.PartiallySucceeded, 1, 1, 4), (job.Status, job.TaskCount, job.SucceededCount, job.InvalidRowCount));
        Assert.NotNull(job.Tasks.Single().Result);
        foreach (var expected in new[] { "line 3", "seed", "line 4", "prompt", "line 5", "no-such-concept", "line 6" }) Assert.Contains(expected, job.Reason);
    }

    [Fact]
    public async Task A_csv_without_its_header_or_with_100k_rows_is_refused_or_bounded_with_the_reason_on_the_job()
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(3));
        var headerless = await Uploads.CsvJobAsync(fixture, Uploads.NewId("headerless"), "some-concept,a photo of S,1\n");
        var rows = new StringBuilder("concept_id,prompt,seed\n");
        for (var i = 0; i < 100_000; i++) rows.Append("missing-concept,a photo of S,").Append(i).Append('\n');
        var huge = await Uploads.CsvJobAsync(fixture, Uploads.NewId("huge"), rows.ToString());

        var refused = await Uploads.FinishedJobAsync(fixture, headerless, timeout.Token);
        Assert.Equal((JobStatus.Failed, 0), (refused.Status, refused.TaskCount));
        Assert.Contains("header", refused.Reason);

        var bounded = await Uploads.FinishedJobAsync(fixture, huge, timeout.Token);
        Assert.Equal((JobStatus.Failed, 0), (bounded.Status, bounded.TaskCount));
        Assert.Contains($"more than {JobLimits.Default.MaxCsvRows} rows", bounded.Reason);
        Assert.Contains("missing-concept", bounded.Reason);
        Assert.True(bounded.Reason!.Length <= 24_001, "the reason stays bounded however many rows fail");
    }

    [Fact]
    public async Task Bad_http_submissions_get_400_with_every_problem_and_create_nothing()
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(3));
        var conceptId = await Uploads.ReadyConceptAsync(fixture, timeout.Token);

        var unknown = await CliSubmitAsync("no-such-concept-42");
        Assert.Equal(2, unknown.ExitCode);
        Assert.Contains("no-such-concept-42", unknown.Error);

        using var http = new HttpClient { BaseAddress = fixture.FunctionsUrl };
        var oversize = $$"""{"conceptId":"{{conceptId}}","prompts":[{"prompt":"a photo of S","negativePrompt":"{{new string('x', JobLimits.Default.MaxRequestBytes)}}"}]}""";
        var answer = await http.PostAsync("/api/jobs", new StringContent(oversize, Encoding.UTF8, "application/json"));
        Assert.Equal(HttpStatusCode.BadRequest, answer.StatusCode);
        Assert.Contains($"larger than {JobLimits.Default.MaxRequestBytes} bytes", await answer.Content.ReadAsStringAsync());

        var tooLong = await CliSubmitAsync(conceptId, "--prompt", "a photo of S " + string.Join(' ', Enumerable.Repeat("very", 1000)), "--steps", "500");
        Assert.Equal(2, tooLong.ExitCode);
        Assert.Contains("steps", tooLong.Error);
        Assert.Contains("prompt", tooLong.Error);
    }

    [Fact]
    public async Task Webhooks_to_loopback_private_or_metadata_addresses_are_refused_where_configuration_does_not_allow_them()
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(3));
        var conceptId = await Uploads.ReadyConceptAsync(fixture, timeout.Token);
        var url = new Uri($"http://127.0.0.1:{LoopbackPort.Free()}");
        await using var strict = LocalFunctionsHost.Build(["--urls", url.ToString(), $"--Webhooks:SigningSecret={WebhookSecret.Generate()}", "--Logging:LogLevel:Default=Warning"]);
        await strict.StartAsync();
        using var api = new PipelineApi(url, functionKey: null);

        foreach (var hook in new[] { "http://127.0.0.1:8080/hook", "http://10.1.2.3/hook", "http://169.254.169.254/latest/meta-data" })
        {
            var refused = await Assert.ThrowsAsync<PipelineApiException>(() => api.SubmitAsync(
                new JobSubmission { ConceptId = conceptId, Prompts = [new PromptRequest { Prompt = "a photo of S" }], WebhookUrl = hook }, null, timeout.Token));
            Assert.Equal(HttpStatusCode.BadRequest, refused.Status);
            Assert.Equal(nameof(JobSubmission.WebhookUrl), refused.Errors.Errors.Single().Field, StringComparer.OrdinalIgnoreCase);
        }
    }

    private Task<(int ExitCode, string Output, string Error)> CliSubmitAsync(string conceptId, params string[] more) =>
        Elite.Cli.Tests.Cli.RunAsync(["jobs", "submit", "--api", fixture.FunctionsUrl.ToString(), "--concept", conceptId, .. more.Length > 0 ? more : ["--prompt", "a photo of S"]]);
}
