using System.Security.Cryptography;
using Appliance.Domain.Audit;
using Appliance.Domain.Identity;
using Appliance.Platform.Security;

namespace Appliance.Api.Identity;

/// <summary>Which second factor a request proved.</summary>
public enum SecondFactor
{
    None,
    Totp,
    RecoveryCode,
}

/// <summary>
/// Checks a second factor against a user's MFA state: a TOTP code (±1 step of 30 s, and only for a step later than the
/// last accepted one, recorded atomically, so a code never works twice) or a recovery code (consumed atomically).
/// </summary>
public sealed class MfaVerifier(MfaStore store, FieldEncryption encryption, TimeProvider time)
{
    public const int Window = 1;

    /// <summary>The clear TOTP secret of a sealed value (enrolled or pending) of <paramref name="userId"/>.</summary>
    public byte[] Unseal(Guid userId, byte[] sealedSecret) => encryption.Decrypt(sealedSecret, MfaStore.SecretContext(userId));

    public byte[] Seal(Guid userId, byte[] secret) => encryption.Encrypt(secret, MfaStore.SecretContext(userId));

    /// <summary>The step <paramref name="code"/> matches for <paramref name="secret"/> now (no replay check), or null.</summary>
    public long? MatchStep(byte[] secret, string? code, long? lastUsedStep = null) =>
        Totp.Verify(secret, Normalise(code), time.GetUtcNow(), Window, lastUsedStep);

    /// <summary>
    /// Verifies exactly one of <paramref name="code"/> or <paramref name="recoveryCode"/>. A used recovery code is audited
    /// (<c>mfa.recovery_code_used</c>, with the codes left) in the transaction that consumes it.
    /// </summary>
    public async Task<SecondFactor> VerifyAsync(MfaState state, string? code, string? recoveryCode, AuditContext audit, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(state);
        if (state.Secret is null)
        {
            return SecondFactor.None;
        }

        if (!string.IsNullOrWhiteSpace(code))
        {
            var secret = Unseal(state.UserId, state.Secret);
            var step = MatchStep(secret, code, state.LastStep);
            CryptographicOperations.ZeroMemory(secret);
            return step is { } matched && await store.AcceptStepAsync(state.UserId, matched, cancellationToken) ? SecondFactor.Totp : SecondFactor.None;
        }

        if (recoveryCode is null || state.RecoverySalt is null)
        {
            return SecondFactor.None;
        }

        var stored = await store.UnusedRecoveryCodesAsync(state.UserId, cancellationToken);
        var index = RecoveryCodes.FindMatch(recoveryCode, state.RecoverySalt, stored.Select(c => c.Hash).ToList());
        return index >= 0 && await store.ConsumeRecoveryCodeAsync(state.UserId, stored[index].Id, audit, cancellationToken) ? SecondFactor.RecoveryCode : SecondFactor.None;
    }

    /// <summary>Authenticator apps show codes as "123 456"; spaces are not part of the code.</summary>
    private static string? Normalise(string? code) => code?.Replace(" ", string.Empty, StringComparison.Ordinal).Trim();
}
