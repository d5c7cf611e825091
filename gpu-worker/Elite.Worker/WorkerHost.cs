using Elite.Contracts.Generation;
using Elite.Core.Configuration;
using Elite.Core.Storage;
using Microsoft.Extensions.Options;

namespace Elite.Worker;

/// <summary>The worker process: both queue consumers, the shared runtime, metrics, and <c>/healthz</c>.</summary>
public static class WorkerHost
{
    public static WebApplication Build(string[] args)
    {
        var builder = WebApplication.CreateBuilder(args);
        builder.Logging.AddFilter("Azure.Core", LogLevel.Error); // expected 404 probes are logged as warnings
        builder.Services.AddOptions<WorkerOptions>().Bind(builder.Configuration.GetSection(WorkerOptions.SectionName)).ValidateDataAnnotations().ValidateOnStart();
        builder.Services.AddSingleton(new StorageClients(StorageConnection.FromConfiguration(builder.Configuration)));
        builder.Services.AddSingleton<WorkerRuntime>();
        builder.Services.AddSingleton<WorkerMetrics>();
        builder.Services.AddSingleton(services => new ConceptCache(services.GetRequiredService<IOptions<WorkerOptions>>().Value.ConceptCacheSize));
        builder.Services.AddHostedService<EncodeWorker>();
        builder.Services.AddHostedService<GenerateWorker>();
        builder.Services.AddHostedService<WorkerHeartbeat>();
        builder.Services.Configure<HostOptions>(host => host.ShutdownTimeout = TimeSpan.FromSeconds(WorkerOptions.ShutdownSeconds)); // lets a batch in hand finish on SIGTERM
        WorkerTelemetry.Add(builder.Services, builder.Configuration);

        var app = builder.Build();
        app.MapGet("/healthz", (WorkerRuntime runtime, WorkerMetrics metrics) => Results.Ok(new WorkerHealth("ready", runtime.Models.Manifest.Id, runtime.Models.ExecutionProvider, metrics.Generation.Snapshot())));
        return app;
    }
}
