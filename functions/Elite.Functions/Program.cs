using Elite.Functions;
using Microsoft.Azure.Functions.Worker.Builder;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

var builder = FunctionsApplication.CreateBuilder(args);
builder.ConfigureFunctionsWebApplication();
builder.Logging.AddFilter("Azure.Core", LogLevel.Error); // expected 404 probes are logged as warnings
builder.Services.AddApiFunctions(builder.Configuration);
builder.Build().Run();
