using System.Net;
using System.Net.Sockets;

namespace Elite.Core.Webhooks;

/// <summary>The result of checking a webhook URL: allowed, or refused with the reason.</summary>
/// <param name="Transient">Refused only because the name did not resolve now; it may later.</param>
public sealed record WebhookUrlCheck(bool Allowed, string? Reason, bool Transient = false)
{
    public static WebhookUrlCheck Allow { get; } = new(true, null);

    public static WebhookUrlCheck Refuse(string reason, bool transient = false) => new(false, reason, transient);
}

/// <summary>A webhook URL, or the address a host name resolved to, that the policy does not allow.</summary>
public sealed class WebhookUrlRefusedException(string message) : Exception(message);

/// <summary>
/// Which URLs a webhook may be sent to (server-side request forgery protection). Only http and https, and unless
/// <see cref="WebhookOptions.AllowPrivateAddresses"/>, only hosts whose every address is public: not loopback,
/// private (10/8, 172.16/12, 192.168/16, fc00::/7), link-local (169.254/16 with the cloud metadata address
/// 169.254.169.254, fe80::/10), CGNAT (100.64/10), unspecified, multicast, broadcast or reserved.
/// </summary>
/// <remarks>
/// A name checked now may resolve elsewhere a second later (DNS rebinding). So the check at submission is
/// advice for the caller; the delivery's own handler (<see cref="WebhookDelivery.CreateHttpClient"/>) resolves the
/// name once per connection, checks those addresses and connects only to them.
/// </remarks>
public sealed class WebhookUrlPolicy(bool allowPrivateAddresses)
{
    public WebhookUrlPolicy(WebhookOptions options)
        : this(options.AllowPrivateAddresses)
    {
    }

    public bool AllowPrivateAddresses { get; } = allowPrivateAddresses;

    /// <summary>The checks that need no DNS: an absolute http(s) URL of bounded length, with a host and no credentials.</summary>
    public static string? CheckSyntax(string url, int maxLength = 2048)
    {
        if (url.Length > maxLength)
        {
            return $"is {url.Length} characters long; at most {maxLength} are allowed";
        }

        if (!Uri.TryCreate(url, UriKind.Absolute, out var uri))
        {
            return "is not an absolute URL";
        }

        if (uri.Scheme != Uri.UriSchemeHttps && uri.Scheme != Uri.UriSchemeHttp)
        {
            return $"must use http or https, not {uri.Scheme}";
        }

        if (string.IsNullOrEmpty(uri.Host))
        {
            return "has no host";
        }

        if (uri.HostNameType is not (UriHostNameType.IPv4 or UriHostNameType.IPv6) && DnsNameProblem(uri.IdnHost) is { } nameProblem)
        {
            return nameProblem;
        }

        return uri.UserInfo.Length > 0 ? "must not carry credentials" : null;
    }

    /// <summary>Why a host name cannot be resolved at all (RFC 1035's limits), or null.</summary>
    private static string? DnsNameProblem(string host)
    {
        const int MaxName = 253, MaxLabel = 63;
        var name = host.TrimEnd('.');
        return name.Length > MaxName ? $"has a host name of {name.Length} characters; DNS allows at most {MaxName}"
            : name.Split('.').Any(label => label.Length > MaxLabel) ? $"has a host name label longer than {MaxLabel} characters, more than DNS allows"
            : null;
    }

    /// <summary>Checks the URL, resolving its host name and checking every address it has.</summary>
    public async Task<WebhookUrlCheck> CheckAsync(string url, CancellationToken cancellationToken)
    {
        if (CheckSyntax(url) is { } problem)
        {
            return WebhookUrlCheck.Refuse(problem);
        }

        try
        {
            await ResolveAllowedAsync(new Uri(url).IdnHost, cancellationToken);
            return WebhookUrlCheck.Allow;
        }
        catch (WebhookUrlRefusedException e)
        {
            return WebhookUrlCheck.Refuse(e.Message);
        }
        catch (SocketException e)
        {
            return WebhookUrlCheck.Refuse($"has a host that does not resolve ({e.SocketErrorCode})", transient: true);
        }
    }

