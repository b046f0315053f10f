using System.Collections.Frozen;
using Appliance.Domain.Common;
using Microsoft.AspNetCore.Identity;

namespace Appliance.Domain.Identity;

/// <summary>What a password must be (strong password rules) and how it is stored (PBKDF2 via ASP.NET Core Identity).</summary>
public static class PasswordPolicy
{
    public const int MinimumLength = 12;
    public const int MaximumLength = 256;

    private static readonly FrozenSet<string> Common = LoadCommon();
    private static readonly PasswordHasher<string> Hasher = new();

    /// <summary>The problems with <paramref name="password"/> for the account <paramref name="email"/>; empty when acceptable.</summary>
    public static IReadOnlyList<FieldError> Check(string? password, string? email, string field = "password")
    {
        if (string.IsNullOrEmpty(password))
        {
            return [new FieldError(field, "Password is required")];
        }

        var errors = new List<FieldError>();
        if (password.Length < MinimumLength)
        {
            errors.Add(new FieldError(field, $"Password must have at least {MinimumLength} characters"));
        }
        else if (password.Length > MaximumLength)
        {
            errors.Add(new FieldError(field, $"Password must have at most {MaximumLength} characters"));
        }

        if (email is not null && string.Equals(password.Trim(), email.Trim(), StringComparison.OrdinalIgnoreCase))
        {
            errors.Add(new FieldError(field, "Password must not be the email address"));
        }
        else if (IsCommon(password))
        {
            errors.Add(new FieldError(field, "Password is too common; choose a longer, less predictable one"));
        }

        return errors;
    }

    public static bool IsCommon(string password) => Common.Contains(password.Trim().ToLowerInvariant());

    public static string Hash(string email, string password) => Hasher.HashPassword(email, password);

    /// <summary>Verifies; <c>NeedsRehash</c> is true when the stored hash uses older parameters.</summary>
    public static (bool Valid, bool NeedsRehash) Verify(string email, string storedHash, string password)
    {
        var result = Hasher.VerifyHashedPassword(email, storedHash, password);
        return (result != PasswordVerificationResult.Failed, result == PasswordVerificationResult.SuccessRehashNeeded);
    }

    private static FrozenSet<string> LoadCommon()
    {
        using var stream = typeof(PasswordPolicy).Assembly.GetManifestResourceStream("common-passwords.txt")
            ?? throw new InvalidOperationException("common-passwords.txt is not embedded");
        using var reader = new StreamReader(stream);
        var set = new HashSet<string>(StringComparer.Ordinal);
        while (reader.ReadLine() is { } line)
        {
            if (line.Length > 0 && line[0] != '#')
            {
                set.Add(line.Trim().ToLowerInvariant());
            }
        }

        return set.ToFrozenSet(StringComparer.Ordinal);
    }
}
