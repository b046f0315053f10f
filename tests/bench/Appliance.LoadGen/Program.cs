using System.Buffers.Text;
using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;

// Usage: Appliance.LoadGen --base URL --rate RPS --duration SECONDS [--warmup SECONDS] [--header 'Name: value']...
//                          (--paths-file FILE | --path PATH) [--method GET|POST] [--body-template FILE] [--label TEXT]
//                          [--connections N] [--values-file FILE] [--cpu NAME=PID]...
//
// Sends requests at a fixed rate (open loop): request i is due at start + i/rate whatever happened to earlier ones, and
// its latency is measured from that due time, so a stalled server shows up as latency instead of silently lowering the
// rate (no coordinated omission). Paths rotate through --paths-file (one per line). A body template has "{i}" replaced
// by the request's sequence number and "{v}" by the next line of --values-file (rotating, e.g. customer ids). HTTP/1.1 over
// at most --connections keep-alive connections, spoken by the small client below rather than HttpClient: the generator
// shares the cores with the server it measures, and HttpClient's per-request machinery cost about a tenth of what a
// ticket create costs the server. GET requests are serialised once per path; responses are parsed in place.
// Prints one line:
//   LABEL rate=R/s achieved=A/s ok=N errors=N p50=X ms p95=X ms p99=X ms max=X ms p95_last_fifth=X ms
//         [cpu_ms_per_req NAME=X ... loadgen=X]
// --cpu NAME=PID adds the CPU time (user + system, from /proc) that process and its children used during the measured
// part, per request sent: e.g. the API, PostgreSQL's postmaster (its backends are its children) and redis-server. The
// generator's own CPU is always added as loadgen=.
// Exit codes: 0 done (errors are reported, not fatal); 64 bad arguments.
// Socket completions run their continuations on the thread that polls the sockets instead of being handed to a
// thread-pool worker: a response is parsed and counted where it arrives, which saves a thread wake-up per request
// (read once, when the first socket is made, so it is set before anything else).
Environment.SetEnvironmentVariable("DOTNET_SYSTEM_NET_SOCKETS_INLINE_COMPLETIONS", "1");
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
    var requests = Enumerable.Range(0, options.Paths.Count).Select(i => options.BodyTemplate is null ? client.Request(options.Method.Method, options.Paths[i], options.Headers, null) : null).ToArray();
    var cpuBefore = record ? ProcessCpu.Sample(options.CpuWatch) : [];
    var ownBefore = Process.GetCurrentProcess().TotalProcessorTime;
    var start = Stopwatch.GetTimestamp();

    // One thread sends whatever is due, then sleeps about a millisecond: no spinning, so the generator leaves the
    // CPU to the server it shares the machine with. It writes each request itself; no thread-pool hand-off. A request sent late by that sleep still has its latency counted
    // from its due time, so the figures err on the slow side.
    var dispatcher = new Thread(() =>
    {
        for (var i = 0; i < total; i++)
        {
            var due = start + (long)(i * interval);
            // Until the next request is due, in whole milliseconds (at least one): at a low rate the thread wakes
            // once per request instead of once per millisecond.
            for (var now = Stopwatch.GetTimestamp(); now < due; now = Stopwatch.GetTimestamp())
            {
                Thread.Sleep(Math.Max(1, (int)((due - now) * 1000 / Stopwatch.Frequency)));
            }

            inflight[i] = SendAsync(client, options, requests, i, due, latencies, statuses);
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

    var ownMs = (Process.GetCurrentProcess().TotalProcessorTime - ownBefore).TotalMilliseconds;
    var cpuAfter = ProcessCpu.Sample(options.CpuWatch);
    var cpuText = new StringBuilder(" cpu_ms_per_req");
    for (var w = 0; w < options.CpuWatch.Count; w++)
    {
        cpuText.Append(CultureInfo.InvariantCulture, $" {options.CpuWatch[w].Name}={(cpuAfter[w] - cpuBefore[w]) / total:0.000}");
    }

    cpuText.Append(CultureInfo.InvariantCulture, $" loadgen={ownMs / total:0.000}");

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
        $"{options.Label} rate={options.Rate}/s achieved={total / elapsed:0}/s ok={ok} errors={total - ok}{(errorText.Length > 0 ? $"({errorText})" : string.Empty)} p50={P(0.50)} ms p95={P(0.95)} ms p99={P(0.99)} ms max={latencies[^1]:0.00} ms p95_last_fifth={Percentile(lastFifth, 0.95)} ms{cpuText}");
}

static async Task SendAsync(KeepAliveClient client, Options options, byte[]?[] prepared, int index, long due, double[] latencies, int[] statuses)
{
    // Runs on the dispatcher up to the first wait (the send completes at once on loopback; the answer is awaited).
    var request = prepared[index % prepared.Length];
    if (request is null)
    {
        var body = options.BodyTemplate!.Replace("{i}", index.ToString(CultureInfo.InvariantCulture), StringComparison.Ordinal);
        if (options.Values.Count > 0)
        {
            body = body.Replace("{v}", options.Values[index % options.Values.Count], StringComparison.Ordinal);
        }

        request = client.Request(options.Method.Method, options.Paths[index % options.Paths.Count], options.Headers, body);
    }

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
            await socket.SendAsync(request.AsMemory(), SocketFlags.None);

            int headerEnd;
            while ((headerEnd = _buffer.AsSpan(0, _end).IndexOf("\r\n\r\n"u8)) < 0)
            {
                await FillAsync();
            }

            // Parsed in place: the generator must cost as little per request as it can (it shares the cores).
            var head = _buffer.AsSpan(0, headerEnd);
            _start = headerEnd + 4;
            var lineEnd = head.IndexOf("\r\n"u8);
            var statusLine = lineEnd < 0 ? head : head[..lineEnd];
            if (statusLine.Length < 12 || !statusLine.StartsWith("HTTP/1.1 "u8)
                || !Utf8Parser.TryParse(statusLine.Slice(9, 3), out int status, out var used) || used != 3)
            {
                throw new IOException($"not an HTTP/1.1 status line: '{Encoding.ASCII.GetString(statusLine)}'");
            }

            long? length = null;
            var chunked = false;
            var keepAlive = true;
            var rest = lineEnd < 0 ? [] : head[(lineEnd + 2)..];
            while (!rest.IsEmpty)
            {
                var end = rest.IndexOf("\r\n"u8);
                var line = end < 0 ? rest : rest[..end];
                rest = end < 0 ? [] : rest[(end + 2)..];
                var colon = line.IndexOf((byte)':');
                if (colon <= 0)
                {
                    continue;
                }

                var name = line[..colon].Trim((byte)' ');
                var value = line[(colon + 1)..].Trim((byte)' ');
                if (Ascii.EqualsIgnoreCase(name, "Content-Length"u8))
                {
                    if (!Utf8Parser.TryParse(value, out long parsed, out var digits) || digits != value.Length)
                    {
                        throw new IOException("bad Content-Length");
                    }

                    length = parsed;
                }
                else if (Ascii.EqualsIgnoreCase(name, "Transfer-Encoding"u8))
                {
                    chunked = Encoding.ASCII.GetString(value).Contains("chunked", StringComparison.OrdinalIgnoreCase);
                }
                else if (Ascii.EqualsIgnoreCase(name, "Connection"u8))
                {
                    keepAlive = !Ascii.EqualsIgnoreCase(value, "close"u8);
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
    IReadOnlyList<string> Values,
    IReadOnlyList<(string Name, int Pid)> CpuWatch)
{
    public static Options? Parse(string[] args)
    {
        string? baseUrl = null, label = null, body = null;
        int rate = 0, duration = 0, warmup = 0, connections = 64;
        var method = HttpMethod.Get;
        var paths = new List<string>();
        var headers = new List<(string, string)>();
        var values = new List<string>();
        var cpu = new List<(string, int)>();
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
                case "--cpu":
                    var equals = value.IndexOf('=', StringComparison.Ordinal);
                    if (equals <= 0 || !int.TryParse(value.AsSpan(equals + 1), NumberStyles.None, CultureInfo.InvariantCulture, out var pid))
                    {
                        return null;
                    }

                    cpu.Add((value[..equals], pid));
                    break;
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

        return new Options(baseUrl, rate, duration, warmup, method, paths, body, headers, label ?? "load", connections, values, cpu);
    }
}

/// <summary>CPU time of processes and their children from <c>/proc</c>, in milliseconds.</summary>
internal static class ProcessCpu
{
    // proc(5) counts in clock ticks of USER_HZ, which is 100 on every Linux the appliance runs on (x86-64, arm64).
    private const double MillisecondsPerTick = 10.0;

    /// <summary>
    /// For each process: its user and system time, that of its living children (PostgreSQL's backends are the
    /// postmaster's children) and that of its children that ended and were waited for.
    /// </summary>
    public static double[] Sample(IReadOnlyList<(string Name, int Pid)> watch)
    {
        var result = new double[watch.Count];
        if (watch.Count == 0)
        {
            return result;
        }

        foreach (var dir in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(dir), NumberStyles.None, CultureInfo.InvariantCulture, out var pid) || Read(pid) is not { } stat)
            {
                continue;
            }

            for (var w = 0; w < watch.Count; w++)
            {
                if (pid == watch[w].Pid)
                {
                    result[w] += stat.Own + stat.Children;
                }
                else if (stat.Parent == watch[w].Pid)
                {
                    result[w] += stat.Own;
                }
            }
        }

        return result;
    }

    private static (int Parent, double Own, double Children)? Read(int pid)
    {
        string text;
        try
        {
            text = File.ReadAllText($"/proc/{pid}/stat");
        }
        catch (IOException)
        {
            return null;
        }
        catch (UnauthorizedAccessException)
        {
            return null;
        }

        // Fields after the command name (which may hold spaces) in parentheses: state ppid ... utime(14) stime(15)
        // cutime(16) cstime(17), numbered as in proc(5).
        var fields = text[(text.LastIndexOf(')') + 2)..].Split(' ');
        double F(int number) => double.Parse(fields[number - 3], CultureInfo.InvariantCulture) * MillisecondsPerTick;
        return (int.Parse(fields[1], CultureInfo.InvariantCulture), F(14) + F(15), F(16) + F(17));
    }
}
