using Elite.Core.Storage;
using Elite.Worker;
using Microsoft.Extensions.Options;
using OpenTelemetry.Metrics;

var builder = WebApplication.CreateBuilder(args);
builder.Logging.AddFilter("Azure.Core", LogLevel.Error); // expected 404 probes are logged as warnings
builder.Services.AddOptions<WorkerOptions>().Bind(builder.Configuration.GetSection(WorkerOptions.SectionName)).ValidateDataAnnotations().ValidateOnStart();
builder.Services.AddSingleton(new StorageClients(StorageConnection.FromConfiguration(builder.Configuration)));
builder.Services.AddSingleton<WorkerRuntime>();
builder.Services.AddSingleton<WorkerMetrics>();
builder.Services.AddSingleton(services => new ConceptCache(services.GetRequiredService<IOptions<WorkerOptions>>().Value.ConceptCacheSize));
builder.Services.AddHostedService<EncodeWorker>();
builder.Services.AddHostedService<GenerateWorker>();
builder.Services.Configure<HostOptions>(host => host.ShutdownTimeout = TimeSpan.FromMinutes(5)); // lets a batch in hand finish on SIGTERM
builder.Services.AddOpenTelemetry().WithMetrics(metrics => metrics.AddMeter(WorkerMetrics.MeterName));

var app = builder.Build();
var runtime = app.Services.GetRequiredService<WorkerRuntime>(); // loads and verifies the pack before any work is taken
app.MapGet("/healthz", () => Results.Ok(new { status = "ready", pack = runtime.Models.Manifest.Id, provider = runtime.Models.ExecutionProvider }));
app.Run();
