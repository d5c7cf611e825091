namespace Elite.Contracts.Generation;

/// <summary>What a worker's <c>/healthz</c> answers once its pack is loaded.</summary>
public sealed record WorkerHealth(string Status, string Pack, string Provider, GenerationDuty Generation);

/// <summary>How busy the accelerator was since the worker started, as <c>/healthz</c> reports it (<c>elite bench worker</c> reads it).</summary>
/// <param name="Calls">Generation calls (one per batch of tasks that share steps and scheduler).</param>
/// <param name="Images">Images those calls generated.</param>
/// <param name="GenerationSeconds">Time inside the calls.</param>
/// <param name="WallSeconds">From the start of the first call to the end of the last.</param>
/// <param name="MeanGapMilliseconds">Mean time from the end of one call to the start of the next (idle time on an empty queue included).</param>
public sealed record GenerationDuty(int Calls, int Images, double GenerationSeconds, double WallSeconds, double MeanGapMilliseconds)
{
    /// <summary>Time inside generation ÷ wall time; 1 while the accelerator never waits.</summary>
    public double DutyCycle => WallSeconds > 0 ? GenerationSeconds / WallSeconds : 0;

    /// <summary>Wall time outside generation, per image: what the stages around generation cost when they do not overlap it.</summary>
    public double SerializedSecondsPerImage => Images > 0 ? (WallSeconds - GenerationSeconds) / Images : 0;
}
