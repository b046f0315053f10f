using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace Appliance.IntegrationTests.Infrastructure;

/// <summary>Runs one of the appliance binaries with a clean, explicit environment and captures its output.</summary>
public sealed class BinaryProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly StringBuilder _output = new();

    private BinaryProcess(Process process)
    {
        _process = process;
        _process.OutputDataReceived += (_, e) => Append(e.Data);
        _process.ErrorDataReceived += (_, e) => Append(e.Data);
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();
    }

    public string Output
    {
        get
        {
            lock (_output)
            {
                return _output.ToString();
            }
        }
    }

    public bool HasExited => _process.HasExited;

    public int ExitCode => _process.ExitCode;

    /// <summary>The published API binary from <c>./appliance test</c> (APPLIANCE_PUBLISHED_API).</summary>
    public static string PublishedApi => TestEnvironment.Required("APPLIANCE_PUBLISHED_API");

    public static BinaryProcess Start(string path, IReadOnlyDictionary<string, string> environment, params string[] args)
    {
        var start = new ProcessStartInfo(path)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = Path.GetTempPath(),
        };
        start.Environment.Clear();
        start.Environment["PATH"] = "/usr/local/bin:/usr/bin:/bin";
        start.Environment["HOME"] = Path.GetTempPath();
        foreach (var (key, value) in environment)
        {
            start.Environment[key] = value;
        }

        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        return new BinaryProcess(Process.Start(start) ?? throw new InvalidOperationException($"{path} did not start"));
    }

    public static async Task<(int ExitCode, string Output)> RunAsync(string path, IReadOnlyDictionary<string, string> environment, params string[] args)
    {
        await using var process = Start(path, environment, args);
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        await process._process.WaitForExitAsync(timeout.Token);
        process._process.WaitForExit();
        return (process.ExitCode, process.Output);
    }

    public static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    /// <summary>Environment pointing a binary at the given database and the test Redis, with no /etc/appliance.</summary>
    public static Dictionary<string, string> Environment(string connectionString, int httpPort)
    {
        var configDir = Directory.CreateTempSubdirectory("appliance-etc-").FullName;
        var environment = new Dictionary<string, string>
        {
            ["APPLIANCE_CONFIG_DIR"] = configDir,
            ["APPLIANCE_Database__ConnectionString"] = connectionString,
            ["APPLIANCE_Redis__Endpoint"] = TestEnvironment.RedisEndpoint,
            ["APPLIANCE_Http__Url"] = $"http://127.0.0.1:{httpPort}",
            ["APPLIANCE_Identity__KeyDirectory"] = ApiServer.KeyDirectory,
            ["APPLIANCE_Security__FieldEncryptionKeyFile"] = ApiServer.FieldEncryptionKeyFile,
        };
        if (TestEnvironment.RedisPassword is { } password)
        {
            environment["APPLIANCE_Redis__Password"] = password;
        }

        return environment;
    }

    public async Task TerminateAsync()
    {
        if (!_process.HasExited)
        {
            using var kill = Process.Start("kill", ["-TERM", _process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)]);
            await kill.WaitForExitAsync();
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(15));
            await _process.WaitForExitAsync(timeout.Token);
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync();
        }

        _process.Dispose();
    }

    private void Append(string? line)
    {
        if (line is null)
        {
            return;
        }

        lock (_output)
        {
            _output.AppendLine(line);
        }
    }
}
