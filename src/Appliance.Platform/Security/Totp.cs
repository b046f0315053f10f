using System.Buffers.Binary;
using System.Security.Cryptography;

namespace Appliance.Platform.Security;

/// <summary>The HMAC behind a one-time password. Authenticator apps assume SHA-1.</summary>
public enum OtpAlgorithm
{
    Sha1,
    Sha256,
    Sha512,
}

/// <summary>
/// Time-based one-time passwords (RFC 6238) over HOTP (RFC 4226): 30-second steps counted from the
/// Unix epoch, 6 digits and HMAC-SHA-1 by default (what authenticator apps assume), 7 or 8 digits and
/// SHA-256/SHA-512 on request. Pure computation: no clock, no storage.
/// </summary>
public static class Totp
{
    public const int StepSeconds = 30;
    public const int DefaultDigits = 6;
    public const int SecretBytes = 20;

    /// <summary>A new random secret of 20 bytes (160 bits, the RFC 4226 recommendation for SHA-1).</summary>
    public static byte[] GenerateSecret() => RandomNumberGenerator.GetBytes(SecretBytes);

    /// <summary>The RFC 6238 time step that <paramref name="timestamp"/> falls in.</summary>
    public static long TimeStep(DateTimeOffset timestamp)
    {
        var seconds = timestamp.ToUnixTimeSeconds();
        ArgumentOutOfRangeException.ThrowIfNegative(seconds, nameof(timestamp));
        return seconds / StepSeconds;
    }

    /// <summary>The code for <paramref name="timestamp"/>, zero-padded to <paramref name="digits"/>.</summary>
    public static string Compute(ReadOnlySpan<byte> secret, DateTimeOffset timestamp, int digits = DefaultDigits, OtpAlgorithm algorithm = OtpAlgorithm.Sha1) =>
        Hotp(secret, TimeStep(timestamp), digits, algorithm);

    /// <summary>RFC 4226 HOTP: HMAC over the big-endian counter, dynamic truncation, modulo 10^digits.</summary>
    public static string Hotp(ReadOnlySpan<byte> secret, long counter, int digits = DefaultDigits, OtpAlgorithm algorithm = OtpAlgorithm.Sha1)
    {
        ValidateDigits(digits);
        if (secret.IsEmpty)
        {
            throw new ArgumentException("The secret is empty.", nameof(secret));
        }

        Span<byte> message = stackalloc byte[8];
        BinaryPrimitives.WriteInt64BigEndian(message, counter);
        Span<byte> mac = stackalloc byte[64];
        var length = algorithm switch
        {
#pragma warning disable CA5350 // HMAC-SHA-1 is what RFC 6238 and authenticator apps use; HMAC does not rely on SHA-1's collision resistance
            OtpAlgorithm.Sha1 => HMACSHA1.HashData(secret, message, mac),
#pragma warning restore CA5350
            OtpAlgorithm.Sha256 => HMACSHA256.HashData(secret, message, mac),
            OtpAlgorithm.Sha512 => HMACSHA512.HashData(secret, message, mac),
            _ => throw new ArgumentOutOfRangeException(nameof(algorithm), algorithm, "Unknown OTP algorithm."),
        };
        var offset = mac[length - 1] & 0x0F;
        var binary = BinaryPrimitives.ReadInt32BigEndian(mac[offset..]) & 0x7FFFFFFF;
        var modulus = digits switch { 6 => 1_000_000, 7 => 10_000_000, _ => 100_000_000 };
        return (binary % modulus).ToString(System.Globalization.CultureInfo.InvariantCulture).PadLeft(digits, '0');
    }

    /// <summary>
    /// Checks <paramref name="code"/> against the steps from <c>step(now) - window</c> to
    /// <c>step(now) + window</c> and returns the step it matched, or null.
    /// </summary>
    /// <remarks>
    /// Replay contract: a code stays valid for up to <c>(2 * window + 1) * 30</c> seconds, so the caller
    /// must store the returned step per user and refuse a login whose matched step is the same as or
    /// earlier than the stored one. Passing that stored step as <paramref name="lastUsedStep"/> does
    /// exactly this here: steps at or before it are never matched. Every candidate step is compared
    /// in constant time and the loop does not stop early, so timing does not tell which step (if any)
    /// matched. A code of the wrong length or with non-digits is simply false (null).
    /// </remarks>
    public static long? Verify(ReadOnlySpan<byte> secret, string? code, DateTimeOffset now, int window = 1,
        long? lastUsedStep = null, int digits = DefaultDigits, OtpAlgorithm algorithm = OtpAlgorithm.Sha1)
    {
        ValidateDigits(digits);
        ArgumentOutOfRangeException.ThrowIfNegative(window);
        if (code is null || code.Length != digits || !code.All(char.IsAsciiDigit))
        {
            return null;
        }

        Span<byte> given = stackalloc byte[digits];
        Span<byte> expected = stackalloc byte[digits];
        for (var i = 0; i < digits; i++)
        {
            given[i] = (byte)code[i];
        }

        var current = TimeStep(now);
        long? matched = null;
        for (var step = current - window; step <= current + window; step++)
        {
            if (step < 0)
            {
                continue;
            }

            var candidate = Hotp(secret, step, digits, algorithm);
            for (var i = 0; i < digits; i++)
            {
                expected[i] = (byte)candidate[i];
            }

            var equal = CryptographicOperations.FixedTimeEquals(given, expected);
            if (equal && matched is null && (lastUsedStep is null || step > lastUsedStep.Value))
            {
                matched = step;
            }
        }

        return matched;
    }

    private static void ValidateDigits(int digits)
    {
        if (digits is < 6 or > 8)
        {
            throw new ArgumentOutOfRangeException(nameof(digits), digits, "TOTP codes have 6 to 8 digits.");
        }
    }
}
