using System.Text.Json;
using Elite.Core.Jobs;
using Elite.Core.Messages;
using Elite.Core.Rows;
using Elite.Core.Storage;
using Elite.Core.Webhooks;
using Microsoft.Extensions.Configuration;

namespace Elite.Core.Tests;

[Collection(StorageCollection.Name)]
public sealed class WebhookDeliveryTests(StorageFixture storage) : IAsyncLifetime
{
    private static readonly string Secret = WebhookSecret.Generate();
    private readonly StorageClients clients = storage.Clients;

    public Task InitializeAsync() => clients.ClearQueuesAsync();

    public Task DisposeAsync() => Task.CompletedTask;

    private JobEventHandler Handler(WebhookOptions? options = null)
    {
        options ??= new WebhookOptions { SigningSecret = Secret, AllowPrivateAddresses = true };
        var policy = new WebhookUrlPolicy(options);
        var delivery = new WebhookDelivery(WebhookDelivery.CreateHttpClient(policy, options), WebhookSigner.FromOptions(options), policy, options);
        return new JobEventHandler(clients, delivery, options, new BlobLinks(clients));
    }

    /// <summary>A finished job of three tasks, two of them with images.</summary>
    private async Task<string> FinishedJobAsync(string? webhookUrl)
    {
        var jobId = TestStorage.NewId("job");
        await clients.Table(StorageNames.Tables.Jobs).AddEntityAsync(new JobRow(jobId)
        {
            Status = JobStatus.PartiallySucceeded, Source = "http", TaskCount = 3, SucceededCount = 2, FailedCount = 1, IntakeComplete = true,
            WebhookUrl = webhookUrl, CompletedAt = DateTimeOffset.Parse("2026-11-26T10:00:00Z"),
        });
        foreach (var (taskId, status) in new[] { ("000000", ImageTaskStatus.Succeeded), ("000001", ImageTaskStatus.Failed), ("000002", ImageTaskStatus.Succeeded) })
        {
            await clients.Table(StorageNames.Tables.Tasks).AddEntityAsync(new TaskRow(jobId, taskId)
            {
                Status = status, ResultBlob = status == ImageTaskStatus.Succeeded ? BlobPaths.Result(jobId, taskId) : null,
            });
        }

        return jobId;
    }

    [Fact]
    public async Task Three_failures_then_success_keep_one_webhook_id_wait_as_standard_webhooks_schedules_and_record_one_delivery()
    {
        await using var receiver = new WebhookReceiver(null, 500, 503, 500);
        var jobId = await FinishedJobAsync(receiver.Url);
        var handler = Handler();
        var jobEvent = new JobEvent(jobId, JobEvent.Completed);

        var delays = new List<TimeSpan>();
        for (var dequeueCount = 1; dequeueCount <= 3; dequeueCount++)
        {
            delays.Add((await Assert.ThrowsAsync<RetryLaterException>(() => handler.HandleAsync(jobEvent, dequeueCount, default))).Delay);
        }

        var retrying = await clients.JobAsync(jobId);
        Assert.Equal(WebhookState.Retrying, retrying.WebhookStatus);
        Assert.InRange(retrying.NextWebhookAttemptAt!.Value - DateTimeOffset.UtcNow, delays[2] - TimeSpan.FromSeconds(30), delays[2]);

        var outcome = await handler.HandleAsync(jobEvent, 4, default);
        var again = await handler.HandleAsync(jobEvent, 5, default);

        Assert.Equal((JobEventOutcome.Delivered, JobEventOutcome.AlreadyHandled), (outcome, again));
        Assert.InRange(delays[0], TimeSpan.FromSeconds(4), TimeSpan.FromSeconds(5));
        Assert.InRange(delays[1], TimeSpan.FromMinutes(4), TimeSpan.FromMinutes(5));
        Assert.InRange(delays[2], TimeSpan.FromMinutes(24), TimeSpan.FromMinutes(30));

        var received = receiver.Received;
        Assert.Equal([500, 503, 500, 200], received.Select(r => r.AnsweredWith));
        Assert.All(received, r => Assert.Equal(JobEventHandler.MessageIdFor(jobId), r.Id));
        var verifier = new WebhookVerifier(Secret);
        Assert.All(received, r => Assert.True(verifier.Verify(r.Id, r.Timestamp, r.Signature, r.Body).IsValid));
        Assert.All(received, r => Assert.StartsWith("application/json", r.ContentType));

        using var body = JsonDocument.Parse(received[^1].Body);
        Assert.Equal("job.completed", body.RootElement.GetProperty("type").GetString());
        Assert.Equal(DateTimeOffset.Parse("2026-11-26T10:00:00Z"), body.RootElement.GetProperty("timestamp").GetDateTimeOffset());
        var data = body.RootElement.GetProperty("data");
        Assert.Equal((jobId, "partiallySucceeded", 3, 2, 1), (data.GetProperty("jobId").GetString(), data.GetProperty("status").GetString(),
            data.GetProperty("taskCount").GetInt32(), data.GetProperty("succeededCount").GetInt32(), data.GetProperty("failedCount").GetInt32()));
        Assert.Equal([BlobPaths.Result(jobId, "000000"), BlobPaths.Result(jobId, "000002")],
            data.GetProperty("results").EnumerateArray().Select(r => r.GetProperty("blob").GetString()));
        Assert.All(data.GetProperty("results").EnumerateArray(), r =>
        {
            Assert.Contains(r.GetProperty("blob").GetString()!, r.GetProperty("url").GetString());
            Assert.InRange(r.GetProperty("urlExpiresOn").GetDateTimeOffset() - DateTimeOffset.UtcNow, BlobLinks.Lifetime - TimeSpan.FromMinutes(2), BlobLinks.Lifetime);
        });
        Assert.False(data.GetProperty("resultsTruncated").GetBoolean());

        var job = await clients.JobAsync(jobId);
        Assert.Equal((WebhookState.Delivered, 4, true, (DateTimeOffset?)null), (job.WebhookStatus, job.WebhookAttempts, job.WebhookDeliveredAt is not null, job.NextWebhookAttemptAt));
        Assert.Equal("the receiver answered 500 Internal Server Error", job.LastWebhookError);
    }

