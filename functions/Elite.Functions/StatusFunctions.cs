using Elite.Core;
using Elite.Core.Rows;
using Elite.Core.Storage;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Azure.Functions.Worker;

namespace Elite.Functions;

/// <summary><c>GET /api/concepts/{id}</c>: the concept's state, as the user sees it.</summary>
public sealed class StatusFunctions(StorageClients clients)
{
    [Function(FunctionNames.GetConcept)]
    public async Task<IActionResult> GetConcept([HttpTrigger(AuthorizationLevel.Function, "get", Route = "concepts/{id}")] HttpRequest request, string id, CancellationToken cancellationToken)
    {
        if (!ResourceId.IsValid(id)) return new BadRequestObjectResult(new { error = $"'{id}' is not a valid concept id" });
        var row = await clients.Table(StorageNames.Tables.Concepts).GetEntityIfExistsAsync<ConceptRow>(id, ConceptRow.RowKeyValue, cancellationToken: cancellationToken);
        if (!row.HasValue) return new NotFoundObjectResult(new { error = $"no concept {id}" });
        var concept = row.Value!;
        return new OkObjectResult(new { id, status = concept.Status.ToString(), concept.MaskSource, concept.PackId, concept.Reason });
    }
}
