using Appliance.Platform.Security;
using Microsoft.Extensions.Configuration;

namespace Appliance.Platform.Configuration;

/// <summary>Secrets of the API beyond the signing keys: the field-encryption key (TOTP secrets at rest).</summary>
public sealed record SecuritySettings(string FieldEncryptionKeyFile, ReadOnlyMemory<byte> FieldEncryptionKey)
{
    public const string KeyFileSetting = "Security:FieldEncryptionKeyFile";

    /// <summary>Reads and checks the key file: present, private to its owner (0600), base64 of 32 bytes.</summary>
    public static SecuritySettings Load(IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        var path = new SettingReader(configuration).Optional(KeyFileSetting)
            ?? throw new ConfigurationException(KeyFileSetting, "is missing (a file of 32 random bytes in base64, mode 0600: head -c 32 /dev/urandom | base64 > FILE)");
        if (!File.Exists(path))
        {
            throw new ConfigurationException(KeyFileSetting, $"'{path}' does not exist");
        }

        if (!OperatingSystem.IsWindows() && (File.GetUnixFileMode(path) & (UnixFileMode.GroupRead | UnixFileMode.GroupWrite | UnixFileMode.OtherRead | UnixFileMode.OtherWrite)) != 0)
        {
            throw new ConfigurationException(KeyFileSetting, $"'{path}' is readable by others; it must have mode 0600");
        }

        string content;
        try
        {
            content = File.ReadAllText(path);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new ConfigurationException(KeyFileSetting, $"'{path}' cannot be read ({ex.Message})");
        }

        try
        {
            return new SecuritySettings(path, FieldEncryption.ParseKeyFile(content));
        }
        catch (FormatException ex)
        {
            throw new ConfigurationException(KeyFileSetting, $"'{path}' {ex.Message}");
        }
    }
}
