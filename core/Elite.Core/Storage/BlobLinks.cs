using Azure.Storage.Blobs;
using Azure.Storage.Blobs.Models;
using Azure.Storage.Sas;

namespace Elite.Core.Storage;

/// <summary>A link to one blob, and when it stops working.</summary>
public sealed record BlobLink(Uri Uri, DateTimeOffset ExpiresOn);

/// <summary>
/// Links that a caller opens without storage credentials, each for one blob and <see cref="Lifetime"/>: read-only links
/// to result images and concept photos and masks, and write-only links for a concept's photo and mask. Signed with the account key where the
/// connection has one (Azurite, connection strings), otherwise as a user delegation SAS, signed with a key the app's
/// identity obtains (its Storage Blob Data Contributor role allows that).
/// </summary>
public sealed class BlobLinks(StorageClients clients, TimeProvider? time = null)
{
    /// <summary>How long a link works.</summary>
    public static readonly TimeSpan Lifetime = TimeSpan.FromHours(1);

    private static readonly TimeSpan KeyLifetime = TimeSpan.FromDays(1);
    private readonly TimeProvider _time = time ?? TimeProvider.System;
    private readonly SemaphoreSlim _keyGate = new(1, 1);
    private UserDelegationKey? _key;

    /// <summary>A function that turns result blob names into read links valid for <see cref="Lifetime"/> from now.</summary>
    public Task<Func<string, BlobLink>> ResultReaderAsync(CancellationToken cancellationToken) =>
        SignerAsync(clients.Container(StorageNames.Containers.Results), BlobSasPermissions.Read, cancellationToken);

    /// <summary>A read-only link to one blob of <paramref name="container"/> (a concept's photo or mask).</summary>
    public async Task<BlobLink> ReadAsync(string container, string blob, CancellationToken cancellationToken) =>
        (await SignerAsync(clients.Container(container), BlobSasPermissions.Read, cancellationToken))(blob);

    /// <summary>A link that creates or overwrites <paramref name="blob"/> in <c>concepts</c>, and can neither read nor list.</summary>
    public async Task<BlobLink> ConceptUploadAsync(string blob, CancellationToken cancellationToken) =>
        (await SignerAsync(clients.Container(StorageNames.Containers.Concepts), BlobSasPermissions.Create | BlobSasPermissions.Write, cancellationToken))(blob);

    private async Task<Func<string, BlobLink>> SignerAsync(BlobContainerClient container, BlobSasPermissions permissions, CancellationToken cancellationToken)
    {
        var expiresOn = _time.GetUtcNow() + Lifetime;
        if (container.CanGenerateSasUri)
        {
            return blob => new(container.GetBlobClient(blob).GenerateSasUri(permissions, expiresOn), expiresOn);
        }

        var key = await DelegationKeyAsync(expiresOn, cancellationToken);
        return blob =>
        {
            var sas = new BlobSasBuilder(permissions, expiresOn) { BlobContainerName = container.Name, BlobName = blob, Resource = "b" };
            return new(new BlobUriBuilder(container.GetBlobClient(blob).Uri) { Sas = sas.ToSasQueryParameters(key, clients.Blobs.AccountName) }.ToUri(), expiresOn);
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
