using System.Net;
using System.Net.Sockets;
using System.Text;

namespace Elite.Core.Webhooks;

public enum WebhookDeliveryOutcome
{
    /// <summary>The receiver answered 2xx.</summary>
    Delivered,

    /// <summary>This attempt failed in a way a later one may not: try again after <see cref="WebhookDeliveryResult.Delay"/>.</summary>
    RetryLater,

    /// <summary>Stop: the last allowed attempt failed, the receiver answered 410 Gone, or the URL is not allowed.</summary>
    GaveUp,
}

/// <param name="StatusCode">The receiver's HTTP status, when it answered.</param>
/// <param name="Error">Why the attempt failed, in words for the job row.</param>
/// <param name="Delay">For <see cref="WebhookDeliveryOutcome.RetryLater"/>, how long to wait.</param>
public sealed record WebhookDeliveryResult(WebhookDeliveryOutcome Outcome, int? StatusCode, string? Error, TimeSpan Delay)
{
    public static WebhookDeliveryResult Delivered(int statusCode) => new(WebhookDeliveryOutcome.Delivered, statusCode, null, TimeSpan.Zero);
}

/// <summary>
/// One signed POST of a webhook body, and the verdict: delivered, retry later (after a delay that grows four-fold per
/// attempt, with jitter, honouring Retry-After), or give up. Redirects are not followed (a 3xx is a failure, as
/// Standard Webhooks advises) and no proxy is used: both would bypass the address checks.
/// </summary>
public sealed class WebhookDelivery(HttpClient http, WebhookSigner signer, WebhookUrlPolicy policy, WebhookOptions options, TimeProvider? time = null)
{
    private readonly TimeProvider _time = time ?? TimeProvider.System;

    /// <summary>An HttpClient over <see cref="CreateHandler"/>; each attempt has its own timeout.</summary>
    public static HttpClient CreateHttpClient(WebhookUrlPolicy policy, WebhookOptions options) =>
        new(CreateHandler(policy, options)) { Timeout = Timeout.InfiniteTimeSpan };

    /// <summary>
    /// The handler webhooks must go through (also for IHttpClientFactory's ConfigurePrimaryHttpMessageHandler): each
    /// connection resolves the host itself, checks every address against the policy and connects only to those, so
    /// DNS cannot answer differently between the check and the connection (rebinding).
    /// </summary>
    public static SocketsHttpHandler CreateHandler(WebhookUrlPolicy policy, WebhookOptions options) => new()
    {
        UseProxy = false,
        AllowAutoRedirect = false,
        PooledConnectionLifetime = TimeSpan.FromMinutes(2),
        ConnectTimeout = options.Timeout,
        ConnectCallback = async (context, cancellationToken) =>
        {
            var addresses = await policy.ResolveAllowedAsync(context.DnsEndPoint.Host, cancellationToken);
            var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
            try
            {
                await socket.ConnectAsync(addresses, context.DnsEndPoint.Port, cancellationToken);
                return new NetworkStream(socket, ownsSocket: true);
            }
            catch
            {
                socket.Dispose();
                throw;
            }
        },
    };

    /// <summary>Sends <paramref name="body"/> (JSON) to <paramref name="url"/>, signed for this moment, as attempt number <paramref name="attempt"/> (from 1).</summary>
    public async Task<WebhookDeliveryResult> DeliverAsync(string url, string messageId, string body, int attempt, CancellationToken cancellationToken)
    {
        var check = await policy.CheckAsync(url, cancellationToken);
        if (!check.Allowed)
        {
            return check.Transient
                ? Failed(attempt, null, $"the webhook URL {check.Reason}")
                : new(WebhookDeliveryOutcome.GaveUp, null, $"the webhook URL {check.Reason}", TimeSpan.Zero);
        }

        using var request = new HttpRequestMessage(HttpMethod.Post, url) { Content = new StringContent(body, Encoding.UTF8, "application/json") };
        foreach (var (name, value) in signer.CreateHeaders(messageId, _time.GetUtcNow(), body))
        {
            request.Headers.TryAddWithoutValidation(name, value);
        }

        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(options.Timeout);
        try
        {
            using var response = await http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, timeout.Token);
            var status = (int)response.StatusCode;
            if (response.IsSuccessStatusCode)
            {
                return WebhookDeliveryResult.Delivered(status);
            }

            if (response.StatusCode == HttpStatusCode.Gone)
            {
                return new(WebhookDeliveryOutcome.GaveUp, status, "the receiver answered 410 Gone: it wants no more webhooks", TimeSpan.Zero);
            }

            return Failed(attempt, status, $"the receiver answered {status} {response.ReasonPhrase}".TrimEnd(), RetryAfter(response));
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            return Failed(attempt, null, $"no answer within {options.Timeout.TotalSeconds:0} s");
        }
        catch (HttpRequestException e) when (e.InnerException is WebhookUrlRefusedException refused)
        {
            return new(WebhookDeliveryOutcome.GaveUp, null, $"the webhook URL {refused.Message}", TimeSpan.Zero);
        }
        catch (HttpRequestException e)
        {
            return Failed(attempt, null, $"the request failed: {e.Message}");
        }
    }

    /// <summary>The wait after failed attempt <paramref name="attempt"/> (from 1): its entry of the retry schedule (the last one once past its end), less up to 20% jitter.</summary>
    public TimeSpan RetryDelay(int attempt)
    {
        var delay = options.RetrySchedule[Math.Clamp(attempt - 1, 0, options.RetrySchedule.Count - 1)];
        return delay * (1 - (0.2 * Random.Shared.NextDouble()));
    }

    private WebhookDeliveryResult Failed(int attempt, int? status, string error, TimeSpan? retryAfter = null)
    {
        if (attempt >= options.MaxAttempts)
        {
            return new(WebhookDeliveryOutcome.GaveUp, status, $"gave up after {attempt} attempts; the last: {error}", TimeSpan.Zero);
        }

        var longest = options.RetrySchedule.Max();
        var delay = retryAfter is { } wanted && wanted > TimeSpan.Zero ? (wanted < longest ? wanted : longest) : RetryDelay(attempt);
        return new(WebhookDeliveryOutcome.RetryLater, status, error, delay);
    }

    private TimeSpan? RetryAfter(HttpResponseMessage response) => response.Headers.RetryAfter switch
    {
        { Delta: { } delta } => delta,
        { Date: { } date } => date - _time.GetUtcNow(),
        _ => null,
    };
}
