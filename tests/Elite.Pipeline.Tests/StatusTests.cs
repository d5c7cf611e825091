using Elite.Core.Storage;

namespace Elite.Pipeline.Tests;

/// <summary><c>GET /api/status</c> against the running functions host and worker.</summary>
[Collection(PipelineCollection.Name)]
public sealed class StatusTests(PipelineFixture fixture)
{
    [Fact]
    public async Task The_status_lists_every_queue_and_the_running_worker_with_its_pack()
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(1));
        var status = await fixture.Api.GetStatusAsync(timeout.Token);

        Assert.Equal(StorageNames.Queues.All, status.Queues.Select(q => q.Name));
        Assert.All(status.Queues, q => Assert.True(q.ApproximateMessages >= 0));
        var worker = Assert.Single(status.Workers, w => w.Instance.EndsWith($"-{Environment.ProcessId}", StringComparison.Ordinal));
        Assert.Equal(("CPU", 4), (worker.Provider, worker.MaxBatch));
        Assert.StartsWith("tiny", worker.PackId, StringComparison.Ordinal);
        Assert.InRange(status.At - worker.LastSeenAt, TimeSpan.Zero, TimeSpan.FromMinutes(2));
    }
}
