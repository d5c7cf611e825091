using System.Net;
using Elite.Core.Webhooks;

namespace Elite.Core.Tests;

public sealed class WebhookUrlPolicyTests
{
    private readonly WebhookUrlPolicy strict = new(allowPrivateAddresses: false);

    [Theory]
    [InlineData("http://127.0.0.1/hook", "loopback")]
    [InlineData("http://localhost:8080/hook", "loopback")]
    [InlineData("http://10.1.2.3/", "private")]
    [InlineData("http://172.20.0.1/", "private")]
    [InlineData("https://192.168.1.1/hook", "private")]
    [InlineData("http://169.254.169.254/latest/meta-data/", "cloud metadata")]
    [InlineData("http://169.254.10.1/", "link-local")]
    [InlineData("http://[::1]/hook", "loopback")]
    [InlineData("http://[fe80::1]/", "link-local")]
    [InlineData("http://[fd12:3456::1]/", "private")]
    [InlineData("http://[::ffff:10.0.0.1]/", "private")]
    [InlineData("http://[64:ff9b::7f00:1]/", "loopback")]
    [InlineData("http://100.64.0.1/", "carrier-grade NAT")]
    [InlineData("http://0.0.0.0/", "unspecified")]
    [InlineData("http://[::]/", "unspecified")]
    [InlineData("http://224.0.0.1/", "multicast")]
    [InlineData("http://255.255.255.255/", "broadcast")]
    [InlineData("ftp://example.com/hook", "http or https")]
    [InlineData("file:///etc/passwd", "http or https")]
    [InlineData("example.com/hook", "absolute")]
    [InlineData("/relative/hook", "http or https")] // a file path on Unix
    [InlineData("https://user:pass@example.com/", "credentials")]
    public async Task Private_special_and_non_http_urls_are_refused(string url, string reason)
    {
        var check = await strict.CheckAsync(url, default);

        Assert.False(check.Allowed);
        Assert.Contains(reason, check.Reason);
    }

    [Theory]
    [InlineData(300, 10)] // a name longer than DNS allows made Dns.GetHostAddressesAsync throw: a 500, not a refusal
    [InlineData(3, 64)] // a label longer than 63 characters
    public async Task A_host_name_longer_than_dns_allows_is_refused_with_a_reason(int labels, int labelLength)
    {
        var host = string.Join('.', Enumerable.Repeat(new string('a', labelLength), labels / labelLength + 1)) + ".com";
        var check = await strict.CheckAsync($"https://{host}/hook", default);

        Assert.False(check.Allowed);
        Assert.Contains("DNS allows", check.Reason);
    }

    [Theory]
    [InlineData("https://93.184.215.14/hooks/elite")]
    [InlineData("http://8.8.8.8:8080/")]
    [InlineData("https://[2606:4700:4700::1111]/hook")]
    [InlineData("http://172.32.0.1/")] // just past 172.16/12
    public async Task Public_addresses_are_allowed(string url) => Assert.True((await strict.CheckAsync(url, default)).Allowed);

    [Fact]
    public async Task Local_development_may_allow_private_addresses_but_never_other_schemes()
    {
        var local = new WebhookUrlPolicy(new WebhookOptions { AllowPrivateAddresses = true });

        Assert.True((await local.CheckAsync("http://127.0.0.1:7071/hook", default)).Allowed);
        Assert.True((await local.CheckAsync("http://localhost/hook", default)).Allowed);
        Assert.False((await local.CheckAsync("ftp://127.0.0.1/", default)).Allowed);
    }

    [Fact]
    public async Task Every_address_of_a_name_is_checked()
    {
        var error = await Assert.ThrowsAsync<WebhookUrlRefusedException>(() => strict.ResolveAllowedAsync("localhost", default));
        Assert.Contains("resolved to", error.Message);
        Assert.Equal([IPAddress.Parse("8.8.4.4")], await strict.ResolveAllowedAsync("8.8.4.4", default));
        Assert.Null(WebhookUrlPolicy.RefusalReason(IPAddress.Parse("172.15.255.255")));
        Assert.NotNull(WebhookUrlPolicy.RefusalReason(IPAddress.Parse("172.31.255.255")));
        Assert.NotNull(WebhookUrlPolicy.RefusalReason(IPAddress.Parse("2002:c0a8:0101::1"))); // 6to4 of 192.168.1.1
    }
}
