using System.Net;
using Azure.Storage.Blobs.Models;

namespace Elite.Core.Storage;

/// <summary>A container, queue or table, and whether <see cref="StorageInitializer"/> created it or found it.</summary>
public sealed record StorageResource(string Kind, string Name, bool Created);

/// <summary>
/// Creates every container, queue and table of <see cref="StorageNames"/>, and adds the <see cref="BrowserUploads"/> CORS
/// rule to the blob service's own; safe to run any number of times.
/// </summary>
public sealed class StorageInitializer(StorageClients clients)
{
    public async Task<IReadOnlyList<StorageResource>> InitializeAsync(CancellationToken cancellationToken = default)
    {
        var resources = new List<StorageResource>();
        foreach (var name in StorageNames.Containers.All)
        {
            var response = await clients.Container(name).CreateIfNotExistsAsync(cancellationToken: cancellationToken);
            resources.Add(new("container", name, response is not null));
        }

        foreach (var name in StorageNames.Queues.All)
        {
            var response = await clients.Queue(name).CreateIfNotExistsAsync(cancellationToken: cancellationToken);
            resources.Add(new("queue", name, response is not null));
        }

        foreach (var name in StorageNames.Tables.All)
        {
            var response = await clients.Table(name).CreateIfNotExistsAsync(cancellationToken);
            // The table client swallows the 409 of an existing table and returns that response.
            resources.Add(new("table", name, response.GetRawResponse().Status != (int)HttpStatusCode.Conflict));
        }

        var properties = (await clients.Blobs.GetPropertiesAsync(cancellationToken)).Value;
        if (!properties.Cors.Any(BrowserUploads.IsRule))
        {
            properties.Cors.Add(BrowserUploads.Rule);
            await clients.Blobs.SetPropertiesAsync(properties, cancellationToken);
        }

        return resources;
    }
}
