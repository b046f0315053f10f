using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;

// Usage: Appliance.LoadGen --base URL --rate RPS --duration SECONDS [--warmup SECONDS] [--header 'Name: value']...
//                          (--paths-file FILE | --path PATH) [--method GET|POST] [--body-template FILE] [--label TEXT]
//                          [--connections N] [--values-file FILE]
//
// Sends requests at a fixed rate (open loop): request i is due at start + i/rate whatever happened to earlier ones, and
// its latency is measured from that due time, so a stalled server shows up as latency instead of silently lowering the
// rate (no coordinated omission). Paths rotate through --paths-file (one per line). A body template has "{i}" replaced
// by the request's sequence number and "{v}" by the next line of --values-file (rotating, e.g. customer ids). HTTP/1.1 over
// at most --connections keep-alive connections, spoken by the small client below rather than HttpClient: the generator
// shares the cores with the server it measures, and HttpClient's per-request machinery cost about a tenth of what a
// ticket create costs the server. Prints one line:
//   LABEL rate=R/s achieved=A/s ok=N errors=N p50=X ms p95=X ms p99=X ms max=X ms p95_last_fifth=X ms
// Exit codes: 0 done (errors are reported, not fatal); 64 bad arguments.
var options = Options.Parse(args);
if (options is null)
{
    Console.Error.WriteLine("usage: Appliance.LoadGen --base URL --rate RPS --duration SECONDS (--path P | --paths-file F) [--method M] [--body-template F] [--header 'N: V']... [--warmup S] [--label L] [--connections N] [--values-file F]");
    return 64;
}

var baseUri = new Uri(options.BaseUrl);
if (baseUri.Scheme != Uri.UriSchemeHttp || !IPAddress.TryParse(baseUri.Host, out var address))
{
    Console.Error.WriteLine("--base must be http://IP:PORT (the generator speaks plain HTTP/1.1 to one address)");
    return 64;
}

await using var client = new KeepAliveClient(new IPEndPoint(address, baseUri.Port), baseUri.Authority, options.Connections);

if (options.WarmupSeconds > 0)
{
    await RunAsync(client, options, options.WarmupSeconds, record: false);
}

var result = await RunAsync(client, options, options.DurationSeconds, record: true);
Console.WriteLine(result);
return 0;

static async Task<string> RunAsync(KeepAliveClient client, Options options, int seconds, bool record)
{
    var total = options.Rate * seconds;
    var latencies = new double[total];
    var statuses = new int[total];
    var inflight = new Task[total];
    var interval = (double)Stopwatch.Frequency / options.Rate;
    var start = Stopwatch.GetTimestamp();

    // One thread sends whatever is due, then sleeps about a millisecond: no spinning, so the generator leaves the
    // CPU to the server it shares the machine with. A request sent late by that sleep still has its latency counted
    // from its due time, so the figures err on the slow side.
    var dispatcher = new Thread(() =>
    {
        for (var i = 0; i < total; i++)
        {
            var due = start + (long)(i * interval);
            while (Stopwatch.GetTimestamp() < due)
            {
                Thread.Sleep(1);
            }

            inflight[i] = SendAsync(client, options, i, due, latencies, statuses);
        }
    })
    {
        IsBackground = true,
        Name = "dispatcher",
    };
    dispatcher.Start();
    await Task.Run(dispatcher.Join);
    // A request still unanswered 30 s after the last one was sent counts as an error (status 0) with that latency.
    var all = Task.WhenAll(inflight);
    if (await Task.WhenAny(all, Task.Delay(TimeSpan.FromSeconds(30))) != all)
    {
        for (var i = 0; i < total; i++)
        {
            if (!inflight[i].IsCompleted)
            {
                latencies[i] = Stopwatch.GetElapsedTime(start + (long)(i * interval)).TotalMilliseconds;
            }
        }
    }

    var elapsed = Stopwatch.GetElapsedTime(start).TotalSeconds;
    if (!record)
    {
        return string.Empty;
    }

    var ok = statuses.Count(s => s is >= 200 and < 300);
    var errors = statuses.Where(s => s is < 200 or >= 300).GroupBy(s => s).Select(g => $"{(g.Key == 0 ? "exception" : g.Key.ToString(CultureInfo.InvariantCulture))}x{g.Count()}");
    // The last fifth on its own: a server that keeps up has the same tail there as overall, one that falls behind a
    // growing one (its queue only gets longer).
    var lastFifth = latencies[(total - (total / 5))..];
    Array.Sort(lastFifth);
    Array.Sort(latencies);
    static string Percentile(double[] sorted, double q) =>
        sorted[Math.Min(sorted.Length - 1, Math.Max(0, (int)Math.Ceiling(q * sorted.Length) - 1))].ToString("0.00", CultureInfo.InvariantCulture);
    string P(double q) => Percentile(latencies, q);
    var errorText = string.Join(',', errors);
    return string.Create(
        CultureInfo.InvariantCulture,
        $"{options.Label} rate={options.Rate}/s achieved={total / elapsed:0}/s ok={ok} errors={total - ok}{(errorText.Length > 0 ? $"({errorText})" : string.Empty)} p50={P(0.50)} ms p95={P(0.95)} ms p99={P(0.99)} ms max={latencies[^1]:0.00} ms p95_last_fifth={Percentile(lastFifth, 0.95)} ms");
}

