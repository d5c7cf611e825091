using Elite.Core;
using Elite.Core.Api;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Azure.Functions.Worker;

namespace Elite.Functions;

/// <summary>
/// <c>GET /api/console/{file}</c>: the web console's files, embedded in this assembly (folder <c>Console/</c>). The files
/// are anonymous, as the OpenAPI document is; every API call the pages make carries the caller's function key, and
/// where Entra sign-in is required the pages themselves are behind it.
/// </summary>
public sealed class ConsoleFunctions
{
    [Function(FunctionNames.GetConsoleFile)]
    public Task<IActionResult> GetConsoleFile([HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = ApiRoutes.ConsoleFile)] HttpRequest request, string file)
    {
        if (ConsoleFiles.Find(file) is not { } found)
        {
            return Task.FromResult<IActionResult>(new NotFoundObjectResult(ApiErrors.One("file", $"the console has no file '{file}'")));
        }

        var headers = request.HttpContext.Response.Headers;
        headers.CacheControl = "no-cache";
        headers.XContentTypeOptions = "nosniff";
        // Scripts and styles from these files only; images and uploads also go to the storage account's SAS links.
        headers.ContentSecurityPolicy = "default-src 'self'; img-src 'self' http: https: blob:; connect-src 'self' http: https:; frame-ancestors 'none'; base-uri 'none'; form-action 'self'";
        return Task.FromResult<IActionResult>(new ContentResult { Content = found.Text, ContentType = found.MediaType, StatusCode = StatusCodes.Status200OK });
    }
}

/// <summary>One file of the console: its text and media type.</summary>
public sealed record ConsoleFile(string Name, string MediaType, string Text);

/// <summary>The console's files, read once from the assembly's resources <c>console/{name}</c>.</summary>
public static class ConsoleFiles
{
    private const string ResourcePrefix = "console/";

    private static readonly Dictionary<string, string> MediaTypes = new(StringComparer.OrdinalIgnoreCase)
    {
        [".html"] = "text/html; charset=utf-8",
        [".css"] = "text/css; charset=utf-8",
        [".js"] = "text/javascript; charset=utf-8",
    };

    public static IReadOnlyDictionary<string, ConsoleFile> All { get; } = Load();

    public static ConsoleFile? Find(string? name) => name is not null && All.TryGetValue(name, out var file) ? file : null;

    private static Dictionary<string, ConsoleFile> Load()
    {
        var assembly = typeof(ConsoleFiles).Assembly;
        var files = new Dictionary<string, ConsoleFile>(StringComparer.Ordinal);
        foreach (var resource in assembly.GetManifestResourceNames().Where(r => r.StartsWith(ResourcePrefix, StringComparison.Ordinal)))
        {
            var name = resource[ResourcePrefix.Length..];
            using var reader = new StreamReader(assembly.GetManifestResourceStream(resource)!);
            files[name] = new ConsoleFile(name, MediaTypes[Path.GetExtension(name)], reader.ReadToEnd());
        }

        return files;
    }
}
