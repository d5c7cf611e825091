using Elite.Core;
using Elite.Core.Api;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.Abstractions;
using Microsoft.AspNetCore.Routing;

namespace Elite.Functions.LocalHost;

/// <summary>The HTTP functions on Kestrel, at the routes the Functions host gives them (<c>/api/...</c>), forwarding to the same classes.</summary>
public static class LocalHttpRoutes
{
    public const string Prefix = "/" + ApiRoutes.Prefix;

    /// <summary>Function name, HTTP method and route (without the prefix) of every HTTP function served here.</summary>
    public static IReadOnlyList<(string Function, string Method, string Route)> All { get; } =
    [
        (FunctionNames.SubmitJob, "post", ApiRoutes.Jobs),
        (FunctionNames.GetJob, "get", ApiRoutes.Job),
        (FunctionNames.GetConcept, "get", ApiRoutes.Concept),
    ];

    public static void Map(WebApplication app)
    {
        app.MapPost(Prefix + ApiRoutes.Jobs, (HttpContext http, JobFunctions jobs, CancellationToken cancellationToken) =>
            Execute(http, jobs.SubmitJob(http.Request, cancellationToken)));
        app.MapGet(Prefix + ApiRoutes.Job, (HttpContext http, string id, JobFunctions jobs, CancellationToken cancellationToken) =>
            Execute(http, jobs.GetJob(http.Request, id, cancellationToken)));
        app.MapGet(Prefix + ApiRoutes.Concept, (HttpContext http, string id, StatusFunctions status, CancellationToken cancellationToken) =>
            Execute(http, status.GetConcept(http.Request, id, cancellationToken)));
    }

    private static async Task Execute(HttpContext http, Task<IActionResult> result) =>
        await (await result).ExecuteResultAsync(new ActionContext(http, http.GetRouteData(), new ActionDescriptor()));
}
