using Elite.Core;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.Abstractions;
using Microsoft.AspNetCore.Routing;

namespace Elite.Functions.LocalHost;

/// <summary>The HTTP functions on Kestrel, at the routes the Functions host gives them (<c>/api/...</c>), forwarding to the same classes.</summary>
public static class LocalHttpRoutes
{
    public const string Prefix = "/api/";

    /// <summary>Function name, HTTP method and route (without the prefix) of every HTTP function served here.</summary>
    public static IReadOnlyList<(string Function, string Method, string Route)> All { get; } =
    [
        (FunctionNames.SubmitJob, "post", "jobs"),
        (FunctionNames.GetJob, "get", "jobs/{id}"),
        (FunctionNames.GetConcept, "get", "concepts/{id}"),
    ];

    public static void Map(WebApplication app)
    {
        app.MapPost(Prefix + "jobs", (HttpContext http, JobFunctions jobs, CancellationToken cancellationToken) =>
            Execute(http, jobs.SubmitJob(http.Request, cancellationToken)));
        app.MapGet(Prefix + "jobs/{id}", (HttpContext http, string id, JobFunctions jobs, CancellationToken cancellationToken) =>
            Execute(http, jobs.GetJob(http.Request, id, cancellationToken)));
        app.MapGet(Prefix + "concepts/{id}", (HttpContext http, string id, StatusFunctions status, CancellationToken cancellationToken) =>
            Execute(http, status.GetConcept(http.Request, id, cancellationToken)));
    }

    private static async Task Execute(HttpContext http, Task<IActionResult> result) =>
        await (await result).ExecuteResultAsync(new ActionContext(http, http.GetRouteData(), new ActionDescriptor()));
}
