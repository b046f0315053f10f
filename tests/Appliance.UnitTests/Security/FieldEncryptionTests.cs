using System.Security.Cryptography;
using System.Text;
using Appliance.Platform.Configuration;
using Appliance.Platform.Security;
using Microsoft.Extensions.Configuration;

namespace Appliance.UnitTests.Security;

public sealed class FieldEncryptionTests
{
    private static readonly byte[] Key = Enumerable.Range(1, 32).Select(i => (byte)i).ToArray();
    private static readonly byte[] Secret = Encoding.ASCII.GetBytes("12345678901234567890");

    [Fact]
    public void Round_trip_with_the_same_context()
    {
        var encryption = new FieldEncryption(Key);
        var sealedValue = encryption.Encrypt(Secret, "users.mfa_secret:a");
        Assert.Equal(Secret, encryption.Decrypt(sealedValue, "users.mfa_secret:a"));
        Assert.Equal(Secret, new FieldEncryption(Key).Decrypt(sealedValue, "users.mfa_secret:a"));
    }

    [Fact]
    public void Layout_is_version_key_id_nonce_ciphertext_tag()
    {
        var encryption = new FieldEncryption(Key);
        var sealedValue = encryption.Encrypt(Secret, "ctx");
        Assert.Equal(1 + 4 + 12 + Secret.Length + 16, sealedValue.Length);
        Assert.Equal(FieldEncryption.FormatVersion, sealedValue[0]);
        Assert.Equal(SHA256.HashData(Key)[..4], sealedValue[1..5]);
        Assert.Equal(Convert.ToHexStringLower(SHA256.HashData(Key)[..4]), encryption.KeyId);
        Assert.False(sealedValue.AsSpan(17, Secret.Length).SequenceEqual(Secret));
    }

    [Fact]
    public void Every_encryption_draws_a_new_nonce()
    {
        var encryption = new FieldEncryption(Key);
        var values = Enumerable.Range(0, 50).Select(_ => Convert.ToHexString(encryption.Encrypt(Secret, "ctx"))).ToList();
        Assert.Equal(50, values.Distinct().Count());
        Assert.Equal(50, values.Select(v => v.Substring(10, 24)).Distinct().Count());
    }

    [Fact]
    public void An_empty_plaintext_round_trips() =>
        Assert.Empty(new FieldEncryption(Key).Decrypt(new FieldEncryption(Key).Encrypt([], "ctx"), "ctx"));

    [Fact]
    public void Another_context_does_not_decrypt()
    {
        var encryption = new FieldEncryption(Key);
        var sealedValue = encryption.Encrypt(Secret, "users.mfa_secret:alice");
        Assert.ThrowsAny<CryptographicException>(() => encryption.Decrypt(sealedValue, "users.mfa_secret:bob"));
    }

    [Theory]
    [InlineData(5)]
    [InlineData(17)]
    [InlineData(30)]
    [InlineData(-1)]
    public void Any_altered_byte_is_refused(int index)
    {
        var encryption = new FieldEncryption(Key);
        var sealedValue = encryption.Encrypt(Secret, "ctx");
        sealedValue[index < 0 ? sealedValue.Length - 1 : index] ^= 0x01;
        Assert.ThrowsAny<CryptographicException>(() => encryption.Decrypt(sealedValue, "ctx"));
    }

