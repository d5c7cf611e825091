namespace Elite.Core;

/// <summary>The pipeline's function names, shared by the Azure Functions app and its local host.</summary>
public static class FunctionNames
{
    public const string ConceptUploaded = Configuration.BlobTriggerFunctions.ConceptUploaded;
    public const string SubmitJob = "SubmitJob";
    public const string CsvJobUploaded = Configuration.BlobTriggerFunctions.CsvJobUploaded;
    public const string GetJob = "GetJob";
    public const string ListJobs = "ListJobs";
    public const string GetJobTasks = "GetJobTasks";
    public const string CancelJob = "CancelJob";
    public const string RedeliverJobWebhook = "RedeliverJobWebhook";
    public const string GetConcept = "GetConcept";
    public const string GetStatus = "GetStatus";
    public const string CreateConcept = "CreateConcept";
    public const string DeleteConcept = "DeleteConcept";
    public const string GetOpenApiDocument = "GetOpenApiDocument";
    public const string GetConsoleFile = "GetConsoleFile";
    public const string JobEvents = "JobEvents";
    public const string ConceptEvents = "ConceptEvents";
    public const string Reconcile = "Reconcile";
}
