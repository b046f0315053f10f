using System.Security.Cryptography;
using OtpNet;

namespace Appliance.Platform.Security;

/// <summary>The HMAC behind a one-time password. Authenticator apps assume SHA-1.</summary>
public enum OtpAlgorithm
{
    Sha1,
    Sha256,
    Sha512,
}

/// <summary>
/// Time-based one-time passwords (RFC 6238) over HOTP (RFC 4226), computed by Otp.NET: 30-second steps counted from
/// the Unix epoch, 6 digits and HMAC-SHA-1 by default (what authenticator apps assume), 7 or 8 digits and
/// SHA-256/SHA-512 on request. This class only fixes the appliance's parameters and the replay rule; no clock, no storage.
/// </summary>
public static class Totp
{
    public const int StepSeconds = 30;
    public const int DefaultDigits = 6;
    public const int SecretBytes = 20;

    /// <summary>A new random secret of 20 bytes (160 bits, the RFC 4226 recommendation for SHA-1).</summary>
    public static byte[] GenerateSecret() => RandomNumberGenerator.GetBytes(SecretBytes);

    /// <summary>The secret as authenticator apps take it: RFC 4648 base32, upper case (20 bytes need no padding).</summary>
    public static string EncodeSecret(ReadOnlySpan<byte> secret) => Base32Encoding.ToString(secret.ToArray());

    /// <summary>The bytes of a base32 secret (case-insensitive, trailing padding ignored); throws for other characters.</summary>
    public static byte[] DecodeSecret(string text) => Base32Encoding.ToBytes(text);

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

    /// <summary>RFC 4226 HOTP for <paramref name="counter"/> (for TOTP the counter is the time step).</summary>
    public static string Hotp(ReadOnlySpan<byte> secret, long counter, int digits = DefaultDigits, OtpAlgorithm algorithm = OtpAlgorithm.Sha1)
    {
        ValidateDigits(digits);
        return new Hotp(SecretArray(secret), Mode(algorithm), digits).ComputeHOTP(counter);
    }

    /// <summary>
    /// Checks <paramref name="code"/> against the steps from <c>step(now) - window</c> to
    /// <c>step(now) + window</c> and returns the step it matched, or null.
    /// </summary>
    /// <remarks>
    /// Replay contract: a code stays valid for up to <c>(2 * window + 1) * 30</c> seconds, so the caller
    /// must store the returned step per user and refuse a login whose matched step is the same as or
    /// earlier than the stored one. Passing that stored step as <paramref name="lastUsedStep"/> does
    /// exactly this here: steps at or before it are not candidates at all. Otp.NET compares each candidate in
    /// constant time. A code of the wrong length or with non-digits is simply false (null).
    /// </remarks>
    public static long? Verify(ReadOnlySpan<byte> secret, string? code, DateTimeOffset now, int window = 1,
        long? lastUsedStep = null, int digits = DefaultDigits, OtpAlgorithm algorithm = OtpAlgorithm.Sha1)
    {
        ValidateDigits(digits);
        ArgumentOutOfRangeException.ThrowIfNegative(window);
        var key = SecretArray(secret);
        if (code is null || code.Length != digits || !code.All(char.IsAsciiDigit))
        {
            return null;
        }

        // The candidate steps are [lowest, highest]; Otp.NET's window counts back from the step it is given, so
        // verify at the highest candidate with a window reaching back to the lowest.
        var current = TimeStep(now);
        var lowest = Math.Max(Math.Max(current - window, 0), lastUsedStep is { } last ? last + 1 : 0);
        var highest = current + window;
        if (lowest > highest)
        {
            return null;
        }

        var totp = new OtpNet.Totp(key, StepSeconds, Mode(algorithm), digits);
        var at = DateTime.UnixEpoch.AddSeconds(highest * (double)StepSeconds);
        return totp.VerifyTotp(at, code, out var matched, new VerificationWindow(previous: (int)(highest - lowest), future: 0))
            ? matched
            : null;
    }

    private static byte[] SecretArray(ReadOnlySpan<byte> secret) =>
        secret.IsEmpty ? throw new ArgumentException("The secret is empty.", nameof(secret)) : secret.ToArray();

    private static OtpHashMode Mode(OtpAlgorithm algorithm) => algorithm switch
    {
        OtpAlgorithm.Sha1 => OtpHashMode.Sha1,
        OtpAlgorithm.Sha256 => OtpHashMode.Sha256,
        OtpAlgorithm.Sha512 => OtpHashMode.Sha512,
        _ => throw new ArgumentOutOfRangeException(nameof(algorithm), algorithm, "Unknown OTP algorithm."),
    };

    private static void ValidateDigits(int digits)
    {
        if (digits is < 6 or > 8)
        {
            throw new ArgumentOutOfRangeException(nameof(digits), digits, "TOTP codes have 6 to 8 digits.");
        }
    }
}
