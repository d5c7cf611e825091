using System.Net;
using System.Web;
using Elite.Core.Storage;

namespace Elite.Core.Tests;

[Collection(StorageCollection.Name)]
public sealed class BlobLinksTests(StorageFixture storage)
{
    [Fact]
    public async Task A_result_link_reads_that_image_without_credentials_for_an_hour_and_nothing_else()
    {
        var blob = BlobPaths.Result(TestStorage.NewId("job"), "000000");
        var results = storage.Clients.Container(StorageNames.Containers.Results);
        await results.GetBlobClient(blob).UploadAsync(new BinaryData("png bytes"u8.ToArray()));
        var neighbour = blob.Replace("000000", "000001");
        await results.GetBlobClient(neighbour).UploadAsync(new BinaryData("other bytes"u8.ToArray()));
        var before = DateTimeOffset.UtcNow;

        var link = (await new BlobLinks(storage.Clients).ResultReaderAsync(default))(blob).Uri;

        var query = HttpUtility.ParseQueryString(link.Query);
        Assert.Equal("r", query["sp"]);
        Assert.InRange(DateTimeOffset.Parse(query["se"]!), before + BlobLinks.Lifetime - TimeSpan.FromMinutes(1), before + BlobLinks.Lifetime + TimeSpan.FromMinutes(1));
        using var anonymous = new HttpClient();
        Assert.Equal("png bytes", await anonymous.GetStringAsync(link));
        var write = await anonymous.PutAsync(link, new ByteArrayContent([1]) { Headers = { { "x-ms-blob-type", "BlockBlob" } } });
        Assert.Equal(HttpStatusCode.Forbidden, write.StatusCode);
        var other = new UriBuilder(link) { Path = link.AbsolutePath.Replace("000000", "000001") }.Uri;
        Assert.Equal(HttpStatusCode.Forbidden, (await anonymous.GetAsync(other)).StatusCode); // the signature covers that one blob
    }
}
