// The appliance and its tests run on Linux only (systemd, LXC, Unix file modes).
[assembly: System.Runtime.Versioning.SupportedOSPlatform("linux")]
