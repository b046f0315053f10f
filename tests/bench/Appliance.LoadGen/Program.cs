using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Text;

// Usage: Appliance.LoadGen --base URL --rate RPS --duration SECONDS [--warmup SECONDS] [--header 'Name: value']...
//                          (--paths-file FILE | --path PATH) [--method GET|POST] [--body-template FILE] [--label TEXT]
//                          [--connections N] [--values-file FILE]
//
// Sends requests at a fixed rate (open loop): request i is due at start + i/rate whatever happened to earlier ones, and
// its latency is measured from that due time, so a stalled server shows up as latency instead of silently lowering the
// rate (no coordinated omission). Paths rotate through --paths-file (one per line). A body template has "{i}" replaced
// by the request's sequence number and "{v}" by the next line of --values-file (rotating, e.g. customer ids). Prints one line:
//   LABEL rate=R/s achieved=A/s ok=N errors=N p50=X ms p95=X ms p99=X ms max=X ms p95_last_fifth=X ms
// Exit codes: 0 done (errors are reported, not fatal); 64 bad arguments.
var options = Options.Parse(args);
if (options is null)
{
    Console.Error.WriteLine("usage: Appliance.LoadGen --base URL --rate RPS --duration SECONDS (--path P | --paths-file F) [--method M] [--body-template F] [--header 'N: V']... [--warmup S] [--label L] [--connections N] [--values-file F]");
    return 64;
}

using var handler = new SocketsHttpHandler
{
    MaxConnectionsPerServer = options.Connections,
    PooledConnectionLifetime = Timeout.InfiniteTimeSpan,
    AutomaticDecompression = DecompressionMethods.None,
    UseProxy = false,
};
using var client = new HttpClient(handler) { BaseAddress = new Uri(options.BaseUrl), Timeout = TimeSpan.FromSeconds(30) };

if (options.WarmupSeconds > 0)
{
    await RunAsync(client, options, options.WarmupSeconds, record: false);
}

var result = await RunAsync(client, options, options.DurationSeconds, record: true);
Console.WriteLine(result);
return 0;

static async Task<string> RunAsync(HttpClient client, Options options, int seconds, bool record)
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
    await Task.WhenAll(inflight);
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

static async Task SendAsync(HttpClient client, Options options, int index, long due, double[] latencies, int[] statuses)
{
    await Task.Yield();
    try
    {
        using var request = new HttpRequestMessage(options.Method, options.Paths[index % options.Paths.Count]);
        foreach (var (name, value) in options.Headers)
        {
            request.Headers.TryAddWithoutValidation(name, value);
        }

        if (options.BodyTemplate is not null)
        {
            var body = options.BodyTemplate.Replace("{i}", index.ToString(CultureInfo.InvariantCulture), StringComparison.Ordinal);
            if (options.Values.Count > 0)
            {
                body = body.Replace("{v}", options.Values[index % options.Values.Count], StringComparison.Ordinal);
            }

            request.Content = new StringContent(body, Encoding.UTF8, "application/json");
        }

        using var response = await client.SendAsync(request, HttpCompletionOption.ResponseContentRead);
        statuses[index] = (int)response.StatusCode;
    }
    catch (HttpRequestException)
    {
        statuses[index] = 0;
    }
    catch (TaskCanceledException)
    {
        statuses[index] = 0;
    }

    latencies[index] = Stopwatch.GetElapsedTime(due).TotalMilliseconds;
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