    /// <summary>
    /// The addresses of <paramref name="host"/> (a name or an IP literal), all of them allowed; throws
    /// <see cref="WebhookUrlRefusedException"/> if any is not, and <see cref="SocketException"/> if the name does not resolve.
    /// </summary>
    public async Task<IPAddress[]> ResolveAllowedAsync(string host, CancellationToken cancellationToken)
    {
        var addresses = IPAddress.TryParse(host.Trim('[', ']'), out var literal)
            ? [literal]
            : await Dns.GetHostAddressesAsync(host, cancellationToken);
        if (addresses.Length == 0)
        {
            throw new WebhookUrlRefusedException($"host {host} has no address");
        }

        if (!AllowPrivateAddresses)
        {
            foreach (var address in addresses)
            {
                if (RefusalReason(address) is { } reason)
                {
                    var shown = address.ToString() == host.Trim('[', ']') ? "" : $" (resolved to {address})";
                    throw new WebhookUrlRefusedException($"host {host}{shown} is {reason}; webhooks go to public addresses only");
                }
            }
        }

        return addresses;
    }

    /// <summary>Why <paramref name="address"/> is not a public unicast address, or null when it is.</summary>
    public static string? RefusalReason(IPAddress address)
    {
        if (address.IsIPv4MappedToIPv6)
        {
            return RefusalReason(address.MapToIPv4());
        }

        var bytes = address.GetAddressBytes();
        if (address.AddressFamily == AddressFamily.InterNetwork)
        {
            foreach (var (network, prefix, name) in ReservedV4)
            {
                if (InPrefix(bytes, network, prefix))
                {
                    return name;
                }
            }

            return null;
        }

        if (address.Equals(IPAddress.IPv6Any))
        {
            return "the unspecified address";
        }

        if (address.Equals(IPAddress.IPv6Loopback))
        {
            return "a loopback address";
        }

        foreach (var (network, prefix, name) in ReservedV6)
        {
            if (InPrefix(bytes, network, prefix))
            {
                return name;
            }
        }

        // NAT64 and 6to4 addresses reach the IPv4 address they embed.
        if (InPrefix(bytes, Nat64, 96))
        {
            return RefusalReason(new IPAddress(bytes.AsSpan(12, 4)));
        }

        if (bytes[0] == 0x20 && bytes[1] == 0x02)
        {
            return RefusalReason(new IPAddress(bytes.AsSpan(2, 4)));
        }

        return null;
    }

    private static readonly (byte[] Network, int Prefix, string Name)[] ReservedV4 =
    [
        ([169, 254, 169, 254], 32, "the cloud metadata address"),
        ([0, 0, 0, 0], 8, "an unspecified (\"this network\") address"),
        ([10, 0, 0, 0], 8, "a private address"),
        ([100, 64, 0, 0], 10, "a carrier-grade NAT address"),
        ([127, 0, 0, 0], 8, "a loopback address"),
        ([169, 254, 0, 0], 16, "a link-local address"),
        ([172, 16, 0, 0], 12, "a private address"),
        ([192, 0, 0, 0], 24, "an IETF protocol address"),
        ([192, 168, 0, 0], 16, "a private address"),
        ([198, 18, 0, 0], 15, "a benchmarking address"),
        ([224, 0, 0, 0], 4, "a multicast address"),
        ([240, 0, 0, 0], 4, "a reserved or broadcast address"),
    ];

    private static readonly (byte[] Network, int Prefix, string Name)[] ReservedV6 =
    [
        (V6(0x0000), 96, "an IPv4-compatible address"),
        (V6(0xfc00), 7, "a private (unique local) address"),
        (V6(0xfe80), 10, "a link-local address"),
        (V6(0xfec0), 10, "a site-local address"),
        (V6(0xff00), 8, "a multicast address"),
    ];

    private static readonly byte[] Nat64 = [0x00, 0x64, 0xff, 0x9b, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0];

    private static byte[] V6(int firstGroup)
    {
        var bytes = new byte[16];
        bytes[0] = (byte)(firstGroup >> 8);
        bytes[1] = (byte)firstGroup;
        return bytes;
    }

    private static bool InPrefix(byte[] address, byte[] network, int prefix)
    {
        if (address.Length != network.Length)
        {
            return false;
        }

        var whole = prefix / 8;
        if (!address.AsSpan(0, whole).SequenceEqual(network.AsSpan(0, whole)))
        {
            return false;
        }

        var rest = prefix % 8;
        if (rest == 0)
        {
            return true;
        }

        var mask = (byte)(0xff << (8 - rest));
        return (address[whole] & mask) == (network[whole] & mask);
    }
}
