using System.Diagnostics.Metrics;

namespace Elite.Worker;

/// <summary>The worker's OpenTelemetry metrics (meter <c>Elite.Worker</c>).</summary>
public sealed class WorkerMetrics
{
    public const string MeterName = "Elite.Worker";

    public WorkerMetrics(IMeterFactory meters)
    {
        var meter = meters.Create(MeterName);
        QueueWait = meter.CreateHistogram<double>("elite.queue.wait", "s", "Time from enqueue to the start of processing.");
        BatchSize = meter.CreateHistogram<int>("elite.batch.size", "{image}", "Images per generation batch.");
        StepsPerSecond = meter.CreateHistogram<double>("elite.steps_per_second", "{step}/s", "Denoising steps per second of a batch.");
        Images = meter.CreateCounter<long>("elite.images", "{image}", "Images generated.");
        ImagesPerSecond = meter.CreateHistogram<double>("elite.images_per_second", "{image}/s", "Images per second of a batch.");
        Failures = meter.CreateCounter<long>("elite.failures", "{task}", "Tasks or concepts that failed, by kind.");
        Concepts = meter.CreateCounter<long>("elite.concepts.encoded", "{concept}", "Concepts encoded.");
        Generation = new GenerationTimeline(meter.CreateHistogram<double>("elite.generation.gap", "s", "Time the accelerator waited between two generation calls."));
    }

    public Histogram<double> QueueWait { get; }
    public Histogram<int> BatchSize { get; }
    public Histogram<double> StepsPerSecond { get; }
    public Counter<long> Images { get; }
    public Histogram<double> ImagesPerSecond { get; }
    public Counter<long> Failures { get; }
    public Counter<long> Concepts { get; }
    public GenerationTimeline Generation { get; }
}
