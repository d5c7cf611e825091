using Elite.Core;
using Elite.Core.Reconciliation;

namespace Elite.Functions.LocalHost;

/// <summary>
/// The timer-triggered functions, run every period by the local host (the WebJobs timer extension that NuGet serves
/// here does not load beside the storage extensions): the same function class as in Azure.
/// </summary>
public sealed class LocalTimers(ReconcilerFunctions reconciler, ILogger<LocalTimers> logger) : BackgroundService
{
    /// <summary>The timer functions run here, with the schedule their Azure trigger has.</summary>
    public static IReadOnlyList<(string Function, string Schedule)> All { get; } = [(FunctionNames.Reconcile, Reconciler.Schedule)];

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(Reconciler.Interval);
        while (await timer.WaitForNextTickAsync(stoppingToken))
        {
            try
            {
                await reconciler.Reconcile(new Microsoft.Azure.Functions.Worker.TimerInfo(), stoppingToken);
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                logger.LogError(e, "{Function} failed; it runs again in {Interval}", FunctionNames.Reconcile, Reconciler.Interval);
            }
        }
    }
}
