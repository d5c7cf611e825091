using System.IO.Compression;
using System.Net;
using System.Net.Sockets;
using System.Text;
using Microsoft.Extensions.DependencyInjection;
using OpenTelemetry.Metrics;

namespace Elite.Worker.Tests;

/// <summary>The worker's metrics reach Application Insights when the deployment names it.</summary>
public sealed class WorkerTelemetryTests
{
    [Theory]
    [InlineData("Authorization=AAD;ClientId=0b5c-client", true, "0b5c-client")]
    [InlineData(" authorization = aad ; clientid = 7f ", true, "7f")]
    [InlineData("Authorization=AAD", true, null)]
    [InlineData("ClientId=1;Authorization=AAD;ClientId=2", true, "2")]
    [InlineData("Authorization=Other;ClientId=7f", false, null)]
    [InlineData(null, false, null)]
    public void The_authentication_setting_names_the_managed_identity(string? setting, bool usesEntraId, string? clientId) =>
        Assert.Equal((usesEntraId, clientId), WorkerTelemetry.Authentication(setting));

    [Fact]
    public async Task Worker_metrics_are_sent_to_the_ingestion_endpoint_of_the_connection_string()
    {
        using var ingestion = new HttpListener();
        var port = FreePort();
        ingestion.Prefixes.Add($"http://127.0.0.1:{port}/");
        ingestion.Start();
        var received = ReceiveAsync(ingestion);

        await using var app = WorkerHost.Build(
            [$"--{WorkerTelemetry.ConnectionStringSetting}=InstrumentationKey=00000000-0000-0000-0000-000000000001;IngestionEndpoint=http://127.0.0.1:{port}/"]);
        var provider = app.Services.GetRequiredService<MeterProvider>(); // the host's telemetry service builds it at start
        app.Services.GetRequiredService<WorkerMetrics>().Images.Add(3);
        Assert.True(provider.ForceFlush(30_000));

        var body = await received.WaitAsync(TimeSpan.FromSeconds(30));
        Assert.Contains("elite.images", body);
    }

    private static async Task<string> ReceiveAsync(HttpListener listener)
    {
        var context = await listener.GetContextAsync();
        Stream content = context.Request.InputStream;
        if (context.Request.Headers["Content-Encoding"] == "gzip") content = new GZipStream(content, CompressionMode.Decompress);
        using var reader = new StreamReader(content, Encoding.UTF8);
        var body = await reader.ReadToEndAsync();
        context.Response.StatusCode = 200;
        context.Response.Close();
        return body;
    }

    private static int FreePort()
    {
        using var socket = new TcpListener(IPAddress.Loopback, 0);
        socket.Start();
        return ((IPEndPoint)socket.LocalEndpoint).Port;
    }
}
