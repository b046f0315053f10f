using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;
using Appliance.IntegrationTests.Infrastructure;

namespace Appliance.IntegrationTests.Hosting;

/// <summary>
/// The release binaries speak sd_notify the way a <c>Type=notify</c> unit with <c>WatchdogSec=</c> needs: the test plays
/// systemd (a Unix datagram socket in <c>$NOTIFY_SOCKET</c>, <c>$WATCHDOG_USEC</c>, and either systemd's <c>$INVOCATION_ID</c>
/// or a parent process named <c>systemd</c>, which is how Microsoft.Extensions.Hosting.Systemd recognises a service) and
/// sends SIGTERM.
/// </summary>
public sealed class SystemdNotifyTests
{
    // Pings are expected every second. A shorter timeout made the gap assertion measure the loaded test host's scheduling
    // (CI saw 918 ms and 1093 ms gaps against 600 ms) rather than the binary's ping loop.
    private const long WatchdogUsec = 2_000_000;

    private static string WorkerBinary =>
        Environment.GetEnvironmentVariable("APPLIANCE_PUBLISHED_WORKER") is { Length: > 0 } published
            ? published
            : Path.Combine(AppContext.BaseDirectory, "appliance-worker");

    [Fact]
    public async Task Api_sends_ready_after_kestrel_listens_then_watchdog_pings_then_stopping_on_sigterm()
    {
        await using var database = await TestDatabase.CreateAsync();
        var port = BinaryProcess.FreePort();
        var socketPath = Path.Combine(Directory.CreateTempSubdirectory("sdnotify-").FullName, "notify.sock");
        using var systemd = new FakeSystemd(new UnixDomainSocketEndPoint(socketPath));
        var environment = BinaryProcess.Environment(database.ConnectionString, port);
        environment["NOTIFY_SOCKET"] = socketPath;
        // systemd names the journal stream when stdout goes to the journal (sd-daemon(3)).
        environment["JOURNAL_STREAM"] = "8:4242";
        environment["WATCHDOG_USEC"] = WatchdogUsec.ToString(System.Globalization.CultureInfo.InvariantCulture);
        // As under the unit, whose ProtectProc=invisible hides PID 1: the parent cannot be seen, systemd's $INVOCATION_ID can.
        environment["INVOCATION_ID"] = Guid.NewGuid().ToString("N");

        await using var api = BinaryProcess.Start(BinaryProcess.PublishedApi, environment);
        var ready = await systemd.ReceiveAsync(TimeSpan.FromSeconds(30));
        Assert.True(ready is not null, "no READY=1 within 30 s:\n" + api.Output);
        Assert.Contains("READY=1", ready.Split('\n'));

        // READY means "serving": the very first request after it must be answered, with no retry.
        using (var http = new HttpClient { Timeout = TimeSpan.FromSeconds(5) })
        {
            using var response = await http.GetAsync(new Uri($"http://127.0.0.1:{port}/health"));
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        }

        await AssertWatchdogPingsAsync(systemd, api);
        await api.TerminateAsync();
        Assert.Equal(0, api.ExitCode);
        Assert.Contains(await systemd.DrainAsync(), message => message.Split('\n').Contains("STOPPING=1"));

        // Writing to the journal, the console lines carry the syslog priority first and no timestamp of their own.
        Assert.Contains("\n<6>info: Microsoft.Hosting.Lifetime", "\n" + api.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Outside_systemd_the_api_stays_silent_even_with_a_notify_socket()
    {
        await using var database = await TestDatabase.CreateAsync();
        var port = BinaryProcess.FreePort();
        var socketPath = Path.Combine(Directory.CreateTempSubdirectory("sdnotify-").FullName, "notify.sock");
        using var systemd = new FakeSystemd(new UnixDomainSocketEndPoint(socketPath));
        var environment = BinaryProcess.Environment(database.ConnectionString, port);
        environment["NOTIFY_SOCKET"] = socketPath;
        environment["WATCHDOG_USEC"] = WatchdogUsec.ToString(System.Globalization.CultureInfo.InvariantCulture);

        // Started by the test host, not by a process named systemd and without systemd's $INVOCATION_ID: a NOTIFY_SOCKET
        // inherited from elsewhere is not ours.
        await using var api = BinaryProcess.Start(BinaryProcess.PublishedApi, environment);
        await WaitForHealthAsync(port, api);

        await Task.Delay(TimeSpan.FromMicroseconds(WatchdogUsec));
        await api.TerminateAsync();
        Assert.Equal(0, api.ExitCode);
        Assert.Empty(await systemd.DrainAsync());
        Assert.DoesNotContain("<6>", api.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Worker_speaks_sd_notify_over_an_abstract_socket_and_without_it_stays_silent()
    {
        await using var database = await TestDatabase.CreateAsync();
        var name = "appliance-test-" + Guid.NewGuid().ToString("N");
        using var systemd = new FakeSystemd(new UnixDomainSocketEndPoint("\0" + name));
        var environment = BinaryProcess.Environment(database.ConnectionString, BinaryProcess.FreePort());
        environment["NOTIFY_SOCKET"] = "@" + name;
        environment["WATCHDOG_USEC"] = WatchdogUsec.ToString(System.Globalization.CultureInfo.InvariantCulture);

        await using (var worker = systemd.Start(WorkerBinary, environment))
        {
            var ready = await systemd.ReceiveAsync(TimeSpan.FromSeconds(30));
            Assert.True(ready is not null, "no READY=1 within 30 s:\n" + worker.Output);
            Assert.Contains("READY=1", ready.Split('\n'));
            await AssertWatchdogPingsAsync(systemd, worker);
            await worker.TerminateAsync();
            Assert.True(worker.ExitCode == 0, worker.Output);
            Assert.Contains(await systemd.DrainAsync(), message => message.Split('\n').Contains("STOPPING=1"));
        }

        // WATCHDOG_PID naming another process: the watchdog is not ours, so READY/STOPPING only.
        environment["WATCHDOG_PID"] = "1";
        await using (var worker = systemd.Start(WorkerBinary, environment))
        {
            var ready = await systemd.ReceiveAsync(TimeSpan.FromSeconds(30));
            Assert.True(ready is not null, "no READY=1 within 30 s:\n" + worker.Output);
            await Task.Delay(TimeSpan.FromMicroseconds(WatchdogUsec * 2));
            await worker.TerminateAsync();
            var rest = await systemd.DrainAsync();
            Assert.DoesNotContain(rest, message => message.Contains("WATCHDOG=1", StringComparison.Ordinal));
            Assert.Contains(rest, message => message.Split('\n').Contains("STOPPING=1"));
        }
    }

    private static async Task WaitForHealthAsync(int port, BinaryProcess process)
    {
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(5) };
        var clock = Stopwatch.StartNew();
        while (clock.Elapsed < TimeSpan.FromSeconds(30) && !process.HasExited)
        {
            try
            {
                using var response = await http.GetAsync(new Uri($"http://127.0.0.1:{port}/health"));
                if (response.StatusCode == HttpStatusCode.OK)
                {
                    return;
                }
            }
            catch (HttpRequestException)
            {
                // not listening yet
            }

            await Task.Delay(50);
        }

        Assert.Fail("no /health within 30 s:\n" + process.Output);
    }

    /// <summary>At least three pings, none further apart than the watchdog timeout itself.</summary>
    private static async Task AssertWatchdogPingsAsync(FakeSystemd systemd, BinaryProcess process)
    {
        var clock = Stopwatch.StartNew();
        var last = TimeSpan.Zero;
        for (var pings = 0; pings < 3;)
        {
            var message = await systemd.ReceiveAsync(TimeSpan.FromSeconds(5));
            Assert.True(message is not null, "no WATCHDOG=1 within 5 s:\n" + process.Output);
            if (message == "WATCHDOG=1")
            {
                var gap = clock.Elapsed - last;
                Assert.True(gap < TimeSpan.FromMicroseconds(WatchdogUsec), $"watchdog ping came after {gap.TotalMilliseconds:0} ms");
                last = clock.Elapsed;
                pings++;
            }
        }
    }

    /// <summary>Plays systemd's side (a fake of PID 1, not of our code): the bound notify socket, and the parent process. The
    /// package treats a process as a service when its parent's name (<c>/proc/PPID/comm</c>) is <c>systemd</c>, so the binary
    /// is started by a small script called <c>systemd</c> that passes SIGTERM on and exits with the binary's exit code.</summary>
    private sealed class FakeSystemd : IDisposable
    {
        private const string Launcher = """
            #!/bin/bash
            "$@" &
            child=$!
            trap 'kill -TERM "$child"' TERM
            wait "$child"
            rc=$?
            while kill -0 "$child" 2>/dev/null; do
              wait "$child"
              rc=$?
            done
            exit "$rc"
            """;

        private readonly Socket _socket = new(AddressFamily.Unix, SocketType.Dgram, ProtocolType.Unspecified);
        private readonly string _launcher;

        public FakeSystemd(UnixDomainSocketEndPoint endpoint)
        {
            _socket.Bind(endpoint);
            _launcher = Path.Combine(Directory.CreateTempSubdirectory("fake-pid1-").FullName, "systemd");
            File.WriteAllText(_launcher, Launcher + "\n");
            File.SetUnixFileMode(_launcher, UnixFileMode.UserRead | UnixFileMode.UserExecute);
        }

        /// <summary>Starts <paramref name="binary"/> as this fake systemd's child.</summary>
        public BinaryProcess Start(string binary, IReadOnlyDictionary<string, string> environment) =>
            BinaryProcess.Start(_launcher, environment, binary);

        public async Task<string?> ReceiveAsync(TimeSpan timeout)
        {
            var buffer = new byte[4096];
            using var cancel = new CancellationTokenSource(timeout);
            try
            {
                var received = await _socket.ReceiveAsync(buffer, SocketFlags.None, cancel.Token);
                return Encoding.UTF8.GetString(buffer, 0, received);
            }
            catch (OperationCanceledException)
            {
                return null;
            }
        }

        /// <summary>Everything queued now (the sender has exited).</summary>
        public async Task<List<string>> DrainAsync()
        {
            var messages = new List<string>();
            while (await ReceiveAsync(TimeSpan.FromMilliseconds(200)) is { } message)
            {
                messages.Add(message);
            }

            return messages;
        }

        public void Dispose() => _socket.Dispose();
    }
}
