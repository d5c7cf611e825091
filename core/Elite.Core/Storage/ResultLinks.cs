using Azure.Storage.Blobs;
using Azure.Storage.Blobs.Models;
using Azure.Storage.Sas;

namespace Elite.Core.Storage;

/// <summary>
/// Read-only links to result images that a caller opens without storage credentials: a SAS signed with the
/// account key where the connection has one (Azurite, connection strings), otherwise a user delegation SAS
/// signed with a key the app's identity obtains (its Storage Blob Data Contributor role allows that).
/// </summary>
public sealed class ResultLinks(StorageClients clients, TimeProvider? time = null)
{
    /// <summary>How long a link works.</summary>
    public static readonly TimeSpan Lifetime = TimeSpan.FromHours(1);

    private static readonly TimeSpan KeyLifetime = TimeSpan.FromDays(1);
    private readonly TimeProvider _time = time ?? TimeProvider.System;
    private readonly BlobContainerClient _results = clients.Container(StorageNames.Containers.Results);
    private readonly SemaphoreSlim _keyGate = new(1, 1);
    private UserDelegationKey? _key;

    /// <summary>A function that turns result blob names into links valid for <see cref="Lifetime"/> from now.</summary>
    public async Task<Func<string, Uri>> SignerAsync(CancellationToken cancellationToken)
    {
        var expiresOn = _time.GetUtcNow() + Lifetime;
        if (_results.CanGenerateSasUri)
        {
            return blob => _results.GetBlobClient(blob).GenerateSasUri(BlobSasPermissions.Read, expiresOn);
        }

        var key = await DelegationKeyAsync(expiresOn, cancellationToken);
        return blob =>
        {
            var sas = new BlobSasBuilder(BlobSasPermissions.Read, expiresOn) { BlobContainerName = _results.Name, BlobName = blob, Resource = "b" };
            return new BlobUriBuilder(_results.GetBlobClient(blob).Uri) { Sas = sas.ToSasQueryParameters(key, clients.Blobs.AccountName) }.ToUri();
        };
    }

    /// <summary>A user delegation key that outlives <paramref name="expiresOn"/>; one is fetched a day at a time and shared.</summary>
    private async Task<UserDelegationKey> DelegationKeyAsync(DateTimeOffset expiresOn, CancellationToken cancellationToken)
    {
        await _keyGate.WaitAsync(cancellationToken);
        try
        {
            if (_key is null || _key.SignedExpiresOn < expiresOn)
            {
                var now = _time.GetUtcNow();
                _key = (await clients.Blobs.GetUserDelegationKeyAsync(now.AddMinutes(-5), now + KeyLifetime, cancellationToken)).Value;
            }

            return _key;
        }
        finally
        {
            _keyGate.Release();
        }
    }
}
