using System.Security.Cryptography;
using System.Text;

namespace Appliance.Platform.Security;

/// <summary>
/// One-time MFA recovery codes: <c>xxxx-xxxx-xxxx</c> from a 32-symbol alphabet without i, l, o, u
/// (12 symbols of 5 bits = 60 bits each), stored only as salted hashes.
/// </summary>
/// <remarks>
/// Hash: HMAC-SHA-256 keyed with a random per-user salt over the normalised code. A slow KDF
/// (PBKDF2) protects low-entropy passwords; these codes are 60 uniformly random bits, so an offline
/// search over a leaked hash costs about 2^59 HMACs per code whatever the hash speed, and the salt
/// stops one precomputation from serving every user. A fast hash also keeps checking a code against
/// all ten stored hashes cheap, which matters because that check sits on the login path.
/// </remarks>
public static class RecoveryCodes
{
    public const int DefaultCount = 10;
    public const int SaltBytes = 16;
    private const int Symbols = 12;
    private const string Alphabet = "0123456789abcdefghjkmnpqrstvwxyz";

    /// <summary>New codes formatted <c>xxxx-xxxx-xxxx</c>; show them once, store <see cref="Hash"/> of each.</summary>
    public static IReadOnlyList<string> Generate(int count = DefaultCount)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(count);
        var codes = new string[count];
        for (var i = 0; i < count; i++)
        {
            var s = RandomNumberGenerator.GetItems<char>(Alphabet, Symbols);
            codes[i] = $"{new string(s, 0, 4)}-{new string(s, 4, 4)}-{new string(s, 8, 4)}";
        }

        return codes;
    }

    /// <summary>A new random per-user salt.</summary>
    public static byte[] GenerateSalt() => RandomNumberGenerator.GetBytes(SaltBytes);

    /// <summary>
    /// The canonical form of a typed code: case, spaces and dashes ignored, and the look-alikes
    /// o→0, i/l→1 mapped; null when the result is not 12 alphabet symbols.
    /// </summary>
    public static string? Normalise(string? code)
    {
        if (code is null)
        {
            return null;
        }

        var builder = new StringBuilder(Symbols);
        foreach (var raw in code)
        {
            if (raw is ' ' or '-')
            {
                continue;
            }

            var c = char.ToLowerInvariant(raw) switch
            {
                'o' => '0',
                'i' or 'l' => '1',
                var other => other,
            };
            if (!Alphabet.Contains(c, StringComparison.Ordinal) || builder.Length == Symbols)
            {
                return null;
            }

            builder.Append(c);
        }

        return builder.Length == Symbols ? builder.ToString() : null;
    }

    /// <summary>The hash to store for <paramref name="code"/>; throws <see cref="FormatException"/> for a malformed code.</summary>
    public static byte[] Hash(string code, ReadOnlySpan<byte> salt)
    {
        var normalised = Normalise(code) ?? throw new FormatException("A recovery code has 12 symbols such as abcd-efgh-jkmn.");
        if (salt.Length < SaltBytes)
        {
            throw new ArgumentException($"The salt must have at least {SaltBytes} bytes.", nameof(salt));
        }

        return HMACSHA256.HashData(salt, Encoding.ASCII.GetBytes(normalised));
    }

    /// <summary>
    /// The index in <paramref name="storedHashes"/> that <paramref name="code"/> matches, or -1.
    /// Every stored hash is compared in constant time; the caller deletes (or marks used) the matched
    /// entry in the same transaction that accepts the login, so each code works once.
    /// </summary>
    public static int FindMatch(string? code, ReadOnlySpan<byte> salt, IReadOnlyList<byte[]> storedHashes)
    {
        ArgumentNullException.ThrowIfNull(storedHashes);
        if (Normalise(code) is null)
        {
            return -1;
        }

        var candidate = Hash(code!, salt);
        var match = -1;
        for (var i = 0; i < storedHashes.Count; i++)
        {
            if (CryptographicOperations.FixedTimeEquals(candidate, storedHashes[i]) && match < 0)
            {
                match = i;
            }
        }

        return match;
    }
}
