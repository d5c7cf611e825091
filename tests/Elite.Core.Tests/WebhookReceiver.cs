using System.Net;
using System.Net.Sockets;

namespace Elite.Core.Tests;

/// <summary>One request that reached the <see cref="WebhookReceiver"/>.</summary>
internal sealed record ReceivedWebhook(string? Id, string? Timestamp, string? Signature, string ContentType, byte[] Body, int AnsweredWith);

/// <summary>A webhook endpoint on 127.0.0.1 (System.Net.HttpListener) that answers with the given statuses in turn, then 200.</summary>
internal sealed class WebhookReceiver : IAsyncDisposable
{
    private readonly HttpListener _listener = new();
    private readonly Queue<int> _statuses;
    private readonly List<ReceivedWebhook> _received = [];
    private readonly Task _loop;

    public WebhookReceiver(params int[] statuses)
    {
        _statuses = new Queue<int>(statuses);
        var prefix = $"http://127.0.0.1:{FreePort()}/";
        _listener.Prefixes.Add(prefix);
        _listener.Start();
        Url = prefix + "hooks/elite";
        _loop = Task.Run(ServeAsync);
    }

    public string Url { get; }

    public IReadOnlyList<ReceivedWebhook> Received
    {
        get
        {
            lock (_received)
            {
                return [.. _received];
            }
        }
    }

    private async Task ServeAsync()
    {
        while (_listener.IsListening)
        {
            HttpListenerContext context;
            try
            {
                context = await _listener.GetContextAsync();
            }
            catch (Exception e) when (e is HttpListenerException or ObjectDisposedException)
            {
                return;
            }

            using var body = new MemoryStream();
            await context.Request.InputStream.CopyToAsync(body);
            int status;
            lock (_received)
            {
                status = _statuses.Count > 0 ? _statuses.Dequeue() : 200;
                var headers = context.Request.Headers;
                _received.Add(new(headers["webhook-id"], headers["webhook-timestamp"], headers["webhook-signature"], context.Request.ContentType ?? "", body.ToArray(), status));
            }

            context.Response.StatusCode = status;
            context.Response.Close();
        }
    }

    private static int FreePort()
    {
        var probe = new TcpListener(IPAddress.Loopback, 0);
        probe.Start();
        var port = ((IPEndPoint)probe.LocalEndpoint).Port;
        probe.Stop();
        return port;
    }

    public async ValueTask DisposeAsync()
    {
        _listener.Stop();
        _listener.Close();
        await _loop;
    }
}
