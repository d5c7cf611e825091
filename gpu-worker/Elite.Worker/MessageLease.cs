using System.Net;
using Azure;
using Azure.Storage.Queues;
using Azure.Storage.Queues.Models;
using Elite.Core.Messages;
using Elite.Core.Storage;
using Polly;
using Polly.Retry;

namespace Elite.Worker;

/// <summary>
/// A queue message in hand. Its invisibility is renewed in the background while a long batch runs, so
/// no other worker takes it; it ends completed (deleted), delayed (visible again later), released
/// (visible now), or — if the process dies — visible again when the last renewal runs out.
/// </summary>
public sealed class MessageLease : IAsyncDisposable
{
    /// <summary>A renewal has half the visibility left to succeed: transient failures are retried for about 30 s of it.</summary>
    private static readonly ResiliencePipeline RenewalRetry = new ResiliencePipelineBuilder()
        .AddRetry(new RetryStrategyOptions
        {
            ShouldHandle = new PredicateBuilder().Handle<Exception>(StorageErrors.IsTransient),
            MaxRetryAttempts = 5,
            Delay = TimeSpan.FromSeconds(1),
            BackoffType = DelayBackoffType.Exponential,
            UseJitter = true,
        })
        .Build();

    private readonly QueueClient queue;
    private readonly TimeSpan visibility;
    private readonly CancellationTokenSource renewal = new();
    private readonly Task renewing;
    private readonly SemaphoreSlim gate = new(1, 1);
    private string popReceipt;
    private bool ended;
    private bool disposed;

    public MessageLease(QueueClient queue, QueueMessage message, TimeSpan visibility)
    {
        this.queue = queue;
        this.visibility = visibility;
        Message = message;
        popReceipt = message.PopReceipt;
        renewing = RenewAsync(renewal.Token);
    }

    public QueueMessage Message { get; }

    /// <summary>Deletes the message. One already gone (its lease lapsed and another worker took it) is no error: the work is recorded idempotently.</summary>
    public Task CompleteAsync(CancellationToken cancellationToken) =>
        EndAsync(async () =>
        {
            try
            {
                await queue.DeleteMessageAsync(Message.MessageId, popReceipt, cancellationToken);
            }
            catch (RequestFailedException e) when (e.Status == (int)HttpStatusCode.NotFound)
            {
            }
        });

    /// <summary>Makes the message visible again after <paramref name="delay"/> (a retry later, without counting as a failure of this worker).</summary>
    public Task DelayAsync(TimeSpan delay, CancellationToken cancellationToken) =>
        EndAsync(() => queue.UpdateMessageAsync(Message.MessageId, popReceipt, visibilityTimeout: delay, cancellationToken: cancellationToken));

    /// <summary>
    /// Replaces the message by <paramref name="body"/>, visible after <paramref name="delay"/>. The copy is a new
    /// message, so a task that waits does not use up its deliveries (a delay would count as one).
    /// </summary>
    public Task RequeueAsync(string body, TimeSpan delay, CancellationToken cancellationToken) =>
        EndAsync(async () =>
        {
            await queue.SendMessageAsync(body, visibilityTimeout: delay, cancellationToken: cancellationToken);
            await queue.DeleteMessageAsync(Message.MessageId, popReceipt, cancellationToken);
        });

    /// <summary>Hands the message back now, for another worker (shutdown).</summary>
    public Task ReleaseAsync(CancellationToken cancellationToken) => DelayAsync(TimeSpan.Zero, cancellationToken);

    /// <summary>
    /// The message as a <typeparamref name="T"/>, checked by <paramref name="check"/> (which throws
    /// <see cref="ArgumentException"/> on a bad field); a message that is not one is poisoned, logged with the
    /// reason, and null is returned.
    /// </summary>
    public async Task<T?> ReadOrPoisonAsync<T>(QueueClient poisonQueue, Action<T> check, ILogger logger, CancellationToken cancellationToken)
        where T : class
    {
        try
        {
            var message = QueueMessages.Deserialize<T>(Message.Body.ToString());
            check(message);
            return message;
        }
        catch (Exception e) when (e is InvalidMessageException or ArgumentException)
        {
            logger.LogWarning("Poison {Queue} message {MessageId}: {Reason}", queue.Name, Message.MessageId, e.Message);
            await PoisonAsync(poisonQueue, cancellationToken);
            return null;
        }
    }

    /// <summary>Moves the message to <paramref name="poisonQueue"/> unchanged and deletes it here.</summary>
    public Task PoisonAsync(QueueClient poisonQueue, CancellationToken cancellationToken) =>
        EndAsync(async () =>
        {
            await poisonQueue.SendMessageAsync(Message.Body, cancellationToken: cancellationToken);
            await queue.DeleteMessageAsync(Message.MessageId, popReceipt, cancellationToken);
        });

    /// <summary>Stops the renewals (a message not ended comes back when its invisibility runs out). Safe to call again.</summary>
    public async ValueTask DisposeAsync()
    {
        if (disposed) return;
        disposed = true;
        await renewal.CancelAsync();
        try
        {
            await renewing;
        }
        catch (OperationCanceledException)
        {
        }

        renewal.Dispose();
        gate.Dispose();
    }

    private async Task EndAsync(Func<Task> action)
    {
        await renewal.CancelAsync();
        await gate.WaitAsync();
        try
        {
            if (ended) return;
            ended = true;
            await action();
        }
        finally
        {
            gate.Release();
        }
    }

    private async Task RenewAsync(CancellationToken cancellationToken)
    {
        while (true)
        {
            await Task.Delay(visibility / 2, cancellationToken);
            await gate.WaitAsync(cancellationToken);
            try
            {
                if (ended) return;
                var receipt = await RenewalRetry.ExecuteAsync(
                    async token => await queue.UpdateMessageAsync(Message.MessageId, popReceipt, visibilityTimeout: visibility, cancellationToken: token),
                    cancellationToken);
                popReceipt = receipt.Value.PopReceipt;
            }
            catch (RequestFailedException e) when (!StorageErrors.IsTransient(e))
            {
                return; // gone or taken over after a lapse: nothing left to keep invisible
            }
            catch (Exception e) when (StorageErrors.IsTransient(e))
            {
                // Still failing after the retries: try again at the next interval, while the message may still be ours.
            }
            finally
            {
                gate.Release();
            }
        }
    }
}
