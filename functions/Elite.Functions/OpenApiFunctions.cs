using Elite.Core;
using Elite.Core.Api;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Azure.Functions.Worker;

namespace Elite.Functions;

/// <summary><c>GET /api/openapi.json</c>: the API's OpenAPI document, anonymous, since a client reads it before it has a key.</summary>
public sealed class OpenApiFunctions
{
    [Function(FunctionNames.GetOpenApiDocument)]
    public Task<IActionResult> GetOpenApiDocument([HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = ApiRoutes.OpenApiDocument)] HttpRequest request) =>
        Task.FromResult<IActionResult>(new ContentResult { Content = ApiDocument.Json, ContentType = ApiDocument.JsonMediaType, StatusCode = StatusCodes.Status200OK });
}
