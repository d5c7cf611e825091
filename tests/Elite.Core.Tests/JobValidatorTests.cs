using Elite.Contracts.Generation;
using System.Text;
using Elite.Core.Jobs;

namespace Elite.Core.Tests;

public sealed class JobValidatorTests
{
    private static JobSubmission Valid() => new()
    {
        ConceptId = "dog-1",
        Prompts =
        [
            new PromptRequest { Prompt = "a photo of S on the beach", Seeds = [7, 8] },
            new PromptRequest { Prompt = "S in a watercolor painting", NegativePrompt = "blurry", Count = 3 },
            new PromptRequest { Prompt = "a close-up of S" },
        ],
        Scheduler = "Euler_A",
        WebhookUrl = "https://example.com/hooks/elite",
    };

    [Fact]
    public void A_valid_submission_expands_to_one_task_per_image_with_defaults()
    {
        Assert.Empty(JobValidator.Validate(Valid()));

        var tasks = JobValidator.ToImages(Valid());

        Assert.Equal([7L, 8, 0, 1, 2, 0], tasks.Select(t => t.Seed));
        Assert.Equal(["", "", "blurry", "blurry", "blurry", ""], tasks.Select(t => t.NegativePrompt));
        Assert.All(tasks, t => Assert.Equal((GenerationDefaults.Steps, GenerationDefaults.Guidance, GenerationDefaults.Lambda, SchedulerKind.EulerAncestral), (t.Steps, t.Guidance, t.Lambda, t.Scheduler)));
    }

    [Fact]
    public void Every_broken_rule_is_reported_at_once_with_its_field()
    {
        var submission = new JobSubmission
        {
            ConceptId = "not/valid",
            Prompts =
            [
                new PromptRequest { Prompt = "  " },
                new PromptRequest { Prompt = "ok S", NegativePrompt = new string('x', 1001) },
                new PromptRequest { Prompt = "ok S", Seeds = [1], Count = 2 },
                new PromptRequest { Prompt = "ok S", Seeds = [] },
                new PromptRequest { Prompt = "ok S", Seeds = [1, -1, 1L << 53] },
                new PromptRequest { Prompt = "ok S", Count = 0 },
                null,
                new PromptRequest { Prompt = new string('p', 1001) },
            ],
            Steps = 0,
            Guidance = 30.5f,
            Lambda = -0.1f,
            Scheduler = "heun",
            WebhookUrl = "ftp://example.com/x",
        };

        var problems = JobValidator.Validate(submission);

        Assert.Equal(
            [
                "conceptId", "prompts[0].prompt", "prompts[1].negativePrompt", "prompts[2]", "prompts[3].seeds", "prompts[4].seeds[1]",
                "prompts[4].seeds[2]", "prompts[5].count", "prompts[6]", "prompts[7].prompt", "steps", "guidance", "lambda", "scheduler", "webhookUrl",
            ],
            problems.Select(p => p.Field));
        Assert.Contains("is required", problems.Single(p => p.Field == "prompts[0].prompt").Message);
        Assert.Contains("seeds or count, not both", problems.Single(p => p.Field == "prompts[2]").Message);
        Assert.Contains("outside 1-150", problems.Single(p => p.Field == "steps").Message);
        Assert.Contains("outside 0-30", problems.Single(p => p.Field == "guidance").Message);
        Assert.Contains("outside 0-1.5", problems.Single(p => p.Field == "lambda").Message);
        Assert.Contains("lms, ddim, euler_a, dpmpp_2m", problems.Single(p => p.Field == "scheduler").Message);
        Assert.Contains("http or https", problems.Single(p => p.Field == "webhookUrl").Message);
    }

    [Fact]
    public void Missing_fields_and_job_size_limits_are_reported()
    {
        var empty = JobValidator.Validate(new JobSubmission());
        Assert.Equal(["conceptId", "prompts"], empty.Select(p => p.Field));

        var limits = new JobLimits { MaxPrompts = 3, MaxImagesPerJob = 10 };
        var tooManyPrompts = Valid() with { Prompts = [.. Enumerable.Range(0, 4).Select(_ => new PromptRequest { Prompt = "S" })] };
        Assert.Contains("at most 3", Assert.Single(JobValidator.Validate(tooManyPrompts, limits)).Message);

        var tooManyImages = Valid() with { Prompts = [new PromptRequest { Prompt = "S", Count = 6 }, new PromptRequest { Prompt = "S", Seeds = [1, 2, 3, 4, 5] }] };
        var problem = Assert.Single(JobValidator.Validate(tooManyImages, limits));
        Assert.Equal(("prompts", "ask for 11 images; a job may have at most 10"), (problem.Field, problem.Message));
    }

    [Theory]
    [InlineData("abc-123", null)]
    [InlineData("", "is empty")]
    [InlineData("tab\there", "printable ASCII")]
    [InlineData("é", "printable ASCII")]
    public void Idempotency_keys_are_printable_ascii(string key, string? problem)
    {
        var result = JobValidator.CheckIdempotencyKey(key, JobLimits.Default);
        if (problem is null)
        {
            Assert.Null(result);
        }
        else
        {
            Assert.Contains(problem, result);
        }

        Assert.Contains("at most 255", JobValidator.CheckIdempotencyKey(new string('k', 256), JobLimits.Default));
    }

