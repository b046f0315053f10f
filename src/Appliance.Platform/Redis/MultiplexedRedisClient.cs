using Appliance.Platform.Configuration;
using SE = StackExchange.Redis;

namespace Appliance.Platform.Redis;

/// <summary>
/// <see cref="IRedisClient"/> over one StackExchange.Redis <see cref="SE.ConnectionMultiplexer"/>: all callers share
/// its pipelined connection, scripts run by SHA1 (the library loads them once per server and resends the text when a
/// restart or SCRIPT FLUSH forgot them), and subscriptions ride its pub/sub connection, which the library resubscribes
/// after a reconnect. The library's exceptions are translated at this seam, so callers keep seeing the project's
/// <see cref="RedisUnavailableException"/> (connection lost, not connected, timed out) and
/// <see cref="RedisServerException"/> (an error reply), and nothing outside this folder depends on the library.
/// </summary>
/// <remarks>
/// The connection is opened in the background from the constructor, so a process starts (and answers /health) without
/// waiting for Redis; a command sent before the first connect finished waits for it, at most the connect timeout.
/// </remarks>
public sealed class MultiplexedRedisClient : IRedisClient
{
    private readonly RedisSettings _settings;
    private readonly string _clientName;
    private Task<SE.ConnectionMultiplexer> _connecting;
    private SE.IDatabase? _database;
    private volatile bool _disposed;

    public MultiplexedRedisClient(RedisSettings settings, string clientName = "appliance")
    {
        ArgumentNullException.ThrowIfNull(settings);
        _settings = settings;
        _clientName = clientName;
        _connecting = RedisConnection.ConnectAsync(settings, clientName);
    }

    /// <summary>The process's multiplexer, for what this interface does not cover (diagnostics, benchmarks).</summary>
    public Task<SE.ConnectionMultiplexer> MultiplexerAsync(CancellationToken cancellationToken = default) =>
        ConnectedAsync(cancellationToken);

    public async Task<RedisValue> ExecuteAsync(IReadOnlyList<string> command, CancellationToken cancellationToken = default)
    {
        var (name, args) = Split(command);
        var database = await DatabaseAsync(cancellationToken);
        return Convert(await RunAsync(database.ExecuteAsync(name, args, SE.CommandFlags.None), cancellationToken));
    }

    public async Task<IReadOnlyList<RedisValue>> ExecuteBatchAsync(IReadOnlyList<IReadOnlyList<string>> commands, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(commands);
        if (commands.Count == 0)
        {
            return [];
        }

        var split = commands.Select(Split).ToArray();
        var database = await DatabaseAsync(cancellationToken);
        var batch = database.CreateBatch();
        var tasks = split.Select(c => batch.ExecuteAsync(c.Name, c.Args, SE.CommandFlags.None)).ToArray();
        batch.Execute();
        var all = Task.WhenAll(tasks);
        try
        {
            await (cancellationToken.CanBeCanceled ? all.WaitAsync(cancellationToken) : all);
        }
        catch (Exception ex) when (ex is SE.RedisException)
        {
            // Each command succeeds or fails on its own: sorted out below.
        }

        var replies = new RedisValue[tasks.Length];
        for (var i = 0; i < tasks.Length; i++)
        {
            replies[i] = tasks[i].Exception?.InnerException is SE.RedisServerException error
                ? new RedisValue(RedisValueKind.Error, error.Message)
                : Convert(await RunAsync(tasks[i], cancellationToken));
        }

        return replies;
    }

    public async Task<TimeSpan> PingAsync(CancellationToken cancellationToken = default)
    {
        var database = await DatabaseAsync(cancellationToken);
        return await RunAsync(database.PingAsync(), cancellationToken);
    }

    public async Task<RedisValue> EvaluateAsync(RedisScript script, IReadOnlyList<string> keys, IReadOnlyList<string> args, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(script);
        ArgumentNullException.ThrowIfNull(keys);
        ArgumentNullException.ThrowIfNull(args);
        var redisKeys = new SE.RedisKey[keys.Count];
        for (var i = 0; i < redisKeys.Length; i++)
        {
            redisKeys[i] = keys[i];
        }

        var values = new SE.RedisValue[args.Count];
        for (var i = 0; i < values.Length; i++)
        {
            values[i] = args[i];
        }

        var database = await DatabaseAsync(cancellationToken);
        return Convert(await RunAsync(database.ScriptEvaluateAsync(script.Text, redisKeys, values), cancellationToken));
    }

    public async Task<IAsyncDisposable> SubscribeAsync(string channel, Func<RedisMessage, Task> handler, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(channel);
        ArgumentNullException.ThrowIfNull(handler);
        var multiplexer = await ConnectedAsync(cancellationToken);
        var queue = await RunAsync(multiplexer.GetSubscriber().SubscribeAsync(SE.RedisChannel.Literal(channel)), cancellationToken);
        // The queue hands messages over one at a time in arrival order, awaiting each handler.
        queue.OnMessage(async message =>
        {
            try
            {
                await handler(new RedisMessage(channel, message.Message.ToString()));
            }
#pragma warning disable CA1031 // A failing handler must not end the subscription for the messages after it.
            catch (Exception)
#pragma warning restore CA1031
            {
            }
        });
        return new Subscription(queue);
    }

