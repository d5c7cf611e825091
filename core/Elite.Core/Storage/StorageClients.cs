using Azure.Core;
using Azure.Data.Tables;
using Azure.Identity;
using Azure.Storage.Blobs;
using Azure.Storage.Queues;

namespace Elite.Core.Storage;

/// <summary>Blob, queue and table clients of one storage account, all built from one <see cref="StorageConnection"/>.</summary>
public sealed class StorageClients
{
    public StorageClients(StorageConnection connection)
    {
        // The Functions and WebJobs queue triggers read Base64 bodies; every producer must write them.
        var queueOptions = new QueueClientOptions { MessageEncoding = QueueMessageEncoding.Base64 };
        var blobOptions = new BlobClientOptions();
        var tableOptions = new TableClientOptions();
        if (connection.InjectedFaultRate > 0)
        {
            var faults = new StorageFaultPolicy(connection.InjectedFaultRate);
            foreach (ClientOptions options in new ClientOptions[] { queueOptions, blobOptions, tableOptions }) options.AddPolicy(faults, HttpPipelinePosition.PerCall);
        }

        if (connection.ConnectionString is { } connectionString)
        {
            Blobs = new BlobServiceClient(connectionString, blobOptions);
            Queues = new QueueServiceClient(connectionString, queueOptions);
            Tables = new TableServiceClient(connectionString, tableOptions);
        }
        else
        {
            TokenCredential credential = new ManagedIdentityCredential(
                connection.ManagedIdentityClientId is { } clientId
                    ? ManagedIdentityId.FromUserAssignedClientId(clientId)
                    : ManagedIdentityId.SystemAssigned);
            Blobs = new BlobServiceClient(connection.BlobServiceUri, credential, blobOptions);
            Queues = new QueueServiceClient(connection.QueueServiceUri, credential, queueOptions);
            Tables = new TableServiceClient(connection.TableServiceUri, credential, tableOptions);
        }
    }

    public BlobServiceClient Blobs { get; }
    public QueueServiceClient Queues { get; }
    public TableServiceClient Tables { get; }

    public BlobContainerClient Container(string name) => Blobs.GetBlobContainerClient(name);
    public QueueClient Queue(string name) => Queues.GetQueueClient(name);
    public TableClient Table(string name) => Tables.GetTableClient(name);
}