    [Fact]
    public void Another_key_is_named_in_the_error()
    {
        var other = new FieldEncryption(RandomNumberGenerator.GetBytes(32));
        var sealedValue = other.Encrypt(Secret, "ctx");
        var ex = Assert.ThrowsAny<CryptographicException>(() => new FieldEncryption(Key).Decrypt(sealedValue, "ctx"));
        Assert.Contains(other.KeyId, ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Unknown_version_and_short_values_are_refused()
    {
        var encryption = new FieldEncryption(Key);
        var sealedValue = encryption.Encrypt(Secret, "ctx");
        sealedValue[0] = 2;
        Assert.ThrowsAny<CryptographicException>(() => encryption.Decrypt(sealedValue, "ctx"));
        Assert.ThrowsAny<CryptographicException>(() => encryption.Decrypt(new byte[32], "ctx"));
        Assert.ThrowsAny<CryptographicException>(() => encryption.Decrypt([], "ctx"));
    }

    [Theory]
    [InlineData(0)]
    [InlineData(16)]
    [InlineData(31)]
    [InlineData(33)]
    public void Keys_must_have_32_bytes(int length) =>
        Assert.Throws<ArgumentException>(() => new FieldEncryption(new byte[length]));

    [Fact]
    public void Key_files_are_base64_of_32_bytes_with_or_without_a_newline()
    {
        Assert.Equal(Key, FieldEncryption.ParseKeyFile(Convert.ToBase64String(Key) + "\n"));
        Assert.Equal(Key, FieldEncryption.ParseKeyFile("  " + Convert.ToBase64String(Key)));
        Assert.Contains("not base64", Assert.Throws<FormatException>(() => FieldEncryption.ParseKeyFile("not*base64")).Message, StringComparison.Ordinal);
        Assert.Contains("holds 16 bytes", Assert.Throws<FormatException>(() => FieldEncryption.ParseKeyFile(Convert.ToBase64String(new byte[16]))).Message, StringComparison.Ordinal);
        Assert.Contains("holds 0 bytes", Assert.Throws<FormatException>(() => FieldEncryption.ParseKeyFile("\n")).Message, StringComparison.Ordinal);
    }
}

[System.Runtime.Versioning.SupportedOSPlatform("linux")]
public sealed class SecuritySettingsTests : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("appliance-unit-fieldkey-").FullName;

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    private static SecuritySettings Load(string? path) =>
        SecuritySettings.Load(new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?> { [SecuritySettings.KeyFileSetting] = path }).Build());

    private string File(string content, UnixFileMode mode = UnixFileMode.UserRead | UnixFileMode.UserWrite)
    {
        var path = Path.Combine(_directory, Guid.NewGuid().ToString("N"));
        System.IO.File.WriteAllText(path, content);
        System.IO.File.SetUnixFileMode(path, mode);
        return path;
    }

    [Fact]
    public void A_good_key_file_is_read()
    {
        var key = RandomNumberGenerator.GetBytes(32);
        var path = File(Convert.ToBase64String(key) + "\n");
        var settings = Load(path);
        Assert.Equal(path, settings.FieldEncryptionKeyFile);
        Assert.Equal(key, settings.FieldEncryptionKey.ToArray());
    }

    [Fact]
    public void Missing_setting_names_it_and_how_to_make_a_key()
    {
        var ex = Assert.Throws<ConfigurationException>(() => Load(null));
        Assert.StartsWith("configuration error: Security:FieldEncryptionKeyFile is missing", ex.Message, StringComparison.Ordinal);
        Assert.Contains("APPLIANCE_Security__FieldEncryptionKeyFile", ex.Message, StringComparison.Ordinal);
        Assert.DoesNotContain('\n', ex.Message);
    }

    [Fact]
    public void Missing_file_is_named() =>
        Assert.Contains("does not exist", Assert.Throws<ConfigurationException>(() => Load(Path.Combine(_directory, "nope"))).Message, StringComparison.Ordinal);

    [Fact]
    public void A_key_readable_by_others_is_refused() =>
        Assert.Contains("must have mode 0600", Assert.Throws<ConfigurationException>(() => Load(File(Convert.ToBase64String(new byte[32]), UnixFileMode.UserRead | UnixFileMode.GroupRead))).Message, StringComparison.Ordinal);

    [Theory]
    [InlineData("short", "is not base64")]
    [InlineData("AAAA", "holds 3 bytes; 32 are required")]
    public void Bad_content_is_refused_with_the_reason(string content, string expected)
    {
        var ex = Assert.Throws<ConfigurationException>(() => Load(File(content)));
        Assert.Equal(SecuritySettings.KeyFileSetting, ex.Key);
        Assert.Contains(expected, ex.Message, StringComparison.Ordinal);
    }
}
