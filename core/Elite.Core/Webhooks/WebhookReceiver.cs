using System.Net;
using System.Text;
using System.Threading.Channels;

namespace Elite.Core.Webhooks;

/// <summary>One request that reached a <see cref="WebhookReceiver"/>, and the status it was answered with.</summary>
public sealed record ReceivedWebhook(string? Id, string? Timestamp, string? Signature, string ContentType, byte[] Body, int AnsweredWith)
{
    public string Text => Encoding.UTF8.GetString(Body);
}

/// <summary>How a <see cref="WebhookReceiver"/> misbehaves on one request, for fault runs.</summary>
public enum WebhookFault
{
    None,

    /// <summary>Answer 500.</summary>
    Fail,

    /// <summary>Say nothing for <see cref="WebhookReceiver.HangFor"/>, then answer 503: the sender's timeout should fire first.</summary>
    Hang,
}

/// <summary>
/// A webhook endpoint on a free loopback port (System.Net.HttpListener), for the demo and the tests. It answers
/// with the given statuses in turn, then 200; with a <see cref="WebhookVerifier"/>, a delivery whose Standard
/// Webhooks signature does not verify is answered 401 instead, and only verified ones reach <see cref="NextAsync"/>.
/// </summary>
public sealed class WebhookReceiver : IAsyncDisposable
{
    private readonly HttpListener _listener = new();
    private readonly WebhookVerifier? _verifier;
    private readonly Queue<int> _statuses;
    private readonly List<ReceivedWebhook> _received = [];
    private readonly Channel<ReceivedWebhook> _accepted = Channel.CreateUnbounded<ReceivedWebhook>();
    private readonly Task _loop;

    public WebhookReceiver(WebhookVerifier? verifier = null, params int[] statuses)
    {
        _verifier = verifier;
        _statuses = new Queue<int>(statuses);
        var prefix = $"http://127.0.0.1:{LoopbackPort.Free()}/";
        _listener.Prefixes.Add(prefix);
        _listener.Start();
        Url = prefix + "hooks/elite";
        _loop = Task.Run(ServeAsync);
    }

    public string Url { get; }

    /// <summary>Decides, per verified request, whether to misbehave (fault runs); none by default.</summary>
    public Func<WebhookFault>? Faults { get; init; }

    public TimeSpan HangFor { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>Every request so far, in order of arrival.</summary>
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

    /// <summary>The next delivery answered 2xx (and verified, with a verifier).</summary>
    public async Task<ReceivedWebhook> NextAsync(CancellationToken cancellationToken) => await _accepted.Reader.ReadAsync(cancellationToken);

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
            var headers = context.Request.Headers;
            var verified = _verifier is null || _verifier.Verify(headers["webhook-id"], headers["webhook-timestamp"], headers["webhook-signature"], body.ToArray()).IsValid;
            var fault = verified && Faults is { } faults ? faults() : WebhookFault.None;
            ReceivedWebhook received;
            lock (_received)
            {
                var status = !verified ? (int)HttpStatusCode.Unauthorized
                    : fault == WebhookFault.Fail ? (int)HttpStatusCode.InternalServerError
                    : fault == WebhookFault.Hang ? (int)HttpStatusCode.ServiceUnavailable
                    : _statuses.Count > 0 ? _statuses.Dequeue() : (int)HttpStatusCode.OK;
                received = new(headers["webhook-id"], headers["webhook-timestamp"], headers["webhook-signature"], context.Request.ContentType ?? "", body.ToArray(), status);
                _received.Add(received);
            }

            if (fault == WebhookFault.Hang)
            {
                _ = AnswerLaterAsync(context, received.AnsweredWith); // keeps serving others meanwhile
                continue;
            }

            Answer(context, received.AnsweredWith);
            if (received.AnsweredWith is >= 200 and < 300) await _accepted.Writer.WriteAsync(received);
        }
    }

    private async Task AnswerLaterAsync(HttpListenerContext context, int status)
    {
        await Task.Delay(HangFor);
        Answer(context, status);
    }

    private static void Answer(HttpListenerContext context, int status)
    {
        try
        {
            context.Response.StatusCode = status;
            context.Response.Close();
        }
        catch (Exception e) when (e is HttpListenerException or ObjectDisposedException or InvalidOperationException)
        {
            // The sender hung up first (its timeout), or the receiver is closing.
        }
    }

    public async ValueTask DisposeAsync()
    {
        _listener.Stop();
        _listener.Close();
        await _loop;
    }
}
