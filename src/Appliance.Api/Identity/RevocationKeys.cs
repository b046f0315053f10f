namespace Appliance.Api.Identity;

/// <summary>Redis keys that end access tokens before they expire (checked by <see cref="AccessTokenEvents"/> on every request).</summary>
public static class RevocationKeys
{
    /// <summary>One signed-out access token.</summary>
    public static string Jti(string jti) => "auth:revoked:" + jti;

    /// <summary>Every access token of one session (refresh family, the token's <c>sid</c>).</summary>
    public static string Session(Guid sessionId) => "auth:revoked:sid:" + sessionId.ToString("N");

    /// <summary>The instant (Unix ms) before which the user's access tokens are refused.</summary>
    public static string UserValidAfter(Guid userId) => "auth:valid-after:" + userId.ToString("N");
}