    [Theory]
    [InlineData("a photo of a dog", "does not name the concept")] // found at intake, not by the worker hours later
    [InlineData("S and S", "2 times")]
    [InlineData("S with a \0 inside", "control character U+0000")] // no PNG text can hold it
    [InlineData("S’s dog isn’t here, “quoted”", null)] // pasted from a word processor: ’ is an apostrophe, as ftfy reads it
    [InlineData("a dog's toy and S", null)]
    [InlineData("S, close-up\non two lines", null)]
    public void A_prompt_names_the_concept_once_as_a_word_and_holds_no_control_character(string prompt, string? problem)
    {
        var found = JobValidator.CheckPrompt(prompt, required: true, JobLimits.Default);

        if (problem is null) Assert.Null(found);
        else Assert.Contains(problem, found);
    }

    [Fact]
    public void A_body_of_bad_seeds_is_described_up_to_the_report_limit_then_counted()
    {
        var submission = new JobSubmission { ConceptId = "dog-1", Prompts = [new PromptRequest { Prompt = "a photo of S", Seeds = [.. Enumerable.Repeat(-1L, 5000)] }] };

        var problems = JobValidator.Validate(submission, new JobLimits { MaxImagesPerJob = 10_000 });

        Assert.Equal(JobLimits.Default.MaxReportedProblems + 1, problems.Count);
        Assert.Equal(("prompts", $"{5000 - JobLimits.Default.MaxReportedProblems} more seeds are outside 0-{JobLimits.Default.MaxSeed}"), (problems[^1].Field, problems[^1].Message));
    }

    [Fact]
    public async Task Json_uses_web_casing_and_refuses_unknown_fields_bad_types_and_oversized_bodies()
    {
        const string json = """
            {"conceptId":"dog-1","prompts":[{"prompt":"a photo of S","negativePrompt":"blurry","seeds":[1,2]},{"prompt":"S","count":2}],
             "steps":30,"guidance":7.5,"lambda":0.5,"scheduler":"ddim","webhookUrl":"https://example.com/h"}
            """;
        var read = await Read(json);
        Assert.Empty(read.Problems);
        Assert.Equal(("dog-1", 30, 7.5f, 0.5f, "ddim"), (read.Submission!.ConceptId, read.Submission.Steps, read.Submission.Guidance, read.Submission.Lambda, read.Submission.Scheduler));
        Assert.Equal([1L, 2], read.Submission.Prompts![0]!.Seeds);
        Assert.Equal(2, read.Submission.Prompts[1]!.Count);

        var unknown = Assert.Single((await Read("""{"conceptId":"dog-1","prompts":[{"prompt":"S","negative_prompt":"x"}]}""")).Problems);
        Assert.Contains("negative_prompt", unknown.Field + unknown.Message);
        Assert.Equal("is not a field of a prompt; the fields are prompt, negativePrompt, seeds, count", unknown.Message); // no .NET type names
        Assert.Contains("the fields are conceptId, prompts, steps", Assert.Single((await Read("""{"concept":"dog-1"}""")).Problems).Message);

        var badType = Assert.Single((await Read("""{"conceptId":"dog-1","prompts":[{"prompt":"S"}],"steps":"many"}""")).Problems);
        Assert.Equal("steps", badType.Field);

        Assert.Equal("body", Assert.Single((await Read("{not json")).Problems).Field);
        Assert.Contains("empty", Assert.Single((await Read("")).Problems).Message);

        var big = $$"""{"conceptId":"dog-1","prompts":[{"prompt":"{{new string('x', 2000)}}"}]}""";
        var tooLarge = await JobSubmissionJson.ReadAsync(new MemoryStream(Encoding.UTF8.GetBytes(big)), new JobLimits { MaxRequestBytes = 1000 }, default);
        Assert.Contains("larger than 1000 bytes", Assert.Single(tooLarge.Problems).Message);
    }

    private static Task<JobSubmissionRead> Read(string json) =>
        JobSubmissionJson.ReadAsync(new MemoryStream(Encoding.UTF8.GetBytes(json)), null, default);

    [Fact]
    public void Webhook_events_need_a_webhook_url_and_known_names_and_the_task_interval_has_bounds()
    {
        var valid = new JobSubmission { ConceptId = "dog", Prompts = [new PromptRequest { Prompt = "a photo of S" }], WebhookUrl = "https://example.com/hook" };
        Assert.Empty(JobValidator.Validate(valid with { WebhookEvents = ["job.started", "task.completed", "job.completed"], TaskEventIntervalSeconds = 30 }));

        Assert.Contains(JobValidator.Validate(valid with { WebhookUrl = null, WebhookEvents = ["job.started"] }), p => p == new ValidationProblem("webhookEvents", "needs a webhookUrl to send them to"));
        var unknown = Assert.Single(JobValidator.Validate(valid with { WebhookEvents = ["job.started", "job.progress", null] }));
        Assert.Equal(("webhookEvents", true), (unknown.Field, unknown.Message.Contains("unknown events (job.progress, null)")));
        Assert.Contains("is empty", Assert.Single(JobValidator.Validate(valid with { WebhookEvents = [] })).Message);
        Assert.Equal("taskEventIntervalSeconds", Assert.Single(JobValidator.Validate(valid with { TaskEventIntervalSeconds = 0 })).Field);
    }
}
