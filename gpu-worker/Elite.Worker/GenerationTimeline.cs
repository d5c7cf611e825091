using System.Diagnostics;
using System.Diagnostics.Metrics;
using Elite.Contracts.Generation;

namespace Elite.Worker;

/// <summary>Records the bounds of every generation call; the gap between calls also goes to the <c>elite.generation.gap</c> histogram.</summary>
public sealed class GenerationTimeline(Histogram<double> gaps)
{
    private readonly object _gate = new();
    private int _calls, _images;
    private long _firstStart, _lastEnd;
    private double _busySeconds, _gapSeconds;

    /// <summary>One call, from <see cref="Stopwatch.GetTimestamp"/> values.</summary>
    public void Record(long started, long ended, int images)
    {
        lock (_gate)
        {
            if (_calls == 0)
            {
                _firstStart = started;
            }
            else
            {
                var gap = Stopwatch.GetElapsedTime(_lastEnd, started).TotalSeconds;
                _gapSeconds += gap;
                gaps.Record(gap);
            }

            _calls++;
            _images += images;
            _lastEnd = ended;
            _busySeconds += Stopwatch.GetElapsedTime(started, ended).TotalSeconds;
        }
    }

    public GenerationDuty Snapshot()
    {
        lock (_gate)
        {
            var wall = _calls == 0 ? 0 : Stopwatch.GetElapsedTime(_firstStart, _lastEnd).TotalSeconds;
            return new(_calls, _images, _busySeconds, wall, _calls > 1 ? _gapSeconds / (_calls - 1) * 1000 : 0);
        }
    }
}
