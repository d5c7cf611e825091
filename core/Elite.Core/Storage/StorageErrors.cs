using System.Net;
using Azure;

namespace Elite.Core.Storage;

/// <summary>Which storage failures may pass if the same call is tried again.</summary>
public static class StorageErrors
{
    /// <summary>A 5xx, 408 or 429 answer, no answer at all (Status 0), or a broken connection or timeout.</summary>
    public static bool IsTransient(Exception exception) => exception switch
    {
        RequestFailedException { Status: 0 or (int)HttpStatusCode.RequestTimeout or (int)HttpStatusCode.TooManyRequests or >= 500 } => true,
        RequestFailedException => false,
        HttpRequestException or IOException or TimeoutException => true,
        AggregateException aggregate => aggregate.InnerExceptions.All(IsTransient),
        _ => false,
    };
}
