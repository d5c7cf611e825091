using Elite.Core.Storage;

namespace Elite.Core.Configuration;

/// <summary>
/// The app settings (environment variables) that the deployed apps read, written once: the apps read them
/// through these constants and the infrastructure tests check that the Bicep sets exactly these keys on the
/// Function App and on the worker's container.
/// </summary>
/// <remarks>The <c>Worker__*</c> keys are the properties of <see cref="WorkerOptions"/>, which the worker binds.</remarks>
public static class AppSettings
{
    /// <summary>Separator of configuration sections in environment variable names (<c>Section__Key</c>).</summary>
    public const string SectionSeparator = "__";

    // The pipeline's storage account, identity-based (see StorageConnection).
    public const string EliteStorageAccountName = StorageConnection.SettingName + SectionSeparator + "accountName";
    public const string EliteStorageCredential = StorageConnection.SettingName + SectionSeparator + "credential";
    public const string EliteStorageClientId = StorageConnection.SettingName + SectionSeparator + "clientId";

    /// <summary>The value of <c>*__credential</c> for a managed identity (with <c>*__clientId</c> for a user-assigned one).</summary>
    public const string ManagedIdentityCredential = "managedidentity";

    // The Functions host's own storage.
    public const string HostStorageAccountName = "AzureWebJobsStorage" + SectionSeparator + "accountName";
    public const string HostStorageCredential = "AzureWebJobsStorage" + SectionSeparator + "credential";
    public const string HostStorageClientId = "AzureWebJobsStorage" + SectionSeparator + "clientId";

    /// <summary>The Functions language worker; on Flex Consumption the platform sets it from the site's runtime.</summary>
    public const string FunctionsWorkerRuntime = "FUNCTIONS_WORKER_RUNTIME";

    /// <summary>The value of <see cref="FunctionsWorkerRuntime"/> for this project.</summary>
    public const string DotnetIsolatedRuntime = "dotnet-isolated";

    // Webhooks sent when a job finishes.
    public const string WebhookSigningSecret = Webhooks.WebhookOptions.SectionName + SectionSeparator + "SigningSecret";
    public const string WebhookAllowPrivateAddresses = Webhooks.WebhookOptions.SectionName + SectionSeparator + "AllowPrivateAddresses";

    // The API's callers: who a request without a signed-in principal (the function key) is; empty refuses them.
    public const string DefaultCaller = Callers.CallerOptions.SectionName + SectionSeparator + nameof(Callers.CallerOptions.DefaultCaller);

    // How many days result images are kept (the lifecycle rule on results/ deletes them then).
    public const string ResultRetentionDays = Storage.ResultRetention.SectionName + SectionSeparator + nameof(Storage.ResultRetention.ResultDays);

    // Telemetry: Application Insights, with Microsoft Entra authentication (local auth is off).
    public const string AppInsightsConnectionString = "APPLICATIONINSIGHTS_CONNECTION_STRING";
    public const string AppInsightsAuthenticationString = "APPLICATIONINSIGHTS_AUTHENTICATION_STRING";

    // The worker: WorkerOptions, section "Worker"; the keys the templates set a value for.
    public const string WorkerPackDirectory = WorkerOptions.SectionName + SectionSeparator + nameof(WorkerOptions.PackDirectory);
    public const string WorkerVocabularyPath = WorkerOptions.SectionName + SectionSeparator + nameof(WorkerOptions.VocabularyPath);
    public const string WorkerMaskModelPath = WorkerOptions.SectionName + SectionSeparator + nameof(WorkerOptions.MaskModelPath);
    public const string WorkerMaxBatch = WorkerOptions.SectionName + SectionSeparator + nameof(WorkerOptions.MaxBatch);
    public const string WorkerUseCuda = WorkerOptions.SectionName + SectionSeparator + nameof(WorkerOptions.UseCuda);

    /// <summary>Every <c>Worker__*</c> key: one per property of <see cref="WorkerOptions"/>.</summary>
    public static IReadOnlyList<string> WorkerOptionsKeys { get; } =
        [.. typeof(WorkerOptions).GetProperties().Select(property => WorkerOptions.SectionName + SectionSeparator + property.Name)];

    /// <summary>What the Function App reads.</summary>
    public static IReadOnlyList<string> FunctionsAppKeys { get; } =
    [
        HostStorageAccountName, HostStorageCredential, HostStorageClientId,
        FunctionsWorkerRuntime,
        EliteStorageAccountName, EliteStorageCredential, EliteStorageClientId,
        WebhookSigningSecret, WebhookAllowPrivateAddresses,
        DefaultCaller, ResultRetentionDays,
        AppInsightsConnectionString, AppInsightsAuthenticationString,
    ];

    /// <summary>
    /// Keys of <see cref="FunctionsAppKeys"/> that Flex Consumption sets itself from the site's
    /// <c>functionAppConfig.runtime</c> and refuses as app settings.
    /// </summary>
    public static IReadOnlyList<string> FlexConsumptionPlatformKeys { get; } = [FunctionsWorkerRuntime];

    /// <summary>What the worker's container reads.</summary>
    public static IReadOnlyList<string> WorkerKeys { get; } =
    [
        EliteStorageAccountName, EliteStorageCredential, EliteStorageClientId,
        .. WorkerOptionsKeys,
        AppInsightsConnectionString, AppInsightsAuthenticationString,
    ];
}
