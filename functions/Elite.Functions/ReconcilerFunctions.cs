using Elite.Core;
using Elite.Core.Reconciliation;
using Microsoft.Azure.Functions.Worker;
using Microsoft.Extensions.Logging;

namespace Elite.Functions;

/// <summary>Every five minutes: finishes what a crash or a lost event left unfinished (see <see cref="Reconciler"/>).</summary>
public sealed class ReconcilerFunctions(Reconciler reconciler, ILogger<ReconcilerFunctions> logger)
{
    [Function(FunctionNames.Reconcile)]
    public async Task Reconcile([TimerTrigger(Reconciler.Schedule)] TimerInfo timer, CancellationToken cancellationToken)
    {
        var report = await reconciler.RunAsync(cancellationToken);
        logger.LogInformation("Reconciled: {Report}", report);
    }
}
