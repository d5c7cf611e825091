using System.Globalization;
using Elite.Core.Api;
using Elite.Core.Jobs;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;

namespace Elite.Functions;

/// <summary>What the HTTP functions read from a request the same way: the paging of a listing, and their common answers.</summary>
internal static class ApiRequests
{
    /// <summary>The <c>continuation</c> and <c>pageSize</c> of a listing, or the 400 answer naming what is wrong.</summary>
    public static (string? Continuation, int PageSize, IActionResult? Refusal) PagingOf(HttpRequest request)
    {
        var continuation = request.Query[ApiRoutes.ContinuationParameter].FirstOrDefault() is { Length: > 0 } token ? token : null;
        var size = request.Query[ApiRoutes.PageSizeParameter].FirstOrDefault();
        if (size is null) return (continuation, JobList.DefaultPageSize, null);
        return int.TryParse(size, NumberStyles.None, CultureInfo.InvariantCulture, out var pageSize) && pageSize is >= 1 and <= JobList.MaxPageSize
            ? (continuation, pageSize, null)
            : (null, 0, new BadRequestObjectResult(ApiErrors.One(ApiRoutes.PageSizeParameter, $"must be a whole number from 1 to {JobList.MaxPageSize}")));
    }

    /// <summary>The request body, or null when it is longer than <paramref name="maxBytes"/> (read no further than that).</summary>
    public static async Task<byte[]?> ReadBoundedAsync(HttpRequest request, int maxBytes, CancellationToken cancellationToken)
    {
        using var body = new MemoryStream();
        var buffer = new byte[81920];
        int read;
        while ((read = await request.Body.ReadAsync(buffer, cancellationToken)) > 0)
        {
            if (body.Length + read > maxBytes) return null;
            body.Write(buffer, 0, read);
        }

        return body.ToArray();
    }

    public static IActionResult BadContinuation() =>
        new BadRequestObjectResult(ApiErrors.One(ApiRoutes.ContinuationParameter, JobList.InvalidContinuation));

    public static IActionResult NoJob(string id) => new NotFoundObjectResult(ApiErrors.One("id", $"no job {id}"));
}
