using Elite.Core.Concepts;
using Elite.Core.Messages;
using Elite.Core.Rows;
using Elite.Core.Storage;

namespace Elite.Core.Tests;

[Collection(StorageCollection.Name)]
public sealed class ConceptIntakeTests(StorageFixture storage) : IAsyncLifetime
{
    private readonly StorageClients clients = storage.Clients;
    private readonly ConceptIntake intake = new(storage.Clients);

    public Task InitializeAsync() => clients.ClearQueuesAsync();

    public Task DisposeAsync() => Task.CompletedTask;

    private async Task<ConceptRow> ConceptAsync(string conceptId) =>
        (await clients.Table(StorageNames.Tables.Concepts).GetEntityAsync<ConceptRow>(conceptId, ConceptRow.RowKeyValue)).Value;

    private async Task<ConceptUploadResult> UploadAsync(string conceptId, string fileName, byte[] bytes)
    {
        var blob = clients.Container(StorageNames.Containers.Concepts).GetBlobClient(BlobPaths.ConceptFile(conceptId, fileName));
        await blob.UploadAsync(new BinaryData(bytes), overwrite: true);
        return await intake.RegisterBlobAsync(blob, conceptId, fileName, default);
    }

    private Task<List<EncodeRequest>> RequestsAsync() => clients.DrainAsync<EncodeRequest>(StorageNames.Queues.Encode);

    [Fact]
    public async Task A_photo_registers_the_concept_and_requests_one_encoding_however_often_the_event_comes()
    {
        var conceptId = TestStorage.NewId("dog");

        var first = await intake.RegisterUploadAsync(conceptId, "photo.JPG", 150_000, "\"0x1\"", default);
        var redelivered = await intake.RegisterUploadAsync(conceptId, "photo.JPG", 150_000, "\"0x1\"", default);

        Assert.Equal((ConceptUploadOutcome.EncodeRequested, ConceptStatus.Pending), (first.Outcome, first.Status));
        Assert.Equal(ConceptUploadOutcome.AlreadyRegistered, redelivered.Outcome);
        Assert.Equal([new EncodeRequest(conceptId, $"{conceptId}/photo.JPG", null)], await RequestsAsync());
        var row = await ConceptAsync(conceptId);
        Assert.Equal((ConceptStatus.Pending, $"{conceptId}/photo.JPG", true), (row.Status, row.ImageBlob, row.EncodeRequested));

        // The worker encodes it; the event comes once more.
        await clients.Table(StorageNames.Tables.Concepts).UpdateAsync<ConceptRow>(conceptId, ConceptRow.RowKeyValue,
            c => c with { Status = ConceptStatus.Ready, EmbeddingBlob = BlobPaths.Embedding(conceptId, "tiny"), PackId = "tiny", MaskSource = "auto" });
        Assert.Equal(ConceptUploadOutcome.AlreadyRegistered, (await intake.RegisterUploadAsync(conceptId, "photo.JPG", 150_000, "\"0x1\"", default)).Outcome);
        Assert.Empty(await RequestsAsync());
        Assert.Equal(ConceptStatus.Ready, (await ConceptAsync(conceptId)).Status);
    }

    [Fact]
    public async Task A_send_lost_after_the_row_write_is_made_good_by_the_redelivered_event()
    {
        var conceptId = TestStorage.NewId("mug");
        await intake.RegisterUploadAsync(conceptId, "mug.png", 1000, default);
        await RequestsAsync();
        await clients.Table(StorageNames.Tables.Concepts).UpdateAsync<ConceptRow>(conceptId, ConceptRow.RowKeyValue, c => c with { EncodeRequested = false });

        var redelivered = await intake.RegisterUploadAsync(conceptId, "mug.png", 1000, default);

        Assert.Equal(ConceptUploadOutcome.EncodeRequested, redelivered.Outcome);
        Assert.Single(await RequestsAsync());
        Assert.True((await ConceptAsync(conceptId)).EncodeRequested);
    }

    [Theory]
    [InlineData("photo.gif", 1000L, "photo.gif: '.gif' is not a supported image type: use png, jpg, jpeg, webp")]
    [InlineData("photo", 1000L, "photo: a file without extension is not a supported image type")]
    [InlineData("photo.png", 0L, "photo.png: the file is empty")]
    [InlineData("photo.webp", 30_000_000L, "photo.webp: the file is 30,000,000 bytes; at most 20,000,000 are accepted")]
    public async Task Unusable_photos_reject_the_concept_with_the_reason(string fileName, long size, string reason)
    {
        var conceptId = TestStorage.NewId("bad");

        var result = await intake.RegisterUploadAsync(conceptId, fileName, size, default);

        Assert.Equal((ConceptUploadOutcome.Rejected, ConceptStatus.Rejected), (result.Outcome, result.Status));
        Assert.StartsWith(reason, result.Reason);
        Assert.Equal(ConceptStatus.Rejected, (await ConceptAsync(conceptId)).Status);
        Assert.Empty(await RequestsAsync());
    }

