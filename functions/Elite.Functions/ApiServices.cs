using Elite.Core;
using Elite.Core.Callers;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace Elite.Functions;

/// <summary>What the functions need, registered once for the Azure Functions app and for its local host.</summary>
public static class ApiServices
{
    public static IServiceCollection AddApiFunctions(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddPipelineFunctions(configuration);
        services.AddSingleton(provider => new ApiGate(provider.GetRequiredService<CallerOptions>(), new ApiRateLimits(RateLimitOptions.FromConfiguration(configuration))));
        return services;
    }
}