    [Fact]
    public void The_default_schedule_is_standard_webhooks_about_three_days_and_later_attempts_repeat_its_last_wait()
    {
        var options = new WebhookOptions { SigningSecret = Secret };
        string[] expected = ["00:00:05", "00:05:00", "00:30:00", "02:00:00", "05:00:00", "10:00:00", "14:00:00", "20:00:00", "1.00:00:00"];
        Assert.Equal(expected, options.RetrySchedule.Select(t => t.ToString("c")));
        Assert.Equal(10, options.MaxAttempts);
        Assert.InRange(options.RetrySchedule.Aggregate(TimeSpan.Zero, (sum, t) => sum + t), TimeSpan.FromDays(3), TimeSpan.FromDays(3.5));
        var configured = WebhookOptions.FromConfiguration(new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Webhooks:RetrySchedule"] = "00:00:01, 00:00:04",
            ["Webhooks:MaxAttempts"] = "40",
        }).Build());
        var policy = new WebhookUrlPolicy(configured);
        var delivery = new WebhookDelivery(WebhookDelivery.CreateHttpClient(policy, configured), WebhookSigner.FromOptions(options), policy, configured);
        Assert.InRange(delivery.RetryDelay(1), TimeSpan.FromSeconds(0.8), TimeSpan.FromSeconds(1));
        Assert.InRange(delivery.RetryDelay(30), TimeSpan.FromSeconds(3.2), TimeSpan.FromSeconds(4));
        Assert.Equal(40, configured.MaxAttempts);
    }

    [Fact]
    public async Task After_the_last_attempt_the_handler_gives_up_and_records_why()
    {
        await using var receiver = new WebhookReceiver(null, 500, 500, 500);
        var jobId = await FinishedJobAsync(receiver.Url);
        var handler = Handler(new WebhookOptions { SigningSecret = Secret, AllowPrivateAddresses = true, MaxAttempts = 2 });
        var jobEvent = new JobEvent(jobId, JobEvent.Completed);

        await Assert.ThrowsAsync<RetryLaterException>(() => handler.HandleAsync(jobEvent, 1, default));
        // A re-sent message starts at dequeue count 1 again: the attempts on the row still count.
        var outcome = await handler.HandleAsync(jobEvent, 1, default);

        Assert.Equal(JobEventOutcome.GaveUp, outcome);
        var job = await clients.JobAsync(jobId);
        Assert.Equal((WebhookState.GaveUp, 2), (job.WebhookStatus, job.WebhookAttempts));
        Assert.Equal("webhook not delivered: gave up after 2 attempts; the last: the receiver answered 500 Internal Server Error", job.Reason);
        Assert.Equal(JobEventOutcome.AlreadyHandled, await handler.HandleAsync(jobEvent, 3, default));
        Assert.Equal(2, receiver.Received.Count);
    }

    [Fact]
    public async Task A_410_gone_stops_at_once()
    {
        await using var receiver = new WebhookReceiver(null, 410);
        var jobId = await FinishedJobAsync(receiver.Url);

        Assert.Equal(JobEventOutcome.GaveUp, await Handler().HandleAsync(new JobEvent(jobId, JobEvent.Completed), 1, default));
        Assert.Contains("410 Gone", (await clients.JobAsync(jobId)).LastWebhookError);
    }

    [Fact]
    public async Task Without_allowing_private_addresses_nothing_reaches_a_loopback_receiver()
    {
        await using var receiver = new WebhookReceiver();
        var jobId = await FinishedJobAsync(receiver.Url);
        var strict = new WebhookOptions { SigningSecret = Secret };

        var outcome = await Handler(strict).HandleAsync(new JobEvent(jobId, JobEvent.Completed), 1, default);

        Assert.Equal(JobEventOutcome.GaveUp, outcome);
        Assert.Contains("loopback", (await clients.JobAsync(jobId)).LastWebhookError);

        // The connection itself is checked too, whatever checked the URL before (DNS rebinding).
        using var http = WebhookDelivery.CreateHttpClient(new WebhookUrlPolicy(strict), strict);
        var error = await Assert.ThrowsAsync<HttpRequestException>(() => http.PostAsync(receiver.Url, new StringContent("{}")));
        Assert.IsType<WebhookUrlRefusedException>(error.InnerException);
        Assert.Empty(receiver.Received);
    }

    [Fact]
    public async Task Jobs_without_webhook_or_gone_need_nothing_and_unknown_events_are_poison()
    {
        var handler = Handler();

        Assert.Equal(JobEventOutcome.NoWebhook, await handler.HandleAsync(new JobEvent(await FinishedJobAsync(null), JobEvent.Completed), 1, default));
        Assert.Equal(JobEventOutcome.JobNotFound, await handler.HandleAsync(new JobEvent("no-such-job", JobEvent.Completed), 1, default));
        await Assert.ThrowsAsync<InvalidMessageException>(() => handler.HandleAsync(new JobEvent("x", "paused"), 1, default));
        await Assert.ThrowsAsync<InvalidMessageException>(() => handler.HandleAsync(new JobEvent("x", JobEvent.TasksCompleted), 1, default)); // no window
    }

    [Fact]
    public async Task A_retry_can_be_scheduled_as_a_delayed_message()
    {
        await Handler().ScheduleRetryAsync(new JobEvent("job-x", JobEvent.Completed), TimeSpan.FromMinutes(5), default);

        Assert.Equal(1, await clients.CountAsync(StorageNames.Queues.JobEvents));
        Assert.Empty((await clients.Queue(StorageNames.Queues.JobEvents).ReceiveMessagesAsync(32)).Value);
    }

    [Fact]
    public async Task Submission_to_signed_webhook_end_to_end()
    {
        await using var receiver = new WebhookReceiver();
        var conceptId = await clients.AddConceptAsync();
        var submitted = await new JobIntake(clients).SubmitAsync(
            new JobSubmission { ConceptId = conceptId, Prompts = [new PromptRequest { Prompt = "a photo of S", Count = 2 }], WebhookUrl = receiver.Url }, TestStorage.Caller, null, default);
        var accounting = new JobAccounting(clients);
        foreach (var task in await clients.DrainAsync<GenerateTask>(StorageNames.Queues.Generate))
        {
            await accounting.MarkTaskRunningAsync(task.JobId, task.TaskId, null, default);
            await accounting.RecordTaskResultAsync(task.JobId, task.TaskId, ImageTaskStatus.Succeeded, null, null, default);
        }

        var jobEvent = Assert.Single(await clients.DrainAsync<JobEvent>(StorageNames.Queues.JobEvents));
        Assert.Equal(JobEventOutcome.Delivered, await Handler().HandleAsync(jobEvent, 1, default));

        var webhook = Assert.Single(receiver.Received);
        Assert.True(new WebhookVerifier(Secret).Verify(webhook.Id, webhook.Timestamp, webhook.Signature, webhook.Body).IsValid);
        using var body = JsonDocument.Parse(webhook.Body);
        Assert.Equal((submitted.JobId, "succeeded"), (body.RootElement.GetProperty("data").GetProperty("jobId").GetString(), body.RootElement.GetProperty("data").GetProperty("status").GetString()));
    }

    [Fact]
    public async Task A_job_asking_for_started_and_task_events_gets_exactly_those_each_task_once_and_no_completion()
    {
        await using var receiver = new WebhookReceiver();
        var conceptId = await clients.AddConceptAsync();
        var submitted = await new JobIntake(clients).SubmitAsync(
            new JobSubmission
            {
                ConceptId = conceptId,
                Prompts = [new PromptRequest { Prompt = "a photo of S", Count = 5 }],
                WebhookUrl = receiver.Url,
                WebhookEvents = [WebhookEvents.JobStarted, WebhookEvents.TaskCompleted],
                TaskEventIntervalSeconds = 1,
            },
            TestStorage.Caller, null, default);
        var accounting = new JobAccounting(clients);
        var tasks = (await clients.DrainAsync<GenerateTask>(StorageNames.Queues.Generate)).OrderBy(t => t.TaskId).ToList();
        foreach (var task in tasks) await accounting.MarkTaskRunningAsync(task.JobId, task.TaskId, null, default);
        for (var i = 0; i < tasks.Count; i++)
        {
            if (i == 3) await Task.Delay(TimeSpan.FromSeconds(1.5)); // the first window has closed: the last two tasks open a second
            var failed = i == 4;
            await accounting.RecordTaskResultAsync(submitted.JobId!, tasks[i].TaskId, failed ? ImageTaskStatus.Failed : ImageTaskStatus.Succeeded, null, failed ? "the prompt was refused" : null, default);
        }

        var handler = Handler();
        var outcomes = new List<(string Kind, JobEventOutcome Outcome)>();
        var events = clients.Queue(StorageNames.Queues.JobEvents);
        for (var wait = 0; wait < 100 && outcomes.Count < 4; wait++) // started, two windows, completed; the windows come delayed
        {
            foreach (var message in (await events.ReceiveMessagesAsync(32)).Value)
            {
                var jobEvent = QueueMessages.Deserialize<JobEvent>(message.Body.ToString());
                outcomes.Add((jobEvent.Kind, await handler.HandleAsync(jobEvent, (int)message.DequeueCount, default)));
                await events.DeleteMessageAsync(message.MessageId, message.PopReceipt);
            }

            await Task.Delay(100);
        }

        Assert.Equal(
            [(JobEvent.Completed, JobEventOutcome.NoWebhook), (JobEvent.Started, JobEventOutcome.Delivered), (JobEvent.TasksCompleted, JobEventOutcome.Delivered), (JobEvent.TasksCompleted, JobEventOutcome.Delivered)],
            outcomes.Order());
        var bodies = receiver.Received.Select(r => JsonDocument.Parse(r.Body).RootElement).ToList();
        Assert.Equal([WebhookEvents.JobStarted, WebhookEvents.TaskCompleted, WebhookEvents.TaskCompleted], bodies.Select(b => b.GetProperty("type").GetString()).Order());
        Assert.Equal(3, receiver.Received.Select(r => r.Id).Distinct().Count());
        Assert.All(receiver.Received, r => Assert.True(new WebhookVerifier(Secret).Verify(r.Id, r.Timestamp, r.Signature, r.Body).IsValid));
        var ended = bodies.Where(b => b.GetProperty("type").GetString() == WebhookEvents.TaskCompleted)
            .SelectMany(b => b.GetProperty("data").GetProperty("tasks").EnumerateArray()).ToList();
        Assert.Equal(tasks.Select(t => t.TaskId), ended.Select(t => t.GetProperty("taskId").GetString()).Order());
        var refused = ended.Single(t => t.GetProperty("status").GetString() == "failed");
        Assert.Equal(("the prompt was refused", JsonValueKind.Null), (refused.GetProperty("reason").GetString(), refused.GetProperty("url").ValueKind));
        Assert.All(ended.Where(t => t.GetProperty("status").GetString() == "succeeded"), t => Assert.StartsWith("http", t.GetProperty("url").GetString()));
    }
}
