using Elite.Core;
using Elite.Core.Api;
using Elite.Core.Rows;
using Elite.Core.Storage;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Azure.Functions.Worker;

namespace Elite.Functions;

/// <summary><c>GET /api/status</c>: the queues' depths and the workers seen recently.</summary>
public sealed class StatusFunctions(StorageClients clients, ApiGate gate)
{
    [Function(FunctionNames.GetStatus)]
    public async Task<IActionResult> GetStatus([HttpTrigger(AuthorizationLevel.Function, "get", Route = ApiRoutes.Status)] HttpRequest request, CancellationToken cancellationToken)
    {
        var (caller, refusal) = gate.Admit(request, RequestKind.Read);
        if (caller is null) return refusal!;
        var now = DateTimeOffset.UtcNow;
        var queues = await Task.WhenAll(StorageNames.Queues.All.Select(async name =>
            new QueueDepth(name, (await clients.Queue(name).GetPropertiesAsync(cancellationToken)).Value.ApproximateMessagesCount)));
        var since = now - WorkerRow.SeenRecently;
        var workers = new List<WorkerSeen>();
        await foreach (var row in clients.Table(StorageNames.Tables.Workers).QueryAsync<WorkerRow>(
            w => w.PartitionKey == WorkerRow.PartitionKeyValue && w.LastSeenAt >= since, cancellationToken: cancellationToken))
        {
            workers.Add(new WorkerSeen(row.Instance, row.PackId, row.Provider, row.MaxBatch, row.StartedAt, row.LastSeenAt));
        }

        return new OkObjectResult(new ServiceStatus(now, queues, workers));
    }
}
