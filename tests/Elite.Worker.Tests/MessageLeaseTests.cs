using Azure.Core;
using Azure.Core.Pipeline;
using Azure.Storage.Queues;
using Elite.Core.Storage;

namespace Elite.Worker.Tests;

/// <summary>A message in hand stays invisible while its batch runs, through the storage errors a renewal meets.</summary>
[Collection(WorkerCollection.Name)]
public sealed class MessageLeaseTests(WorkerFixture fixture)
{
    [Fact]
    public async Task A_renewal_that_meets_a_transient_error_retries_and_the_message_stays_hidden()
    {
        var name = "lease-" + Guid.NewGuid().ToString("N")[..12];
        var failing = new FailFirstRenewal();
        var options = new QueueClientOptions { MessageEncoding = QueueMessageEncoding.Base64 };
        options.AddPolicy(failing, HttpPipelinePosition.PerCall);
        var queue = new QueueClient(Environment.GetEnvironmentVariable(StorageConnection.SettingName), name, options);
        await queue.CreateAsync();
        try
        {
            await queue.SendMessageAsync("work");
            var visibility = TimeSpan.FromSeconds(6);
            var message = (await queue.ReceiveMessageAsync(visibility)).Value;
            await using var lease = new MessageLease(queue, message, visibility);

            await Task.Delay(TimeSpan.FromSeconds(8)); // past the first visibility: only renewals keep it hidden

            Assert.Equal(1, failing.Failed);
            Assert.Null((await fixture.Clients.Queues.GetQueueClient(name).ReceiveMessageAsync()).Value);
            await lease.CompleteAsync(default);
        }
        finally
        {
            await queue.DeleteAsync();
        }
    }

    /// <summary>Fails the first renewal (an update of a message's visibility) as a broken connection would.</summary>
    private sealed class FailFirstRenewal : HttpPipelinePolicy
    {
        public int Failed { get; private set; }

        public override void Process(HttpMessage message, ReadOnlyMemory<HttpPipelinePolicy> pipeline) => throw new NotSupportedException();

        public override ValueTask ProcessAsync(HttpMessage message, ReadOnlyMemory<HttpPipelinePolicy> pipeline)
        {
            var renewal = message.Request.Method == RequestMethod.Put && message.Request.Uri.Query.Contains("popreceipt", StringComparison.OrdinalIgnoreCase);
            if (renewal && Failed == 0)
            {
                Failed++;
                throw new IOException("the connection was reset (test)");
            }

            return ProcessNextAsync(message, pipeline);
        }
    }
}
