using Elite.Core.Webhooks;
using Azure.Storage.Blobs;
using Elite.Core;
using Elite.Core.Api;
using Elite.Core.Concepts;
using Elite.Core.Jobs;
using Elite.Core.Storage;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Azure.Functions.Worker;
using Microsoft.Extensions.Logging;

namespace Elite.Functions;

/// <summary>
/// Concepts: created through the API with upload links, or uploaded straight to <c>concepts/{conceptId}/{file}</c>;
/// read and deleted by the caller they belong to (an operator's upload belongs to everyone).
/// </summary>
public sealed class ConceptFunctions(ConceptIntake intake, ConceptLifecycle lifecycle, ConceptImages images, BlobLinks links, WebhookUrlPolicy webhookUrls, ApiGate gate, ILogger<ConceptFunctions> logger)
{
    [Function(FunctionNames.ConceptUploaded)]
    public async Task ConceptUploaded(
        [BlobTrigger(BlobPaths.ConceptUploadTrigger, Source = BlobTriggerSource.EventGrid, Connection = StorageConnection.SettingName)] BlobClient blob,
        string conceptId,
        string file,
        CancellationToken cancellationToken)
    {
        var result = await intake.RegisterBlobAsync(blob, conceptId, file, cancellationToken);
        logger.LogInformation("Concept {ConceptId} upload {File}: {Outcome} {Reason}", conceptId, file, result.Outcome, result.Reason);
    }

    [Function(FunctionNames.CreateConcept)]
    public async Task<IActionResult> CreateConcept([HttpTrigger(AuthorizationLevel.Function, "post", Route = ApiRoutes.Concepts)] HttpRequest request, CancellationToken cancellationToken)
    {
        var (caller, refusal) = gate.Admit(request, RequestKind.Submission);
        if (caller is null) return refusal!;
        var photoFile = "photo." + (request.Query[ApiRoutes.PhotoTypeParameter].FirstOrDefault() ?? "png").ToLowerInvariant();
        var maskFile = request.Query[ApiRoutes.MaskTypeParameter].FirstOrDefault() is { } maskType ? $"{BlobPaths.MaskFileStem}.{maskType.ToLowerInvariant()}" : null;
        var problems = new[] { (Field: ApiRoutes.PhotoTypeParameter, File: photoFile), (Field: ApiRoutes.MaskTypeParameter, File: maskFile) }
            .Where(f => f.File is not null && (intake.FileTypeProblem(f.File) is not null || !ResourceId.IsValid(f.File)))
            .Select(f => new ValidationProblem(f.Field, intake.FileTypeProblem(f.File!) ?? $"'{f.File}' is not a usable file name"))
            .ToList();
        var webhookUrl = request.Query[ApiRoutes.WebhookUrlParameter].FirstOrDefault();
        if (webhookUrl is not null && (WebhookUrlPolicy.CheckSyntax(webhookUrl, JobLimits.Default.MaxWebhookUrlLength)
                ?? (await webhookUrls.CheckAsync(webhookUrl, cancellationToken) is { Allowed: false, Reason: var refused } ? refused : null)) is { } urlProblem)
        {
            problems.Add(new(ApiRoutes.WebhookUrlParameter, urlProblem));
        }

        if (problems.Count > 0) return new BadRequestObjectResult(new ApiErrors(problems));

        var concept = await lifecycle.CreateAsync(caller, webhookUrl, cancellationToken);
        var photoLink = await links.ConceptUploadAsync(BlobPaths.ConceptFile(concept.ConceptId, photoFile), cancellationToken);
        var maskLink = maskFile is null ? null : await links.ConceptUploadAsync(BlobPaths.ConceptFile(concept.ConceptId, maskFile), cancellationToken);
        return new CreatedResult(
            "/" + ApiRoutes.Prefix + ApiRoutes.ConceptPath(concept.ConceptId),
            new ConceptCreated(concept.ConceptId, concept.Status.ToString(), photoLink.Uri.AbsoluteUri, maskLink?.Uri.AbsoluteUri, photoLink.ExpiresOn));
    }

    [Function(FunctionNames.GetConcept)]
    public async Task<IActionResult> GetConcept([HttpTrigger(AuthorizationLevel.Function, "get", Route = ApiRoutes.Concept)] HttpRequest request, string id, CancellationToken cancellationToken)
    {
        var (caller, refusal) = gate.Admit(request, RequestKind.Read);
        if (caller is null) return refusal!;
        if (!ResourceId.IsValid(id)) return InvalidId(id);
        var row = await lifecycle.GetAsync(id, cancellationToken);
        return row is not null && caller.MayUse(row) ? new OkObjectResult(await images.ViewAsync(row, cancellationToken)) : NoConcept(id);
    }

    /// <summary>Deletes the concept's photo, mask, embeddings and rows; 409 while a job of it runs. An operator's shared concept is deleted in storage, not here.</summary>
    [Function(FunctionNames.DeleteConcept)]
    public async Task<IActionResult> DeleteConcept([HttpTrigger(AuthorizationLevel.Function, "delete", Route = ApiRoutes.Concept)] HttpRequest request, string id, CancellationToken cancellationToken)
    {
        var (caller, refusal) = gate.Admit(request, RequestKind.Submission);
        if (caller is null) return refusal!;
        if (!ResourceId.IsValid(id)) return InvalidId(id);
        var row = await lifecycle.GetAsync(id, cancellationToken);
        if (row is null || row.Owner != caller.Id) return NoConcept(id);
        var deletion = await lifecycle.DeleteAsync(id, cancellationToken);
        return deletion.Deleted
            ? new NoContentResult()
            : new ConflictObjectResult(ApiErrors.One("id", $"concept {id} is used by jobs that have not ended ({string.Join(", ", deletion.RunningJobs)}): cancel them or wait, then delete it"));
    }

    private static BadRequestObjectResult InvalidId(string id) => new(ApiErrors.One("id", $"'{id}' is not a valid concept id"));

    private static NotFoundObjectResult NoConcept(string id) => new(ApiErrors.One("id", $"no concept {id}"));
}