    [Fact]
    public async Task A_stray_file_beside_a_usable_photo_is_ignored_and_a_photo_that_does_not_decode_is_rejected()
    {
        var conceptId = TestStorage.NewId("toy");
        await intake.RegisterUploadAsync(conceptId, "toy.png", 1000, default);

        var notes = await intake.RegisterUploadAsync(conceptId, "notes.txt", 10, default);
        Assert.Equal((ConceptUploadOutcome.Ignored, ConceptStatus.Pending), (notes.Outcome, notes.Status));
        Assert.Contains("not a supported image type", notes.Reason);

        var broken = await UploadAsync(conceptId, "toy.png", "not a PNG image"u8.ToArray());
        Assert.Equal((ConceptUploadOutcome.Rejected, "toy.png: The data is not a PNG, JPEG or WebP image."), (broken.Outcome, broken.Reason));
        var row = await ConceptAsync(conceptId);
        Assert.Equal((ConceptStatus.Rejected, ""), (row.Status, row.ImageBlob));

        // A good photo afterwards revives the concept.
        Assert.Equal(ConceptUploadOutcome.EncodeRequested, (await intake.RegisterUploadAsync(conceptId, "toy2.png", 1000, default)).Outcome);
        Assert.Equal(ConceptStatus.Pending, (await ConceptAsync(conceptId)).Status);
    }

    [Fact]
    public async Task A_mask_before_the_photo_is_recorded_and_sent_with_the_photo()
    {
        var conceptId = TestStorage.NewId("cat");

        var mask = await intake.RegisterUploadAsync(conceptId, "mask.png", 500, default);
        Assert.Equal((ConceptUploadOutcome.MaskRecorded, ConceptStatus.Pending), (mask.Outcome, mask.Status));
        Assert.Empty(await RequestsAsync());

        var photo = await intake.RegisterUploadAsync(conceptId, "cat.png", 5000, default);
        Assert.Equal(ConceptUploadOutcome.EncodeRequested, photo.Outcome);
        Assert.Equal([new EncodeRequest(conceptId, $"{conceptId}/cat.png", $"{conceptId}/mask.png")], await RequestsAsync());
    }

    [Fact]
    public async Task A_new_mask_or_a_new_upload_of_the_photo_re_encodes_a_ready_concept()
    {
        var conceptId = TestStorage.NewId("cup");
        await intake.RegisterUploadAsync(conceptId, "cup.png", 5000, "\"0x1\"", default);
        await clients.Table(StorageNames.Tables.Concepts).UpdateAsync<ConceptRow>(conceptId, ConceptRow.RowKeyValue, c => c with { Status = ConceptStatus.Ready });
        await RequestsAsync();

        var mask = await intake.RegisterUploadAsync(conceptId, "MASK.webp", 500, "\"0x2\"", default);
        Assert.Equal((ConceptUploadOutcome.EncodeRequested, ConceptStatus.Pending), (mask.Outcome, mask.Status));
        Assert.Equal([new EncodeRequest(conceptId, $"{conceptId}/cup.png", $"{conceptId}/MASK.webp")], await RequestsAsync());

        var sameName = await intake.RegisterUploadAsync(conceptId, "cup.png", 6000, "\"0x3\"", default);
        Assert.Equal(ConceptUploadOutcome.EncodeRequested, sameName.Outcome);
        Assert.Single(await RequestsAsync());

        var badMask = await intake.RegisterUploadAsync(conceptId, "mask.bmp", 500, default);
        Assert.Equal((ConceptUploadOutcome.Rejected, ConceptStatus.Rejected), (badMask.Outcome, badMask.Status));
        var goodMask = await intake.RegisterUploadAsync(conceptId, "mask.png", 500, default);
        Assert.Equal((ConceptUploadOutcome.EncodeRequested, ConceptStatus.Pending), (goodMask.Outcome, goodMask.Status));
    }

    [Fact]
    public async Task Paths_that_cannot_be_concepts_are_ignored()
    {
        var result = await intake.RegisterUploadAsync("has space", "photo.png", 1000, default);

        Assert.Equal((ConceptUploadOutcome.Ignored, null), (result.Outcome, result.Status));
        Assert.Empty(await RequestsAsync());
    }

    [Fact]
    public async Task An_uploaded_blob_is_checked_from_its_header_before_an_encoding_is_requested()
    {
        var text = await UploadAsync(TestStorage.NewId("text"), "photo.png", "not an image at all"u8.ToArray());
        var huge = await UploadAsync(TestStorage.NewId("huge"), "photo.png", TestImages.HundredMegapixelPng());
        Assert.Equal((ConceptUploadOutcome.Rejected, ConceptStatus.Rejected), (text.Outcome, text.Status));
        Assert.Contains("not a PNG, JPEG or WebP", text.Reason);
        Assert.Equal((ConceptUploadOutcome.Rejected, ConceptStatus.Rejected), (huge.Outcome, huge.Status));
        Assert.Contains("100,000,000 pixels", huge.Reason);
        Assert.Empty(await RequestsAsync());

        var good = await UploadAsync(TestStorage.NewId("good"), "photo.png", TestImages.Png(64, 48));
        var deepJpeg = await UploadAsync(TestStorage.NewId("deep"), "photo.jpg", TestImages.JpegWithLargeMetadata(40, 30, 300_000));
        Assert.Equal((ConceptUploadOutcome.EncodeRequested, ConceptUploadOutcome.EncodeRequested), (good.Outcome, deepJpeg.Outcome));
        Assert.Equal(2, (await RequestsAsync()).Count);

        var deleted = clients.Container(StorageNames.Containers.Concepts).GetBlobClient(BlobPaths.ConceptFile(TestStorage.NewId("gone"), "photo.png"));
        var gone = await intake.RegisterBlobAsync(deleted, deleted.Name.Split('/')[0], "photo.png", default); // deleted before its event arrived
        Assert.Equal((ConceptUploadOutcome.Ignored, null), (gone.Outcome, gone.Status));
    }
}
