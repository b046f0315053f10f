using System.Net.Sockets;

namespace Appliance.Platform.Redis;

public sealed partial class RedisClient
{
    /// <summary>
    /// One SUBSCRIBE on its own connection. After a connection loss it reconnects with a growing delay (0.1 s to 2 s)
    /// and subscribes again; closing the connection on dispose is what unsubscribes it on the server.
    /// </summary>
    private sealed class RedisSubscription(RedisClient owner, string channel, Func<RedisMessage, Task> handler) : IAsyncDisposable
    {
        private static readonly TimeSpan FirstRetry = TimeSpan.FromMilliseconds(100);
        private static readonly TimeSpan MaxRetry = TimeSpan.FromSeconds(2);
        private readonly CancellationTokenSource _stop = new();
        private NetworkStream? _stream;
        private Task _loop = Task.CompletedTask;

        public async Task StartAsync(CancellationToken cancellationToken)
        {
            var (stream, reader) = await ConnectAsync(cancellationToken);
            _stream = stream;
            _loop = Task.Run(() => RunAsync(stream, reader), CancellationToken.None);
        }

        private async Task<(NetworkStream Stream, RespReader Reader)> ConnectAsync(CancellationToken cancellationToken)
        {
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            timeout.CancelAfter(owner._settings.ConnectTimeout + owner._settings.CommandTimeout);
            var handshake = owner.Handshake(selectDatabase: false);
            handshake.Add(["SUBSCRIBE", channel]);
            try
            {
                return await owner.OpenAsync(handshake, timeout.Token);
            }
            catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
                throw new RedisUnavailableException($"redis {owner.Endpoint} unavailable: SUBSCRIBE timed out");
            }
        }

        private async Task RunAsync(NetworkStream? stream, RespReader? reader)
        {
            var retry = FirstRetry;
            while (!_stop.IsCancellationRequested)
            {
                try
                {
                    if (stream is null || reader is null)
                    {
                        (stream, reader) = await ConnectAsync(_stop.Token);
                        _stream = stream;
                        retry = FirstRetry;
                        if (_stop.IsCancellationRequested)
                        {
                            break;
                        }
                    }

                    var value = await reader.ReadAsync(_stop.Token);
                    if (value is { Kind: RedisValueKind.Array, Items: [{ Text: "message" }, { Text: { } from }, { Text: { } message }] })
                    {
                        await DeliverAsync(new RedisMessage(from, message));
                    }
                }
                catch (Exception ex) when (ex is IOException or SocketException or ObjectDisposedException or OperationCanceledException
                    or RedisUnavailableException or RedisServerException)
                {
                    await (stream?.DisposeAsync() ?? ValueTask.CompletedTask);
                    stream = null;
                    reader = null;
                    try
                    {
                        await Task.Delay(retry, _stop.Token);
                    }
                    catch (OperationCanceledException)
                    {
                        break;
                    }

                    retry = TimeSpan.FromTicks(Math.Min(retry.Ticks * 2, MaxRetry.Ticks));
                }
            }

            await (stream?.DisposeAsync() ?? ValueTask.CompletedTask);
        }

        private async Task DeliverAsync(RedisMessage message)
        {
            try
            {
                await handler(message);
            }
#pragma warning disable CA1031 // A failing handler must not end the subscription for the messages after it.
            catch (Exception)
#pragma warning restore CA1031
            {
            }
        }

        public async ValueTask DisposeAsync()
        {
            if (_stop.IsCancellationRequested)
            {
                return;
            }

            await _stop.CancelAsync();
            _stream?.Dispose();
            await _loop;
            _stop.Dispose();
            owner._subscriptions.TryRemove(this, out _);
        }
    }
}
