using Azure.Data.Tables;
using Elite.Core.Configuration;
using Elite.Core.Rows;
using Elite.Core.Storage;
using Microsoft.Extensions.Options;

namespace Elite.Worker;

/// <summary>Keeps this worker's <see cref="WorkerRow"/> fresh while it runs, and removes it when it stops.</summary>
public sealed class WorkerHeartbeat(StorageClients clients, WorkerRuntime runtime, IOptions<WorkerOptions> options, ILogger<WorkerHeartbeat> logger) : BackgroundService
{
    private readonly WorkerRow _row = new($"{Environment.MachineName}-{Environment.ProcessId}") { StartedAt = DateTimeOffset.UtcNow };
    private readonly TableClient _workers = clients.Table(StorageNames.Tables.Workers);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(WorkerRow.Interval);
        do
        {
            try
            {
                await _workers.UpsertEntityAsync(
                    _row with { PackId = runtime.Models.Manifest.Id, Provider = runtime.Models.ExecutionProvider, MaxBatch = options.Value.MaxBatch, LastSeenAt = DateTimeOffset.UtcNow },
                    TableUpdateMode.Replace,
                    stoppingToken);
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                // Storage trouble, or a pack that failed to load: the consumers report those; a heartbeat must never stop the host.
                logger.LogWarning("Could not write the heartbeat: {Reason}", e.Message);
            }
        }
        while (await timer.WaitForNextTickAsync(stoppingToken).ConfigureAwait(false));
    }

    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        await base.StopAsync(cancellationToken);
        try
        {
            await _workers.DeleteEntityAsync(_row.PartitionKey, _row.RowKey, cancellationToken: cancellationToken);
        }
        catch (Exception e)
        {
            logger.LogWarning("Could not remove the heartbeat: {Reason}; it ages out", e.Message);
        }
    }
}
