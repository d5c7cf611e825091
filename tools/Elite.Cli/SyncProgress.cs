namespace Elite.Cli;

/// <summary>Reports on the calling thread, in order (Progress&lt;T&gt; posts to the thread pool, out of order).</summary>
internal sealed class SyncProgress<T>(Action<T> report) : IProgress<T>
{
    public void Report(T value) => report(value);
}
