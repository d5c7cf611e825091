using System.Text.Json;
using Elite.Core.Jobs;
using Elite.Core.Webhooks;

namespace Elite.Pipeline.Tests;

/// <summary>A job's <c>webhookEvents</c> filter, through the functions host and the worker, as a receiver sees it.</summary>
[Collection(PipelineCollection.Name)]
public sealed class WebhookEventsTests(PipelineFixture fixture)
{
    [Fact]
    public async Task A_job_gets_exactly_the_webhook_events_it_asked_for_with_each_finished_task_once()
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(5));
        var conceptId = await Uploads.ReadyConceptAsync(fixture, timeout.Token);
        var accepted = await fixture.Api.SubmitAsync(new JobSubmission
        {
            ConceptId = conceptId,
            Prompts = [new PromptRequest { Prompt = "a photo of S in the rain", Count = 6 }],
            Steps = 2,
            WebhookUrl = fixture.Webhooks.Url,
            WebhookEvents = [WebhookEvents.JobStarted, WebhookEvents.TaskCompleted],
            TaskEventIntervalSeconds = 1,
        }, null, timeout.Token);
        await Uploads.FinishedJobAsync(fixture, accepted.JobId, timeout.Token);

        List<JsonElement> Events() => [.. fixture.Webhooks.Received
            .Where(w => w.AnsweredWith is >= 200 and < 300 && w.Text.Contains(accepted.JobId, StringComparison.Ordinal))
            .DistinctBy(w => w.Id)
            .Select(w => JsonDocument.Parse(w.Body).RootElement)];
        List<string?> Ended() => [.. Events().Where(e => e.GetProperty("type").GetString() == WebhookEvents.TaskCompleted)
            .SelectMany(e => e.GetProperty("data").GetProperty("tasks").EnumerateArray()).Select(t => t.GetProperty("taskId").GetString())];
        await Uploads.UntilAsync(() => Task.FromResult(Ended().Count >= 6), timeout.Token); // the last window is sent when it closes
        await Task.Delay(TimeSpan.FromSeconds(3), timeout.Token); // nothing else may follow

        var types = Events().Select(e => e.GetProperty("type").GetString()).ToList();
        Assert.Equal(1, types.Count(t => t == WebhookEvents.JobStarted));
        Assert.DoesNotContain(WebhookEvents.JobCompleted, types);
        Assert.Equal(Enumerable.Range(0, 6).Select(TaskIds.Format), Ended().Order());
    }
}
