using System.Net;
using System.Net.Sockets;

namespace Elite.Core;

/// <summary>Free loopback ports, for the local hosts, receivers and benchmarks that listen on this machine.</summary>
public static class LoopbackPort
{
    /// <summary>A TCP port free on 127.0.0.1 right now.</summary>
    public static int Free()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
