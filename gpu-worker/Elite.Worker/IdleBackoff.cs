namespace Elite.Worker;

/// <summary>Polling delay for an empty queue: 100 ms doubling to 2 s, back to 100 ms when work arrives.</summary>
internal sealed class IdleBackoff
{
    private static readonly TimeSpan First = TimeSpan.FromMilliseconds(100);
    private static readonly TimeSpan Longest = TimeSpan.FromSeconds(2);
    private TimeSpan next = First;

    public async Task WaitAsync(CancellationToken cancellationToken)
    {
        try
        {
            await Task.Delay(next, cancellationToken);
        }
        catch (OperationCanceledException)
        {
            return;
        }

        next = next * 2 > Longest ? Longest : next * 2;
    }

    public void Reset() => next = First;
}
