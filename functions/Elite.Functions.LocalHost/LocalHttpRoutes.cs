using System.Reflection;
using Elite.Core.Api;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.Abstractions;
using Microsoft.AspNetCore.Routing;
using Microsoft.Azure.Functions.Worker;

namespace Elite.Functions.LocalHost;

/// <summary>
/// The HTTP functions on Kestrel, at the routes the Functions host gives them (<c>/api/...</c>): read from the
/// functions' own <see cref="HttpTriggerAttribute"/>s, so the trigger attributes are the one route table.
/// </summary>
public static class LocalHttpRoutes
{
    public const string Prefix = "/" + ApiRoutes.Prefix;

    /// <summary>One HTTP function: its name, method and route (without the prefix), and the method that runs it.</summary>
    public sealed record Route(string Function, string Method, string Template, MethodInfo Handler);

    /// <summary>Every HTTP function of the functions app.</summary>
    public static IReadOnlyList<Route> All { get; } =
    [
        .. from type in typeof(JobFunctions).Assembly.GetTypes()
           from handler in type.GetMethods()
           let function = handler.GetCustomAttribute<FunctionAttribute>()
           let trigger = handler.GetParameters().Select(p => p.GetCustomAttribute<HttpTriggerAttribute>()).FirstOrDefault(t => t is not null)
           where function is not null && trigger is not null
           from method in trigger.Methods ?? []
           select new Route(function.Name, method, trigger.Route ?? function.Name, handler),
    ];

    public static void Map(WebApplication app)
    {
        foreach (var route in All)
        {
            app.MapMethods(Prefix + route.Template, [route.Method.ToUpperInvariant()], (HttpContext http) => ExecuteAsync(http, route.Handler));
        }
    }

    /// <summary>Calls the function as the Functions host binds it: the request, route values by parameter name, the cancellation token.</summary>
    private static async Task ExecuteAsync(HttpContext http, MethodInfo handler)
    {
        var function = http.RequestServices.GetRequiredService(handler.DeclaringType!);
        var arguments = handler.GetParameters().Select(parameter =>
            parameter.ParameterType == typeof(HttpRequest) ? http.Request
            : parameter.ParameterType == typeof(CancellationToken) ? http.RequestAborted
            : (object?)http.GetRouteValue(parameter.Name!)?.ToString()).ToArray();
        var result = await (Task<IActionResult>)handler.Invoke(function, arguments)!;
        await result.ExecuteResultAsync(new ActionContext(http, http.GetRouteData(), new ActionDescriptor()));
    }
}
