namespace Elite.Core.Api;

/// <summary>
/// The body of <c>GET /api/status</c>: how much waits in each queue (the service's approximate counts) and the workers
/// heard from recently, with their pack, accelerator and batch size. The generate queue's depth over the workers'
/// batches is the honest wait a new job has ahead of it: queues are first in, first out.
/// </summary>
public sealed record ServiceStatus(DateTimeOffset At, IReadOnlyList<QueueDepth> Queues, IReadOnlyList<WorkerSeen> Workers);

public sealed record QueueDepth(string Name, int ApproximateMessages);

public sealed record WorkerSeen(string Instance, string PackId, string Provider, int MaxBatch, DateTimeOffset StartedAt, DateTimeOffset LastSeenAt);
