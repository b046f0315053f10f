using Appliance.Platform.Security;

namespace Appliance.IntegrationTests.Infrastructure;

/// <summary>
/// The real clock plus an offset the test moves forward: TOTP codes of later 30-second steps become current without
/// waiting. Tokens are issued and validated on the same shifted clock, so they stay valid.
/// </summary>
public sealed class AdjustableTime : TimeProvider
{
    private long _offsetTicks;

    public override DateTimeOffset GetUtcNow() => base.GetUtcNow() + TimeSpan.FromTicks(Interlocked.Read(ref _offsetTicks));

    public void Advance(TimeSpan by) => Interlocked.Add(ref _offsetTicks, by.Ticks);

    /// <summary>A TOTP code of the next 30-second step (the server runs on this clock), so it was never used before.</summary>
    public string NextTotp(byte[] secret)
    {
        Advance(TimeSpan.FromSeconds(30));
        return Totp.Compute(secret, GetUtcNow());
    }
}
