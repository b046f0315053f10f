using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Net.Sockets;
using System.Text;
using Appliance.Platform.Configuration;

namespace Appliance.Platform.Redis;

/// <summary>
/// A small RESP2 client that multiplexes all callers over one TCP connection. Writes are serialised (each command or
/// batch is one write); a background reader completes the waiting callers in FIFO order, so callers never wait for
/// each other's round trip. A broken connection fails every waiting caller with <see cref="RedisUnavailableException"/>
/// and the next command reconnects (with AUTH and SELECT), so a Redis restart heals by itself. A command that gets no
/// reply within the command timeout also drops the connection: the server is hung or blocked, and dropping is the
/// simple way to make sure a late reply can never be matched to someone else.
/// </summary>
public sealed partial class RedisClient(RedisSettings settings) : IRedisClient
{
    private readonly SemaphoreSlim _writeGate = new(1, 1);
    private readonly ConcurrentDictionary<RedisSubscription, byte> _subscriptions = new();
    private Connection? _connection;
    private readonly RedisSettings _settings = settings;
    private volatile bool _disposed;

    private string Endpoint => $"{_settings.Host}:{_settings.Port}";

    public async Task<TimeSpan> PingAsync(CancellationToken cancellationToken = default)
    {
        var watch = Stopwatch.StartNew();
        var reply = await ExecuteAsync(["PING"], cancellationToken);
        if (reply.Text != "PONG")
        {
            throw new RedisUnavailableException($"unexpected PING reply '{reply}'");
        }

        return watch.Elapsed;
    }

    public async Task<RedisValue> ExecuteAsync(IReadOnlyList<string> command, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(command);
        var reply = (await RunAsync([command], cancellationToken))[0];
        return reply.Kind == RedisValueKind.Error ? throw new RedisServerException(reply.Text ?? "ERR") : reply;
    }

    public async Task<IReadOnlyList<RedisValue>> ExecuteBatchAsync(IReadOnlyList<IReadOnlyList<string>> commands, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(commands);
        return commands.Count == 0 ? [] : await RunAsync(commands, cancellationToken);
    }

    public async Task<IAsyncDisposable> SubscribeAsync(string channel, Func<RedisMessage, Task> handler, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(channel);
        ArgumentNullException.ThrowIfNull(handler);
        ObjectDisposedException.ThrowIf(_disposed, this);
        var subscription = new RedisSubscription(this, channel, handler);
        await subscription.StartAsync(cancellationToken);
        _subscriptions[subscription] = 0;
        return subscription;
    }

