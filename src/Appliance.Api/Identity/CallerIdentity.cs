using System.Security.Claims;

namespace Appliance.Api.Identity;

/// <summary>
/// The authenticated caller as ASP.NET Core sees it: a claims identity (subject, role, and the API key when one is used)
/// that carries the <see cref="CurrentUser"/> the authorization handlers and endpoints work with, so permissions are
/// checked against a set rather than by scanning claims.
/// </summary>
public sealed class CallerIdentity : ClaimsIdentity
{
    public CallerIdentity(CurrentUser caller, string authenticationType)
        : base(ClaimsOf(caller), authenticationType, ClaimTypes.NameIdentifier, ClaimTypes.Role)
    {
        Caller = caller;
    }

    private CallerIdentity(CallerIdentity other)
        : base(other)
    {
        Caller = other.Caller;
    }

    public CurrentUser Caller { get; }

    public override ClaimsIdentity Clone() => new CallerIdentity(this);

    private static List<Claim> ClaimsOf(CurrentUser caller)
    {
        ArgumentNullException.ThrowIfNull(caller);
        var claims = new List<Claim>(3) { new(ClaimTypes.NameIdentifier, caller.Id.ToString()), new(ClaimTypes.Role, caller.Role) };
        if (caller.ApiKeyId is { } key)
        {
            claims.Add(new Claim("api_key_id", key.ToString()));
        }

        return claims;
    }
}
