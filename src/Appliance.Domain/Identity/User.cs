namespace Appliance.Domain.Identity;

public sealed record User(
    Guid Id,
    string Email,
    string DisplayName,
    string Role,
    Guid? CustomerId,
    string Language,
    IReadOnlyList<string> Skills,
    bool IsActive,
    DateTimeOffset? LastLoginAt,
    DateTimeOffset CreatedAt,
    DateTimeOffset UpdatedAt,
    bool MfaEnabled = false);

/// <summary>A user with the secret parts needed to sign in; never leaves the server.</summary>
public sealed record UserCredentials(User User, string? PasswordHash);

public sealed record NewUser(string Email, string DisplayName, string Role, Guid? CustomerId, string Language, IReadOnlyList<string> Skills, string PasswordHash);

public sealed record UserChanges(string? DisplayName, string? Role, Guid? CustomerId, bool CustomerIdGiven, string? Language, IReadOnlyList<string>? Skills, bool? IsActive);