static async Task SendAsync(KeepAliveClient client, Options options, int index, long due, double[] latencies, int[] statuses)
{
    await Task.Yield();
    string? body = null;
    if (options.BodyTemplate is not null)
    {
        body = options.BodyTemplate.Replace("{i}", index.ToString(CultureInfo.InvariantCulture), StringComparison.Ordinal);
        if (options.Values.Count > 0)
        {
            body = body.Replace("{v}", options.Values[index % options.Values.Count], StringComparison.Ordinal);
        }
    }

    var request = client.Request(options.Method.Method, options.Paths[index % options.Paths.Count], options.Headers, body);
    try
    {
        statuses[index] = await client.SendAsync(request);
    }
    catch (Exception ex) when (ex is SocketException or IOException or ObjectDisposedException)
    {
        statuses[index] = 0;
    }

    latencies[index] = Stopwatch.GetElapsedTime(due).TotalMilliseconds;
}

/// <summary>
/// HTTP/1.1 with keep-alive over at most <c>maxConnections</c> sockets, one request at a time per socket (no
/// pipelining): a request waits for a free connection, and that wait counts in its latency. Reads the status line,
/// <c>Content-Length</c> or chunked bodies, and <c>Connection: close</c>; enough for the appliance's API.
/// </summary>
internal sealed class KeepAliveClient(IPEndPoint endpoint, string authority, int maxConnections) : IAsyncDisposable
{
    private readonly ConcurrentStack<Connection> _idle = new();
    private readonly SemaphoreSlim _slots = new(maxConnections, maxConnections);

    public byte[] Request(string method, string path, IReadOnlyList<(string Name, string Value)> headers, string? body)
    {
        var text = new StringBuilder(256 + (body?.Length ?? 0));
        text.Append(method).Append(' ').Append(path).Append(" HTTP/1.1\r\nHost: ").Append(authority).Append("\r\n");
        foreach (var (name, value) in headers)
        {
            text.Append(name).Append(": ").Append(value).Append("\r\n");
        }

        var content = body is null ? [] : Encoding.UTF8.GetBytes(body);
        if (body is not null)
        {
            text.Append("Content-Type: application/json; charset=utf-8\r\n");
        }

        text.Append("Content-Length: ").Append(content.Length.ToString(CultureInfo.InvariantCulture)).Append("\r\n\r\n");
        var head = Encoding.ASCII.GetBytes(text.ToString());
        return [.. head, .. content];
    }

    /// <returns>The response's status code.</returns>
    public async Task<int> SendAsync(byte[] request)
    {
        await _slots.WaitAsync();
        Connection? connection = null;
        try
        {
            if (!_idle.TryPop(out connection))
            {
                connection = await Connection.OpenAsync(endpoint);
            }

            var (status, keepAlive) = await connection.ExchangeAsync(request);
            if (keepAlive)
            {
                _idle.Push(connection);
            }
            else
            {
                connection.Dispose();
            }

            connection = null;
            return status;
        }
        finally
        {
            connection?.Dispose();
            _slots.Release();
        }
    }

    public ValueTask DisposeAsync()
    {
        while (_idle.TryPop(out var connection))
        {
            connection.Dispose();
        }

        _slots.Dispose();
        return ValueTask.CompletedTask;
    }

    private sealed class Connection(Socket socket) : IDisposable
    {
        private byte[] _buffer = new byte[16 * 1024];
        private int _start;
        private int _end;

