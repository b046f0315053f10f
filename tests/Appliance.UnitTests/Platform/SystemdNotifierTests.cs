using System.Net.Sockets;
using System.Text;
using Appliance.Platform.Hosting;

namespace Appliance.UnitTests.Platform;

public sealed class SystemdNotifierTests
{
    [Fact]
    public void Without_notify_socket_everything_is_a_no_op()
    {
        using var notifier = new SystemdNotifier(null, "1000000", null, 42);
        Assert.False(notifier.IsEnabled);
        Assert.False(notifier.Ready());
        Assert.False(notifier.Watchdog());
    }

    [Theory]
    [InlineData("relative/path")]
    [InlineData("")]
    public void A_socket_name_that_is_neither_a_path_nor_abstract_is_ignored(string name)
    {
        using var notifier = new SystemdNotifier(name, null, null, 42);
        Assert.False(notifier.IsEnabled);
    }

    [Theory]
    [InlineData("1000000", null, 42, 500)]
    [InlineData("1000000", "42", 42, 500)]
    [InlineData("30000000", "", 42, 15000)]
    [InlineData("1000000", "43", 42, null)]
    [InlineData("1000000", "x", 42, null)]
    [InlineData("0", null, 42, null)]
    [InlineData("-5", null, 42, null)]
    [InlineData("abc", null, 42, null)]
    [InlineData(null, null, 42, null)]
    public void Watchdog_interval_is_half_the_timeout_and_only_for_our_pid(string? usec, string? pid, int ourPid, int? expectedMs)
    {
        var interval = SystemdNotifier.ParseWatchdog(usec, pid, ourPid);
        Assert.Equal(expectedMs, interval is { } value ? (int)value.TotalMilliseconds : null);
    }

    [Fact]
    public void Messages_arrive_as_single_datagrams_on_a_path_socket()
    {
        var path = Path.Combine(Directory.CreateTempSubdirectory("sdnotify-").FullName, "n.sock");
        using var receiver = new Socket(AddressFamily.Unix, SocketType.Dgram, ProtocolType.Unspecified);
        receiver.Bind(new UnixDomainSocketEndPoint(path));
        receiver.ReceiveTimeout = 2000;
        using var notifier = new SystemdNotifier(path, null, null, Environment.ProcessId);

        Assert.True(notifier.Ready("serving"));
        Assert.True(notifier.Watchdog());
        Assert.True(notifier.Stopping());

        Assert.Equal("READY=1\nSTATUS=serving", Receive(receiver));
        Assert.Equal("WATCHDOG=1", Receive(receiver));
        Assert.Equal("STOPPING=1", Receive(receiver));
    }

    [Fact]
    public void Abstract_names_written_with_an_at_sign_reach_the_abstract_namespace()
    {
        var name = "appliance-unit-" + Guid.NewGuid().ToString("N");
        using var receiver = new Socket(AddressFamily.Unix, SocketType.Dgram, ProtocolType.Unspecified);
        receiver.Bind(new UnixDomainSocketEndPoint("\0" + name));
        receiver.ReceiveTimeout = 2000;
        using var notifier = new SystemdNotifier("@" + name, null, null, Environment.ProcessId);

        Assert.True(notifier.Status("hello"));
        Assert.Equal("STATUS=hello", Receive(receiver));
    }

    [Fact]
    public void A_vanished_socket_makes_notify_return_false_instead_of_throwing()
    {
        var path = Path.Combine(Directory.CreateTempSubdirectory("sdnotify-").FullName, "gone.sock");
        using var notifier = new SystemdNotifier(path, null, null, Environment.ProcessId);
        Assert.True(notifier.IsEnabled);
        Assert.False(notifier.Ready());
    }

    private static string Receive(Socket socket)
    {
        var buffer = new byte[1024];
        var received = socket.Receive(buffer);
        return Encoding.UTF8.GetString(buffer, 0, received);
    }
}
