namespace Appliance.Platform;

/// <summary>Process exit codes shared by the appliance binaries (sysexits.h values, so scripts and systemd can tell them apart).</summary>
public static class ExitCodes
{
    public const int Ok = 0;
    public const int RuntimeError = 1;
    public const int Usage = 64;
    public const int MigrationRefused = 65;
    public const int DatabaseUnavailable = 69;
    public const int Configuration = 78;
}
