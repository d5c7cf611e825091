using System.Text;
using Elite.Core.Webhooks;

namespace Elite.Core.Tests;

public sealed class WebhookSignerTests
{
    // The test vector published with the Standard Webhooks specification's reference libraries.
    private const string SpecSecret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
    private const string SpecId = "msg_p5jXN8AQM9LWM0D4loKWxJek";
    private const long SpecTimestamp = 1614265330;
    private const string SpecBody = """{"test": 2432232314}""";
    private const string SpecSignature = "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=";

    private static readonly FixedTime SpecTime = new(DateTimeOffset.FromUnixTimeSeconds(SpecTimestamp));

    [Fact]
    public void Signing_reproduces_the_standard_webhooks_test_vector()
    {
        var signer = new WebhookSigner(SpecSecret);

        Assert.Equal(SpecSignature, signer.Sign(SpecId, SpecTimestamp, SpecBody));
        var headers = signer.CreateHeaders(SpecId, DateTimeOffset.FromUnixTimeSeconds(SpecTimestamp), SpecBody);
        Assert.Equal(SpecId, headers[WebhookHeaders.Id]);
        Assert.Equal("1614265330", headers[WebhookHeaders.Timestamp]);
        Assert.Equal(SpecSignature, headers[WebhookHeaders.Signature]);
    }

    [Fact]
    public void The_verifier_accepts_the_vector_and_one_matching_signature_among_several()
    {
        var verifier = new WebhookVerifier(SpecSecret, time: SpecTime);

        Assert.True(verifier.Verify(SpecId, "1614265330", SpecSignature, SpecBody).IsValid);
        Assert.True(verifier.Verify(SpecId, "1614265330", $"v1,AAAA v1a,bm90IG91cnM= {SpecSignature}", Encoding.UTF8.GetBytes(SpecBody)).IsValid);
    }

    [Theory]
    [InlineData(SpecId, "1614265330", SpecSignature, """{"test": 2432232315}""", "no v1 signature matches")]
    [InlineData(SpecId, "1614265330", SpecSignature, """{"test":2432232314}""", "no v1 signature matches")] // re-serialised JSON
    [InlineData("msg_other", "1614265330", SpecSignature, SpecBody, "no v1 signature matches")]
    [InlineData(SpecId, "1614265331", SpecSignature, SpecBody, "no v1 signature matches")]
    [InlineData(SpecId, "1614265330", "v2,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=", SpecBody, "no v1 signature matches")]
    [InlineData(SpecId, "1614265330", "v1,not base64!", SpecBody, "no v1 signature matches")]
    [InlineData(SpecId, "1614264929", SpecSignature, SpecBody, "away from now")] // 401 s old
    [InlineData(SpecId, "1614265731", SpecSignature, SpecBody, "away from now")] // 401 s ahead
    [InlineData(SpecId, "soon", SpecSignature, SpecBody, "not unix seconds")]
    [InlineData(null, "1614265330", SpecSignature, SpecBody, "missing")]
    [InlineData(SpecId, null, SpecSignature, SpecBody, "missing")]
    [InlineData(SpecId, "1614265330", null, SpecBody, "missing")]
    public void The_verifier_rejects_tampering_replays_and_missing_headers(string? id, string? timestamp, string? signature, string body, string error)
    {
        var result = new WebhookVerifier(SpecSecret, time: SpecTime).Verify(id, timestamp, signature, body);

        Assert.False(result.IsValid);
        Assert.Contains(error, result.Error);
    }

    [Fact]
    public void A_wrong_secret_fails_and_raw_secrets_are_their_utf8_bytes()
    {
        var other = WebhookSecret.Generate();
        Assert.StartsWith("whsec_", other);
        Assert.False(new WebhookVerifier(other, time: SpecTime).Verify(SpecId, "1614265330", SpecSignature, SpecBody).IsValid);

        const string raw = "a raw development secret of 36 bytes";
        var signature = new WebhookSigner(raw).Sign(SpecId, SpecTimestamp, SpecBody);
        var asStandard = new WebhookSigner("whsec_" + Convert.ToBase64String(Encoding.UTF8.GetBytes(raw))).Sign(SpecId, SpecTimestamp, SpecBody);
        Assert.Equal(asStandard, signature);
        Assert.True(new WebhookVerifier(raw, time: SpecTime).Verify(SpecId, "1614265330", signature, SpecBody).IsValid);
    }

    [Fact]
    public void Weak_or_malformed_secrets_and_dotted_ids_are_refused()
    {
        Assert.Contains("at least 24", Assert.Throws<ArgumentException>(() => new WebhookSigner("short")).Message);
        Assert.Contains("base64", Assert.Throws<ArgumentException>(() => new WebhookSigner("whsec_***not base64***")).Message);
        Assert.Throws<InvalidOperationException>(() => WebhookSigner.FromOptions(new WebhookOptions()));
        Assert.Throws<ArgumentException>(() => new WebhookSigner(SpecSecret).Sign("msg.1", 1, "{}"));
    }

    [Fact]
    public void The_webhook_id_of_a_job_is_stable_and_dot_free()
    {
        var id = JobEventHandler.MessageIdFor("my.job.v2");

        Assert.Equal(id, JobEventHandler.MessageIdFor("my.job.v2"));
        Assert.NotEqual(id, JobEventHandler.MessageIdFor("my.job.v3"));
        Assert.Matches("^msg_[0-9a-f]{32}$", id);
    }
}