    public async ValueTask DisposeAsync()
    {
        if (_disposed)
        {
            return;
        }

        _disposed = true;
        try
        {
            await (await _connecting).DisposeAsync();
        }
        catch (Exception ex) when (ex is SE.RedisException or OperationCanceledException)
        {
            // Never connected: nothing to close.
        }
    }

    private static (string Name, object[] Args) Split(IReadOnlyList<string> command)
    {
        ArgumentNullException.ThrowIfNull(command);
        if (command.Count == 0)
        {
            throw new ArgumentException("a Redis command needs at least a name", nameof(command));
        }

        var args = new object[command.Count - 1];
        for (var i = 1; i < command.Count; i++)
        {
            args[i - 1] = command[i] ?? throw new ArgumentNullException(nameof(command), "a Redis command argument is null");
        }

        return (command[0], args);
    }

    private async ValueTask<SE.IDatabase> DatabaseAsync(CancellationToken cancellationToken) =>
        _database ?? (_database = (await ConnectedAsync(cancellationToken)).GetDatabase());

    private async Task<SE.ConnectionMultiplexer> ConnectedAsync(CancellationToken cancellationToken)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        var connecting = _connecting;
        if (connecting.IsFaulted)
        {
            // With AbortOnConnectFail off the library does not fail for an unreachable server; what faults is rarer
            // (for example a sentinel that knows no such service). Try again rather than failing every later call.
            var again = RedisConnection.ConnectAsync(_settings, _clientName);
            connecting = Interlocked.CompareExchange(ref _connecting, again, connecting) == connecting ? again : _connecting;
        }

        try
        {
            return await connecting.WaitAsync(_settings.ConnectTimeout + _settings.CommandTimeout, cancellationToken);
        }
        catch (TimeoutException ex)
        {
            throw new RedisUnavailableException($"redis {Describe()} unavailable: connect timed out", ex);
        }
        catch (SE.RedisException ex)
        {
            throw new RedisUnavailableException($"redis {Describe()} unavailable: {ex.Message}", ex);
        }
    }

    /// <summary>Awaits a library call and translates its exceptions to the project's.</summary>
    private async Task<T> RunAsync<T>(Task<T> task, CancellationToken cancellationToken)
    {
        try
        {
            return cancellationToken.CanBeCanceled ? await task.WaitAsync(cancellationToken) : await task;
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // The command still completes in the library (its reply keeps the pipeline in step); nobody awaits it now.
            _ = task.ContinueWith(static t => _ = t.Exception, CancellationToken.None, TaskContinuationOptions.OnlyOnFaulted, TaskScheduler.Default);
            throw;
        }
        catch (SE.RedisServerException ex)
        {
            throw new RedisServerException(ex.Message, ex);
        }
        catch (SE.RedisTimeoutException ex)
        {
            throw new RedisUnavailableException($"redis {Describe()} unavailable: timed out", ex);
        }
        catch (SE.RedisConnectionException ex)
        {
            // The library's message names the cause an operator needs (refused, AuthenticationFailure, WRONGPASS, ...).
            throw new RedisUnavailableException($"redis {Describe()} unavailable: {ex.FailureType}: {ex.Message}", ex);
        }
    }

    private string Describe() => _settings.ServiceName is { } service ? $"service '{service}'" : $"{_settings.Host}:{_settings.Port}";

    /// <summary>The project's view of a reply (RESP2 shape).</summary>
    internal static RedisValue Convert(SE.RedisResult result)
    {
        if (result.IsNull)
        {
            return RedisValue.Nil;
        }

        return result.Resp2Type switch
        {
            SE.ResultType.Integer => new RedisValue(RedisValueKind.Number, Number: (long)result),
            SE.ResultType.SimpleString => new RedisValue(RedisValueKind.SimpleString, (string?)result),
            SE.ResultType.Error => new RedisValue(RedisValueKind.Error, result.ToString()),
            SE.ResultType.Array => new RedisValue(RedisValueKind.Array, Items: [.. ((SE.RedisResult[])result!).Select(Convert)]),
            _ => new RedisValue(RedisValueKind.BulkString, (string?)result),
        };
    }

    private sealed class Subscription(SE.ChannelMessageQueue queue) : IAsyncDisposable
    {
        private int _disposed;

        public async ValueTask DisposeAsync()
        {
            if (Interlocked.Exchange(ref _disposed, 1) == 1)
            {
                return;
            }

            try
            {
                await queue.UnsubscribeAsync();
            }
            catch (SE.RedisException)
            {
                // Redis is down: the library has already forgotten the channel and will not resubscribe it.
            }
        }
    }
}
