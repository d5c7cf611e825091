using Elite.Core.Callers;
using Elite.Core.Concepts;
using Elite.Core.Jobs;
using Elite.Core.Reconciliation;
using Elite.Core.Storage;
using Elite.Core.Webhooks;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace Elite.Core;

/// <summary>What the functions call into, registered once for the Azure Functions app and for its local host.</summary>
public static class PipelineServices
{
    public static IServiceCollection AddPipelineFunctions(this IServiceCollection services, IConfiguration configuration)
    {
        var clients = new StorageClients(StorageConnection.FromConfiguration(configuration));
        var webhooks = WebhookOptions.FromConfiguration(configuration);
        var urlPolicy = new WebhookUrlPolicy(webhooks.AllowPrivateAddresses);
        var callers = CallerOptions.FromConfiguration(configuration);
        services.AddSingleton(clients);
        services.AddSingleton(callers);
        var lanes = JobLanes.FromConfiguration(configuration);
        var csvJobs = new CsvJobIntake(clients, webhookUrls: urlPolicy, callers: callers, lanes: lanes);
        var concepts = new ConceptIntake(clients);
        services.AddSingleton(new JobIntake(clients, webhookUrls: urlPolicy, lanes: lanes));
        services.AddSingleton(csvJobs);
        services.AddSingleton(concepts);
        services.AddSingleton(new ConceptLifecycle(clients));
        services.AddSingleton(new Reconciler(clients, concepts, csvJobs, lanes: lanes));
        var links = new BlobLinks(clients);
        services.AddSingleton(links);
        services.AddSingleton(new ConceptImages(clients, links));
        services.AddSingleton(ResultRetention.FromConfiguration(configuration));
        services.AddSingleton(new JobList(clients));
        services.AddSingleton(new JobCancellation(clients));
        var delivery = new WebhookDelivery(WebhookDelivery.CreateHttpClient(urlPolicy, webhooks), new WebhookSigner(webhooks.SigningSecret ?? throw new InvalidOperationException(
            "Webhooks__SigningSecret is not set: webhooks are signed with it (whsec_ + base64 of 32 random bytes; in Azure, a Key Vault reference).")), urlPolicy, webhooks);
        services.AddSingleton(urlPolicy);
        services.AddSingleton(new JobEventHandler(clients, delivery, webhooks, links));
        services.AddSingleton(new ConceptEventHandler(clients, delivery));
        return services;
    }
}