        public static async Task<Connection> OpenAsync(IPEndPoint endpoint)
        {
            var socket = new Socket(endpoint.AddressFamily, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
            try
            {
                await socket.ConnectAsync(endpoint);
                return new Connection(socket);
            }
            catch
            {
                socket.Dispose();
                throw;
            }
        }

        public async Task<(int Status, bool KeepAlive)> ExchangeAsync(byte[] request)
        {
            _start = _end = 0;
            await socket.SendAsync(request, SocketFlags.None);

            int headerEnd;
            while ((headerEnd = _buffer.AsSpan(0, _end).IndexOf("\r\n\r\n"u8)) < 0)
            {
                await FillAsync();
            }

            var head = Encoding.ASCII.GetString(_buffer, 0, headerEnd);
            _start = headerEnd + 4;
            var lines = head.Split("\r\n");
            if (lines[0].Length < 12 || !lines[0].StartsWith("HTTP/1.1 ", StringComparison.Ordinal)
                || !int.TryParse(lines[0].AsSpan(9, 3), NumberStyles.None, CultureInfo.InvariantCulture, out var status))
            {
                throw new IOException($"not an HTTP/1.1 status line: '{lines[0]}'");
            }

            long? length = null;
            var chunked = false;
            var keepAlive = true;
            foreach (var line in lines.AsSpan(1))
            {
                var colon = line.IndexOf(':', StringComparison.Ordinal);
                if (colon <= 0)
                {
                    continue;
                }

                var name = line.AsSpan(0, colon).Trim();
                var value = line.AsSpan(colon + 1).Trim();
                if (name.Equals("Content-Length", StringComparison.OrdinalIgnoreCase))
                {
                    length = long.Parse(value, NumberStyles.None, CultureInfo.InvariantCulture);
                }
                else if (name.Equals("Transfer-Encoding", StringComparison.OrdinalIgnoreCase))
                {
                    chunked = value.Contains("chunked", StringComparison.OrdinalIgnoreCase);
                }
                else if (name.Equals("Connection", StringComparison.OrdinalIgnoreCase))
                {
                    keepAlive = !value.Equals("close", StringComparison.OrdinalIgnoreCase);
                }
            }

            if (chunked)
            {
                while (true)
                {
                    var size = Convert.ToInt64(Encoding.ASCII.GetString(await LineAsync()).Split(';')[0].Trim(), 16);
                    if (size == 0)
                    {
                        // Trailers (none expected) end with an empty line.
                        while ((await LineAsync()).Length > 0)
                        {
                        }

                        break;
                    }

                    await SkipAsync(size + 2);
                }
            }
            else
            {
                await SkipAsync(length ?? 0);
            }

            return (status, keepAlive);
        }

        private async Task<byte[]> LineAsync()
        {
            int newline;
            while ((newline = _buffer.AsSpan(_start, _end - _start).IndexOf("\r\n"u8)) < 0)
            {
                await FillAsync();
            }

            var line = _buffer.AsSpan(_start, newline).ToArray();
            _start += newline + 2;
            return line;
        }

        private async Task SkipAsync(long count)
        {
            while (count > 0)
            {
                if (_start == _end)
                {
                    _start = _end = 0;
                    await FillAsync();
                }

                var take = (int)Math.Min(count, _end - _start);
                _start += take;
                count -= take;
            }
        }

        private async Task FillAsync()
        {
            if (_end == _buffer.Length)
            {
                if (_start > 0)
                {
                    Buffer.BlockCopy(_buffer, _start, _buffer, 0, _end - _start);
                    _end -= _start;
                    _start = 0;
                }
                else
                {
                    Array.Resize(ref _buffer, _buffer.Length * 2);
                }
            }

            var read = await socket.ReceiveAsync(_buffer.AsMemory(_end), SocketFlags.None);
            if (read == 0)
            {
                throw new IOException("the server closed the connection");
            }

            _end += read;
        }

        public void Dispose() => socket.Dispose();
    }
}

internal sealed record Options(
    string BaseUrl,
    int Rate,
    int DurationSeconds,
    int WarmupSeconds,
    HttpMethod Method,
    IReadOnlyList<string> Paths,
    string? BodyTemplate,
    IReadOnlyList<(string Name, string Value)> Headers,
    string Label,
    int Connections,
    IReadOnlyList<string> Values)
{
    public static Options? Parse(string[] args)
    {
        string? baseUrl = null, label = null, body = null;
        int rate = 0, duration = 0, warmup = 0, connections = 64;
        var method = HttpMethod.Get;
        var paths = new List<string>();
        var headers = new List<(string, string)>();
        var values = new List<string>();
        for (var i = 0; i + 1 < args.Length; i += 2)
        {
            var value = args[i + 1];
            switch (args[i])
            {
                case "--base": baseUrl = value; break;
                case "--rate": rate = int.Parse(value, CultureInfo.InvariantCulture); break;
                case "--duration": duration = int.Parse(value, CultureInfo.InvariantCulture); break;
                case "--warmup": warmup = int.Parse(value, CultureInfo.InvariantCulture); break;
                case "--connections": connections = int.Parse(value, CultureInfo.InvariantCulture); break;
                case "--method": method = new HttpMethod(value); break;
                case "--path": paths.Add(value); break;
                case "--paths-file": paths.AddRange(File.ReadAllLines(value).Where(l => l.Length > 0)); break;
                case "--body-template": body = File.ReadAllText(value); break;
                case "--values-file": values.AddRange(File.ReadAllLines(value).Where(l => l.Length > 0)); break;
                case "--label": label = value; break;
                case "--header":
                    var colon = value.IndexOf(':', StringComparison.Ordinal);
                    if (colon <= 0)
                    {
                        return null;
                    }

                    headers.Add((value[..colon].Trim(), value[(colon + 1)..].Trim()));
                    break;
                default: return null;
            }
        }

        if (args.Length % 2 != 0 || baseUrl is null || rate <= 0 || duration <= 0 || paths.Count == 0)
        {
            return null;
        }

        return new Options(baseUrl, rate, duration, warmup, method, paths, body, headers, label ?? "load", connections, values);
    }
}
