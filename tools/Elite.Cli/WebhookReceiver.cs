using System.Net;
using System.Threading.Channels;
using Elite.Core.Webhooks;

namespace Elite.Cli;

/// <summary>A webhook delivery that passed signature verification.</summary>
internal sealed record ReceivedWebhook(string Id, string Body);

/// <summary>A local webhook endpoint on a free loopback port that verifies each delivery's Standard Webhooks signature.</summary>
internal sealed class WebhookReceiver : IDisposable
{
    private readonly HttpListener listener = new();
    private readonly Channel<ReceivedWebhook> received = Channel.CreateUnbounded<ReceivedWebhook>();
    private readonly WebhookVerifier verifier;

    public WebhookReceiver(WebhookVerifier verifier)
    {
        this.verifier = verifier;
        Url = $"http://127.0.0.1:{LoopbackPort.Free()}/hook/";
        listener.Prefixes.Add(Url);
        listener.Start();
        _ = Task.Run(ServeAsync);
    }

    public string Url { get; }

    public async Task<ReceivedWebhook> NextAsync(CancellationToken cancellationToken) => await received.Reader.ReadAsync(cancellationToken);

    public void Dispose() => listener.Close();

    private async Task ServeAsync()
    {
        while (listener.IsListening)
        {
            HttpListenerContext context;
            try
            {
                context = await listener.GetContextAsync();
            }
            catch (Exception e) when (e is HttpListenerException or ObjectDisposedException)
            {
                return;
            }

            using var body = new MemoryStream();
            await context.Request.InputStream.CopyToAsync(body);
            var headers = context.Request.Headers;
            var check = verifier.Verify(headers["webhook-id"], headers["webhook-timestamp"], headers["webhook-signature"], body.ToArray());
            context.Response.StatusCode = check.IsValid ? 200 : 401;
            context.Response.Close();
            if (check.IsValid) await received.Writer.WriteAsync(new ReceivedWebhook(headers["webhook-id"]!, System.Text.Encoding.UTF8.GetString(body.ToArray())));
        }
    }
}
