using Appliance.Platform.Hosting;

namespace Appliance.UnitTests.Platform;

public sealed class SystemdWatchdogTests
{
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
        var interval = SystemdWatchdog.ParseInterval(usec, pid, ourPid);
        Assert.Equal(expectedMs, interval is { } value ? (int)value.TotalMilliseconds : null);
    }
}
