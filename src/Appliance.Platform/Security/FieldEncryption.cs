using System.Security.Cryptography;
using System.Text;

namespace Appliance.Platform.Security;

/// <summary>
/// Encrypts single database fields (TOTP secrets) with AES-256-GCM under the appliance's field-encryption key.
/// </summary>
/// <remarks>
/// Stored form: <c>version (1 byte) || key id (4 bytes) || nonce (12) || ciphertext || tag (16)</c>. The version byte
/// lets the format change and the key id (the first 4 bytes of SHA-256 of the key) names the key that sealed a value,
/// so a later key rotation can keep old keys for decryption and re-encrypt lazily. The caller's <c>context</c> (for
/// example <c>users.mfa_secret:&lt;user id&gt;</c>) is authenticated as associated data: a value copied to another
/// row or column does not decrypt. Nonces are random; with 96-bit nonces that is safe far beyond the number of
/// values this appliance will ever seal under one key.
/// </remarks>
public sealed class FieldEncryption
{
    public const int KeyBytes = 32;
    public const byte FormatVersion = 1;
    private const int KeyIdBytes = 4;
    private const int NonceBytes = 12;
    private const int TagBytes = 16;
    private const int HeaderBytes = 1 + KeyIdBytes + NonceBytes;

    private readonly byte[] _key;
    private readonly byte[] _keyId;

    public FieldEncryption(ReadOnlySpan<byte> key)
    {
        if (key.Length != KeyBytes)
        {
            throw new ArgumentException($"The field-encryption key must have {KeyBytes} bytes, not {key.Length}.", nameof(key));
        }

        _key = key.ToArray();
        _keyId = SHA256.HashData(key)[..KeyIdBytes];
    }

    /// <summary>The 4-byte id of this key as hex (it is written into every sealed value).</summary>
    public string KeyId => Convert.ToHexStringLower(_keyId);

    public byte[] Encrypt(ReadOnlySpan<byte> plaintext, string context)
    {
        ArgumentException.ThrowIfNullOrEmpty(context);
        var output = new byte[HeaderBytes + plaintext.Length + TagBytes];
        output[0] = FormatVersion;
        _keyId.CopyTo(output, 1);
        var nonce = output.AsSpan(1 + KeyIdBytes, NonceBytes);
        RandomNumberGenerator.Fill(nonce);
        using var aes = new AesGcm(_key, TagBytes);
        aes.Encrypt(nonce, plaintext, output.AsSpan(HeaderBytes, plaintext.Length), output.AsSpan(HeaderBytes + plaintext.Length), Encoding.UTF8.GetBytes(context));
        return output;
    }

    /// <summary>The plaintext; throws <see cref="CryptographicException"/> when the value was altered, sealed under
    /// another key or another context, or is not in this format.</summary>
    public byte[] Decrypt(ReadOnlySpan<byte> stored, string context)
    {
        ArgumentException.ThrowIfNullOrEmpty(context);
        if (stored.Length < HeaderBytes + TagBytes || stored[0] != FormatVersion)
        {
            throw new CryptographicException("The value is not in the field-encryption format (version 1).");
        }

        if (!stored.Slice(1, KeyIdBytes).SequenceEqual(_keyId))
        {
            throw new CryptographicException($"The value was encrypted with another key (id {Convert.ToHexStringLower(stored.Slice(1, KeyIdBytes))}, this key is {KeyId}).");
        }

        var cipherLength = stored.Length - HeaderBytes - TagBytes;
        var plaintext = new byte[cipherLength];
        using var aes = new AesGcm(_key, TagBytes);
        aes.Decrypt(stored.Slice(1 + KeyIdBytes, NonceBytes), stored.Slice(HeaderBytes, cipherLength), stored[(HeaderBytes + cipherLength)..], plaintext, Encoding.UTF8.GetBytes(context));
        return plaintext;
    }

    /// <summary>Reads a key file as provisioning writes it: 32 random bytes, base64, one line.</summary>
    /// <exception cref="FormatException">The content is not base64 of exactly 32 bytes.</exception>
    public static byte[] ParseKeyFile(string content)
    {
        ArgumentNullException.ThrowIfNull(content);
        byte[] key;
        try
        {
            key = Convert.FromBase64String(content.Trim());
        }
        catch (FormatException)
        {
            throw new FormatException("is not base64");
        }

        return key.Length == KeyBytes ? key : throw new FormatException($"holds {key.Length} bytes; {KeyBytes} are required");
    }
}
