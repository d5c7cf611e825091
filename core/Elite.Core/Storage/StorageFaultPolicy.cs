using System.Net;
using Azure;
using Azure.Core;
using Azure.Core.Pipeline;

namespace Elite.Core.Storage;

/// <summary>
/// For the fault run only (<see cref="StorageConnection.InjectedFaultRate"/>): answers a share of storage calls, before
/// they reach the service and outside the SDK's own retries, with what a struggling account gives after its retries
/// ran out: half of them a 503, half a timeout. Every consumer must survive what this produces.
/// </summary>
public sealed class StorageFaultPolicy(double rate) : HttpPipelinePolicy
{
    /// <summary>Starts the line written for each injected fault.</summary>
    public const string LogMarker = "injected-storage-fault:";

    private static long _injected;

    /// <summary>Faults injected in this process so far.</summary>
    public static long Injected => Interlocked.Read(ref _injected);

    public override void Process(HttpMessage message, ReadOnlyMemory<HttpPipelinePolicy> pipeline)
    {
        Inject(message);
        ProcessNext(message, pipeline);
    }

    public override ValueTask ProcessAsync(HttpMessage message, ReadOnlyMemory<HttpPipelinePolicy> pipeline)
    {
        Inject(message);
        return ProcessNextAsync(message, pipeline);
    }

    /// <summary>Throws for an injected fault; returns for a call let through.</summary>
    private void Inject(HttpMessage message)
    {
        if (Random.Shared.NextDouble() >= rate) return;
        Interlocked.Increment(ref _injected);
        var timeout = Random.Shared.Next(2) == 0;
        var call = $"{message.Request.Method} {message.Request.Uri.Path}";
        // One line per fault on stderr, so that a fault run counts them even in a process it kills.
        Console.Error.WriteLine($"{LogMarker} {(timeout ? "timeout" : "503")} {call}");
        throw timeout
            ? new IOException($"injected timeout: {call}")
            : new RequestFailedException((int)HttpStatusCode.ServiceUnavailable, $"injected 503 Service Unavailable: {call}");
    }
}
