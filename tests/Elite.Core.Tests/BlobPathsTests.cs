using Elite.Core.Storage;

namespace Elite.Core.Tests;

public sealed class BlobPathsTests
{
    [Fact]
    public void Paths_follow_the_documented_layout()
    {
        Assert.Equal("dog-1/photo.jpg", BlobPaths.ConceptFile("dog-1", "photo.jpg"));
        Assert.Equal("batch-7.csv", BlobPaths.JobCsv("batch-7"));
        Assert.Equal("dog-1/tiny-0a1b.elite", BlobPaths.Embedding("dog-1", "tiny-0a1b"));
        Assert.Equal("job-9/000003.png", BlobPaths.Result("job-9", "000003"));
    }

    [Theory]
    [InlineData("mask.png", true)]
    [InlineData("MASK.webp", true)]
    [InlineData("photo.png", false)]
    [InlineData("masked-dog.png", false)]
    public void A_file_named_mask_is_the_mask(string file, bool isMask) => Assert.Equal(isMask, BlobPaths.IsMask(file));

    [Theory]
    [InlineData("")]
    [InlineData("a/b")]
    [InlineData("../etc")]
    [InlineData("-leading-hyphen")]
    [InlineData("has space")]
    [InlineData("hash#tag")]
    [InlineData("question?")]
    [InlineData("back\\slash")]
    public void Ids_unsafe_for_blob_paths_or_table_keys_are_refused(string id)
    {
        Assert.False(ResourceId.IsValid(id));
        var error = Assert.Throws<ArgumentException>(() => BlobPaths.Result(id, "1"));
        Assert.Contains("job id", error.Message);
    }

    [Fact]
    public void Ids_are_at_most_64_characters()
    {
        Assert.True(ResourceId.IsValid(new string('a', 64)));
        Assert.False(ResourceId.IsValid(new string('a', 65)));
    }
}
