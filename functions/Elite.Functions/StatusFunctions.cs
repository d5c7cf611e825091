using Elite.Core;
using Elite.Core.Api;
using Elite.Core.Callers;
using Elite.Core.Rows;
using Elite.Core.Storage;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Azure.Functions.Worker;

namespace Elite.Functions;

/// <summary><c>GET /api/concepts/{id}</c>: the concept's state, as the user sees it (a concept another caller created does not exist for them).</summary>
public sealed class StatusFunctions(StorageClients clients, CallerOptions callers)
{
    [Function(FunctionNames.GetConcept)]
    public async Task<IActionResult> GetConcept([HttpTrigger(AuthorizationLevel.Function, "get", Route = ApiRoutes.Concept)] HttpRequest request, string id, CancellationToken cancellationToken)
    {
        var (caller, refusal) = ApiRequests.CallerOf(request, callers);
        if (caller is null) return refusal!;
        if (!ResourceId.IsValid(id)) return new BadRequestObjectResult(ApiErrors.One("id", $"'{id}' is not a valid concept id"));
        var row = await clients.Table(StorageNames.Tables.Concepts).GetEntityIfExistsAsync<ConceptRow>(id, ConceptRow.RowKeyValue, cancellationToken: cancellationToken);
        if (!row.HasValue || !caller.MayUse(row.Value!)) return new NotFoundObjectResult(ApiErrors.One("id", $"no concept {id}"));
        return new OkObjectResult(ConceptView.From(row.Value!));
    }
}