    private async Task<RedisValue[]> RunAsync(IReadOnlyList<IReadOnlyList<string>> commands, CancellationToken cancellationToken)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        var payload = Encode(commands);
        var pending = new Pending(commands.Count);
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(_settings.CommandTimeout);
        Connection? connection = null;
        var written = false;
        try
        {
            await _writeGate.WaitAsync(timeout.Token);
            try
            {
                ObjectDisposedException.ThrowIf(_disposed, this);
                connection = _connection;
                if (connection is null || connection.IsFailed)
                {
                    _connection = null;
                    var (stream, reader) = await OpenAsync(Handshake(), timeout.Token);
                    connection = new Connection(stream, reader, Endpoint);
                    _connection = connection;
                }

                await connection.WriteAsync(payload, pending, timeout.Token);
                written = true;
            }
            finally
            {
                _writeGate.Release();
            }

            return await pending.Task.WaitAsync(timeout.Token);
        }
        catch (OperationCanceledException) when (written && cancellationToken.IsCancellationRequested)
        {
            // The caller gave up after its command was fully written: its reply will still arrive and be matched to
            // its (abandoned) place in the queue, so the connection stays in sync and usable for everyone else.
            throw;
        }
        catch (Exception ex) when (ex is SocketException or IOException or OperationCanceledException or ObjectDisposedException && !_disposed)
        {
            // No reply in time, or the write broke off part-way: the connection can no longer be trusted to pair
            // replies with callers, so everybody waiting on it fails now and the next command reconnects.
            var error = new RedisUnavailableException(
                $"redis {Endpoint} unavailable: {(ex is OperationCanceledException ? "timed out" : ex.Message)}", ex);
            connection?.Fail(error);
            if (cancellationToken.IsCancellationRequested)
            {
                throw;
            }

            throw error;
        }
    }

    private List<IReadOnlyList<string>> Handshake(bool selectDatabase = true)
    {
        var handshake = new List<IReadOnlyList<string>>(3);
        if (_settings.Password is not null)
        {
            handshake.Add(_settings.User is null ? ["AUTH", _settings.Password] : ["AUTH", _settings.User, _settings.Password]);
        }

        if (selectDatabase && _settings.Database != 0)
        {
            handshake.Add(["SELECT", _settings.Database.ToString(CultureInfo.InvariantCulture)]);
        }

        return handshake;
    }

    /// <summary>Connects and runs the handshake commands (AUTH, SELECT or SUBSCRIBE); an error reply throws.</summary>
    private async Task<(NetworkStream Stream, RespReader Reader)> OpenAsync(List<IReadOnlyList<string>> handshake, CancellationToken cancellationToken)
    {
        var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        try
        {
            // Keepalive notices a peer that vanished without closing (host reboot, dropped NAT entry) within about a
            // minute; an idle subscriber connection would otherwise never learn it is dead.
            socket.SetSocketOption(SocketOptionLevel.Socket, SocketOptionName.KeepAlive, true);
            socket.SetSocketOption(SocketOptionLevel.Tcp, SocketOptionName.TcpKeepAliveTime, 30);
            socket.SetSocketOption(SocketOptionLevel.Tcp, SocketOptionName.TcpKeepAliveInterval, 10);
            socket.SetSocketOption(SocketOptionLevel.Tcp, SocketOptionName.TcpKeepAliveRetryCount, 3);
            using (var connectTimeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken))
            {
                connectTimeout.CancelAfter(_settings.ConnectTimeout);
                await socket.ConnectAsync(_settings.Host, _settings.Port, connectTimeout.Token);
            }

            var stream = new NetworkStream(socket, ownsSocket: true);
            var reader = new RespReader(stream);
            if (handshake.Count > 0)
            {
                await stream.WriteAsync(Encode(handshake), cancellationToken);
                foreach (var _ in handshake)
                {
                    var reply = await reader.ReadAsync(cancellationToken);
                    if (reply.Kind == RedisValueKind.Error)
                    {
                        throw new RedisServerException(reply.Text ?? "ERR");
                    }
                }
            }

            return (stream, reader);
        }
        catch (Exception ex) when (ex is SocketException or IOException or OperationCanceledException && !cancellationToken.IsCancellationRequested)
        {
            socket.Dispose();
            throw new RedisUnavailableException($"redis {Endpoint} unavailable: {(ex is OperationCanceledException ? "connect timed out" : ex.Message)}", ex);
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    internal static byte[] Encode(IReadOnlyList<string> command) => Encode([command]);

    /// <summary>Encodes commands as RESP arrays of bulk strings into one buffer (one write on the wire).</summary>
    internal static byte[] Encode(IReadOnlyList<IReadOnlyList<string>> commands)
    {
        var size = 0;
        foreach (var command in commands)
        {
            ArgumentNullException.ThrowIfNull(command);
            if (command.Count == 0)
            {
                throw new ArgumentException("a Redis command needs at least a name", nameof(commands));
            }

            size += 3 + Digits(command.Count);
            foreach (var part in command)
            {
                ArgumentNullException.ThrowIfNull(part, nameof(commands));
                var length = Encoding.UTF8.GetByteCount(part);
                size += 5 + Digits(length) + length;
            }
        }

        var buffer = new byte[size];
        var span = buffer.AsSpan();
        var at = 0;
        foreach (var command in commands)
        {
            at = Header(span, at, (byte)'*', command.Count);
            foreach (var part in command)
            {
                at = Header(span, at, (byte)'$', Encoding.UTF8.GetByteCount(part));
                at += Encoding.UTF8.GetBytes(part, span[at..]);
                span[at++] = (byte)'\r';
                span[at++] = (byte)'\n';
            }
        }

        return buffer;

        static int Header(Span<byte> span, int at, byte kind, int number)
        {
            span[at++] = kind;
            number.TryFormat(span[at..], out var written, default, CultureInfo.InvariantCulture);
            at += written;
            span[at++] = (byte)'\r';
            span[at++] = (byte)'\n';
            return at;
        }

        static int Digits(int number)
        {
            var digits = 1;
            while (number >= 10)
            {
                number /= 10;
                digits++;
            }

            return digits;
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (_disposed)
        {
            return;
        }

        _disposed = true;
        foreach (var subscription in _subscriptions.Keys)
        {
            await subscription.DisposeAsync();
        }

        await _writeGate.WaitAsync();
        try
        {
            _connection?.Fail(new RedisUnavailableException("the redis client was disposed"));
            _connection = null;
        }
        finally
        {
            _writeGate.Release();
        }
    }

    /// <summary>A caller waiting for the replies to the commands it wrote (one, or a batch).</summary>
    private sealed class Pending(int count) : TaskCompletionSource<RedisValue[]>(TaskCreationOptions.RunContinuationsAsynchronously)
    {
        private readonly RedisValue[] _replies = new RedisValue[count];
        private int _received;

        /// <summary>Called by the reader only; returns true when this caller has all its replies.</summary>
        public bool Add(RedisValue reply)
        {
            _replies[_received++] = reply;
            if (_received < _replies.Length)
            {
                return false;
            }

            TrySetResult(_replies);
            return true;
        }
    }

    /// <summary>One TCP connection with its FIFO of waiting callers and the loop that reads their replies.</summary>
    private sealed class Connection
    {
        private readonly NetworkStream _stream;
        private readonly RespReader _reader;
        private readonly string _endpoint;
        private readonly Queue<Pending> _pending = new();
        private bool _failed;

        public Connection(NetworkStream stream, RespReader reader, string endpoint)
        {
            _stream = stream;
            _reader = reader;
            _endpoint = endpoint;
            _ = Task.Run(ReadLoopAsync);
        }

        public bool IsFailed => Volatile.Read(ref _failed);

        /// <summary>Queues the caller before writing, so the reader always finds it when its reply arrives.</summary>
        public async Task WriteAsync(byte[] payload, Pending pending, CancellationToken cancellationToken)
        {
            lock (_pending)
            {
                if (_failed)
                {
                    throw new IOException("connection already dropped");
                }

                _pending.Enqueue(pending);
            }

            await _stream.WriteAsync(payload, cancellationToken);
        }

        public void Fail(RedisUnavailableException error)
        {
            Pending[] waiting;
            lock (_pending)
            {
                if (_failed)
                {
                    return;
                }

                _failed = true;
                waiting = [.. _pending];
                _pending.Clear();
            }

            _stream.Dispose();
            foreach (var pending in waiting)
            {
                pending.TrySetException(error);
                // A caller that already timed out or cancelled never awaits this task; reading the exception marks it
                // observed so it does not surface later as an UnobservedTaskException.
                _ = pending.Task.Exception;
            }
        }

        private async Task ReadLoopAsync()
        {
            try
            {
                while (true)
                {
                    var reply = await _reader.ReadAsync(CancellationToken.None);
                    Pending? head;
                    lock (_pending)
                    {
                        _pending.TryPeek(out head);
                    }

                    if (head is null)
                    {
                        throw new IOException("a reply arrived that no command is waiting for");
                    }

                    if (head.Add(reply))
                    {
                        lock (_pending)
                        {
                            _pending.TryDequeue(out _);
                        }
                    }
                }
            }
            catch (Exception ex) when (ex is IOException or SocketException or ObjectDisposedException or InvalidOperationException)
            {
                Fail(new RedisUnavailableException($"redis {_endpoint} unavailable: {ex.Message}", ex));
            }
        }
    }

    /// <summary>Parses RESP2 replies from a buffered stream.</summary>
    internal sealed class RespReader(Stream stream)
    {
        private readonly byte[] _buffer = new byte[16 * 1024];
        private int _start;
        private int _end;

        public async Task<RedisValue> ReadAsync(CancellationToken cancellationToken)
        {
            var line = await ReadLineAsync(cancellationToken);
            if (line.Length == 0)
            {
                throw new IOException("empty RESP line");
            }

            var body = line[1..];
            switch (line[0])
            {
                case '+':
                    return new RedisValue(RedisValueKind.SimpleString, body);
                case '-':
                    return new RedisValue(RedisValueKind.Error, body);
                case ':':
                    return new RedisValue(RedisValueKind.Number, Number: ParseLong(body));
                case '$':
                    {
                        var length = ParseLong(body);
                        if (length < 0)
                        {
                            return RedisValue.Nil;
                        }

                        var bytes = await ReadExactAsync((int)length + 2, cancellationToken);
                        return new RedisValue(RedisValueKind.BulkString, Encoding.UTF8.GetString(bytes, 0, (int)length));
                    }

                case '*':
                    {
                        var count = ParseLong(body);
                        if (count < 0)
                        {
                            return RedisValue.Nil;
                        }

                        var items = new RedisValue[count];
                        for (var i = 0; i < count; i++)
                        {
                            items[i] = await ReadAsync(cancellationToken);
                        }

                        return new RedisValue(RedisValueKind.Array, Items: items);
                    }

                default:
                    throw new IOException($"unexpected RESP type byte '{line[0]}'");
            }
        }

        private static long ParseLong(string text) =>
            long.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var value)
                ? value
                : throw new IOException($"bad RESP integer '{text}'");

        private async Task<string> ReadLineAsync(CancellationToken cancellationToken)
        {
            while (true)
            {
                var span = _buffer.AsSpan(_start, _end - _start);
                var newline = span.IndexOf("\r\n"u8);
                if (newline >= 0)
                {
                    var line = Encoding.UTF8.GetString(span[..newline]);
                    _start += newline + 2;
                    return line;
                }

                await FillAsync(cancellationToken);
            }
        }

        private async Task<byte[]> ReadExactAsync(int count, CancellationToken cancellationToken)
        {
            var result = new byte[count];
            var copied = 0;
            while (copied < count)
            {
                if (_start == _end)
                {
                    await FillAsync(cancellationToken);
                }

                var take = Math.Min(count - copied, _end - _start);
                Buffer.BlockCopy(_buffer, _start, result, copied, take);
                _start += take;
                copied += take;
            }

            return result;
        }

        private async Task FillAsync(CancellationToken cancellationToken)
        {
            if (_start > 0)
            {
                Buffer.BlockCopy(_buffer, _start, _buffer, 0, _end - _start);
                _end -= _start;
                _start = 0;
            }

            if (_end == _buffer.Length)
            {
                throw new IOException("RESP line longer than the read buffer");
            }

            var read = await stream.ReadAsync(_buffer.AsMemory(_end), cancellationToken);
            if (read == 0)
            {
                throw new EndOfStreamException("redis closed the connection");
            }

            _end += read;
        }
    }
}
