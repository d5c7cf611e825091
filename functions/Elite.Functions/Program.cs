using Elite.Core.Concepts;
using Elite.Core.Jobs;
using Elite.Core.Storage;
using Elite.Core.Webhooks;
using Microsoft.Azure.Functions.Worker.Builder;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

var builder = FunctionsApplication.CreateBuilder(args);
builder.ConfigureFunctionsWebApplication();
builder.Logging.AddFilter("Azure.Core", LogLevel.Error); // expected 404 probes are logged as warnings

var clients = new StorageClients(StorageConnection.FromConfiguration(builder.Configuration));
var webhooks = WebhookOptions.FromConfiguration(builder.Configuration);
var urlPolicy = new WebhookUrlPolicy(webhooks.AllowPrivateAddresses);
builder.Services.AddSingleton(clients);
builder.Services.AddSingleton(new JobIntake(clients, webhookUrls: urlPolicy));
builder.Services.AddSingleton(new CsvJobIntake(clients, webhookUrls: urlPolicy));
builder.Services.AddSingleton(new ConceptIntake(clients));
builder.Services.AddSingleton(new JobEventHandler(
    clients,
    new WebhookDelivery(WebhookDelivery.CreateHttpClient(urlPolicy, webhooks), new WebhookSigner(webhooks.SigningSecret ?? ""), urlPolicy, webhooks),
    webhooks));
builder.Build().Run();
