using Elite.Core.Callers;
using Elite.Core.Storage;
using Microsoft.Azure.WebJobs;

namespace Elite.Functions.LocalHost;

/// <summary>The functions, locally: the WebJobs SDK runs the blob and queue triggers, Kestrel the HTTP routes.</summary>
public static class LocalFunctionsHost
{
    public static WebApplication Build(string[] args)
    {
        var builder = WebApplication.CreateBuilder(args);
        builder.Logging.AddFilter("Azure.Core", LogLevel.Error);
        // The WebJobs host keeps its own bookkeeping (blob receipts, locks) in AzureWebJobsStorage: locally, the same storage.
        builder.Configuration["AzureWebJobsStorage"] ??= builder.Configuration[StorageConnection.SettingName];
        // Every local request is the development caller unless it names a principal as App Service Authentication would.
        builder.Configuration[$"{CallerOptions.SectionName}:{nameof(CallerOptions.DefaultCaller)}"] ??= CallerOptions.DevelopmentCaller;
        builder.Services.AddApiFunctions(builder.Configuration);
        builder.Services.AddMvcCore();
        builder.Services.AddSingleton<ConceptFunctions>().AddSingleton<JobFunctions>().AddSingleton<WebhookFunctions>().AddSingleton<StatusFunctions>()
            .AddSingleton<ReconcilerFunctions>().AddSingleton<OpenApiFunctions>().AddSingleton<ConsoleFunctions>();
        builder.Services.AddHostedService<LocalTimers>();
        builder.Host.ConfigureWebJobs(webJobs =>
        {
            webJobs.AddAzureStorageCoreServices();
            webJobs.AddAzureStorageBlobs();
            webJobs.AddAzureStorageQueues(queues => queues.MessageEncoding = Azure.Storage.Queues.QueueMessageEncoding.Base64);
        });

        var app = builder.Build();
        LocalHttpRoutes.Map(app);
        return app;
    }
}
