using System.Globalization;

namespace Appliance.Platform.Security;

/// <summary>
/// The <c>otpauth://totp/</c> key URI that authenticator apps read from a QR code
/// (Google Authenticator "Key Uri Format").
/// </summary>
public static class OtpAuthUri
{
    /// <summary>
    /// Builds <c>otpauth://totp/Issuer:account?secret=...&amp;issuer=...&amp;algorithm=SHA1&amp;digits=6&amp;period=30</c>.
    /// Issuer and account are percent-encoded as UTF-8 (space as %20, never '+'). The issuer may not
    /// contain ':' because apps split the label on the first colon; the account name may (it is encoded).
    /// </summary>
    public static string Build(string issuer, string accountName, ReadOnlySpan<byte> secret,
        OtpAlgorithm algorithm = OtpAlgorithm.Sha1, int digits = Totp.DefaultDigits)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(issuer);
        ArgumentException.ThrowIfNullOrWhiteSpace(accountName);
        if (issuer.Contains(':', StringComparison.Ordinal))
        {
            throw new ArgumentException("The issuer may not contain ':' (it separates issuer and account in the label).", nameof(issuer));
        }

        if (secret.IsEmpty)
        {
            throw new ArgumentException("The secret is empty.", nameof(secret));
        }

        if (digits is < 6 or > 8)
        {
            throw new ArgumentOutOfRangeException(nameof(digits), digits, "TOTP codes have 6 to 8 digits.");
        }

        var algorithmName = algorithm switch
        {
            OtpAlgorithm.Sha1 => "SHA1",
            OtpAlgorithm.Sha256 => "SHA256",
            OtpAlgorithm.Sha512 => "SHA512",
            _ => throw new ArgumentOutOfRangeException(nameof(algorithm), algorithm, "Unknown OTP algorithm."),
        };
        var encodedIssuer = Uri.EscapeDataString(issuer);
        return string.Create(CultureInfo.InvariantCulture,
            $"otpauth://totp/{encodedIssuer}:{Uri.EscapeDataString(accountName)}?secret={Totp.EncodeSecret(secret)}&issuer={encodedIssuer}&algorithm={algorithmName}&digits={digits}&period={Totp.StepSeconds}");
    }
}
