using System.Diagnostics;
using System.Globalization;
using System.Net.Sockets;
using System.Text;
using Appliance.Platform.Configuration;

namespace Appliance.Platform.Redis;

/// <summary>
/// A small RESP2 client over one TCP connection. Commands are serialised on the connection; a broken or timed-out
/// connection is dropped and the next command reconnects (with AUTH and SELECT), so a Redis restart heals by itself.
/// </summary>
public sealed class RedisClient(RedisSettings settings) : IRedisClient
{
    private readonly SemaphoreSlim _gate = new(1, 1);
    private Socket? _socket;
    private NetworkStream? _stream;
    private RespReader? _reader;
    private bool _disposed;

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
        ObjectDisposedException.ThrowIf(_disposed, this);
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(settings.CommandTimeout);
        await _gate.WaitAsync(timeout.Token);
        try
        {
            try
            {
                if (_stream is null)
                {
                    await ConnectAsync(timeout.Token);
                }

                return await RoundTripAsync(command, timeout.Token);
            }
            catch (Exception ex) when (ex is SocketException or IOException or OperationCanceledException or EndOfStreamException)
            {
                // The connection may hold half a reply now; never reuse it.
                Drop();
                if (cancellationToken.IsCancellationRequested)
                {
                    throw;
                }

                throw new RedisUnavailableException($"redis {settings.Host}:{settings.Port} unavailable: {(ex is OperationCanceledException ? "timed out" : ex.Message)}", ex);
            }
        }
        finally
        {
            _gate.Release();
        }
    }

    private async Task ConnectAsync(CancellationToken cancellationToken)
    {
        var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        try
        {
            using var connectTimeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            connectTimeout.CancelAfter(settings.ConnectTimeout);
            await socket.ConnectAsync(settings.Host, settings.Port, connectTimeout.Token);
        }
        catch
        {
            socket.Dispose();
            throw;
        }

        _socket = socket;
        _stream = new NetworkStream(socket, ownsSocket: true);
        _reader = new RespReader(_stream);
        if (settings.Password is not null)
        {
            await RoundTripAsync(settings.User is null ? ["AUTH", settings.Password] : ["AUTH", settings.User, settings.Password], cancellationToken);
        }

        if (settings.Database != 0)
        {
            await RoundTripAsync(["SELECT", settings.Database.ToString(CultureInfo.InvariantCulture)], cancellationToken);
        }
    }

    private async Task<RedisValue> RoundTripAsync(IReadOnlyList<string> command, CancellationToken cancellationToken)
    {
        var payload = Encode(command);
        await _stream!.WriteAsync(payload, cancellationToken);
        var reply = await _reader!.ReadAsync(cancellationToken);
        if (reply.Kind == RedisValueKind.Error)
        {
            throw new RedisServerException(reply.Text ?? "ERR");
        }

        return reply;
    }

    internal static byte[] Encode(IReadOnlyList<string> command)
    {
        var builder = new StringBuilder();
        builder.Append('*').Append(command.Count).Append("\r\n");
        foreach (var part in command)
        {
            builder.Append('$').Append(Encoding.UTF8.GetByteCount(part)).Append("\r\n").Append(part).Append("\r\n");
        }

        return Encoding.UTF8.GetBytes(builder.ToString());
    }

    private void Drop()
    {
        _stream?.Dispose();
        _socket?.Dispose();
        _stream = null;
        _socket = null;
        _reader = null;
    }

    public async ValueTask DisposeAsync()
    {
        if (_disposed)
        {
            return;
        }

        await _gate.WaitAsync();
        try
        {
            _disposed = true;
            Drop();
        }
        finally
        {
            _gate.Release();
            _gate.Dispose();
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
