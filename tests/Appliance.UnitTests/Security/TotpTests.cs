using System.Text;
using Appliance.Platform.Security;

namespace Appliance.UnitTests.Security;

public sealed class TotpTests
{
    private static readonly byte[] Seed20 = Encoding.ASCII.GetBytes("12345678901234567890");
    private static readonly byte[] Seed32 = Encoding.ASCII.GetBytes("12345678901234567890123456789012");
    private static readonly byte[] Seed64 = Encoding.ASCII.GetBytes("1234567890123456789012345678901234567890123456789012345678901234");

    private static byte[] SeedFor(OtpAlgorithm algorithm) => algorithm switch
    {
        OtpAlgorithm.Sha1 => Seed20,
        OtpAlgorithm.Sha256 => Seed32,
        _ => Seed64,
    };

    // RFC 6238 Appendix B, every row.
    [Theory]
    [InlineData(59L, "94287082", OtpAlgorithm.Sha1)]
    [InlineData(59L, "46119246", OtpAlgorithm.Sha256)]
    [InlineData(59L, "90693936", OtpAlgorithm.Sha512)]
    [InlineData(1111111109L, "07081804", OtpAlgorithm.Sha1)]
    [InlineData(1111111109L, "68084774", OtpAlgorithm.Sha256)]
    [InlineData(1111111109L, "25091201", OtpAlgorithm.Sha512)]
    [InlineData(1111111111L, "14050471", OtpAlgorithm.Sha1)]
    [InlineData(1111111111L, "67062674", OtpAlgorithm.Sha256)]
    [InlineData(1111111111L, "99943326", OtpAlgorithm.Sha512)]
    [InlineData(1234567890L, "89005924", OtpAlgorithm.Sha1)]
    [InlineData(1234567890L, "91819424", OtpAlgorithm.Sha256)]
    [InlineData(1234567890L, "93441116", OtpAlgorithm.Sha512)]
    [InlineData(2000000000L, "69279037", OtpAlgorithm.Sha1)]
    [InlineData(2000000000L, "90698825", OtpAlgorithm.Sha256)]
    [InlineData(2000000000L, "38618901", OtpAlgorithm.Sha512)]
    [InlineData(20000000000L, "65353130", OtpAlgorithm.Sha1)]
    [InlineData(20000000000L, "77737706", OtpAlgorithm.Sha256)]
    [InlineData(20000000000L, "47863826", OtpAlgorithm.Sha512)]
    public void Rfc6238_appendix_b_vectors(long unixSeconds, string expected, OtpAlgorithm algorithm)
    {
        var time = DateTimeOffset.FromUnixTimeSeconds(unixSeconds);
        var seed = SeedFor(algorithm);
        Assert.Equal(expected, Totp.Compute(seed, time, digits: 8, algorithm: algorithm));
        Assert.Equal(Totp.TimeStep(time), Totp.Verify(seed, expected, time, digits: 8, algorithm: algorithm));
    }

    // RFC 4226 Appendix D.
    [Theory]
    [InlineData(0L, "755224")]
    [InlineData(1L, "287082")]
    [InlineData(2L, "359152")]
    [InlineData(3L, "969429")]
    [InlineData(4L, "338314")]
    [InlineData(5L, "254676")]
    [InlineData(6L, "287922")]
    [InlineData(7L, "162583")]
    [InlineData(8L, "399871")]
    [InlineData(9L, "520489")]
    public void Rfc4226_appendix_d_hotp_values(long counter, string expected) =>
        Assert.Equal(expected, Totp.Hotp(Seed20, counter));

    [Fact]
    public void Six_digit_default_is_the_low_digits_of_the_eight_digit_code()
    {
        var time = DateTimeOffset.FromUnixTimeSeconds(1111111109);
        Assert.Equal("081804", Totp.Compute(Seed20, time));
        Assert.Equal(6, Totp.Compute(Totp.GenerateSecret(), DateTimeOffset.UtcNow).Length);
    }

    [Fact]
    public void Window_accepts_one_step_either_side_and_nothing_further()
    {
        var secret = Totp.GenerateSecret();
        var now = DateTimeOffset.FromUnixTimeSeconds(1_700_000_015); // mid-step
        var step = Totp.TimeStep(now);
        for (var offset = -3; offset <= 3; offset++)
        {
            var code = Totp.Hotp(secret, step + offset);
            var matched = Totp.Verify(secret, code, now);
            // A different step may produce the same 6 digits by chance (1 in 10^6); then it matches that step.
            if (Math.Abs(offset) <= 1)
            {
                Assert.Equal(step + offset, matched);
            }
            else if (matched is not null)
            {
                Assert.Equal(code, Totp.Hotp(secret, matched.Value));
            }
        }

        Assert.Null(Totp.Verify(secret, Totp.Hotp(secret, step + 1), now, window: 0));
        Assert.Equal(step, Totp.Verify(secret, Totp.Hotp(secret, step), now, window: 0));
    }

    [Fact]
    public void Step_boundaries_fall_on_multiples_of_thirty_seconds()
    {
        Assert.Equal(0, Totp.TimeStep(DateTimeOffset.FromUnixTimeSeconds(29)));
        Assert.Equal(1, Totp.TimeStep(DateTimeOffset.FromUnixTimeSeconds(30)));
        var secret = Totp.GenerateSecret();
        var code = Totp.Compute(secret, DateTimeOffset.FromUnixTimeSeconds(59));
        // At 89 s (step 2) step 1 is one back: accepted. At 90 s (step 3) it is two back: rejected.
        Assert.Equal(1, Totp.Verify(secret, code, DateTimeOffset.FromUnixTimeSeconds(89)));
        var late = Totp.Verify(secret, code, DateTimeOffset.FromUnixTimeSeconds(90));
        Assert.True(late is null || Totp.Hotp(secret, late.Value) == code);
        Assert.NotEqual(1, late);
    }

    [Fact]
    public void A_code_at_or_before_the_last_used_step_is_a_replay()
    {
        var secret = Totp.GenerateSecret();
        var now = DateTimeOffset.FromUnixTimeSeconds(1_700_000_000);
        var step = Totp.TimeStep(now);
        var code = Totp.Compute(secret, now);
        var first = Totp.Verify(secret, code, now);
        Assert.Equal(step, first);
        Assert.Null(Totp.Verify(secret, code, now, lastUsedStep: first));
        Assert.Null(Totp.Verify(secret, code, now.AddSeconds(30), lastUsedStep: first));
        Assert.Null(Totp.Verify(secret, Totp.Hotp(secret, step - 1), now, lastUsedStep: first));
        Assert.Equal(step + 1, Totp.Verify(secret, Totp.Hotp(secret, step + 1), now, lastUsedStep: first));
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("12345")]
    [InlineData("1234567")]
    [InlineData("12345a")]
    [InlineData("12 345")]
    [InlineData("-12345")]
    [InlineData("１２３４５６")] // full-width digits are not ASCII digits
    public void Malformed_codes_are_false(string? code) =>
        Assert.Null(Totp.Verify(Seed20, code, DateTimeOffset.FromUnixTimeSeconds(1_700_000_000)));

    [Fact]
    public void Wrong_code_is_false()
    {
        var now = DateTimeOffset.FromUnixTimeSeconds(1_234_567_890);
        var right = Totp.Compute(Seed20, now);
        var wrong = ((int.Parse(right, System.Globalization.CultureInfo.InvariantCulture) + 1) % 1_000_000).ToString("D6", System.Globalization.CultureInfo.InvariantCulture);
        var step = Totp.TimeStep(now);
        Assert.DoesNotContain(wrong, new[] { Totp.Hotp(Seed20, step - 1), Totp.Hotp(Seed20, step), Totp.Hotp(Seed20, step + 1) });
        Assert.Null(Totp.Verify(Seed20, wrong, now));
    }

    [Fact]
    public void Bad_parameters_are_rejected()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => Totp.Compute(Seed20, DateTimeOffset.UtcNow, digits: 5));
        Assert.Throws<ArgumentOutOfRangeException>(() => Totp.Compute(Seed20, DateTimeOffset.UtcNow, digits: 9));
        Assert.Throws<ArgumentException>(() => Totp.Compute([], DateTimeOffset.UtcNow));
        Assert.Throws<ArgumentOutOfRangeException>(() => Totp.Compute(Seed20, DateTimeOffset.FromUnixTimeSeconds(-1)));
        Assert.Throws<ArgumentOutOfRangeException>(() => Totp.Verify(Seed20, "123456", DateTimeOffset.UtcNow, window: -1));
    }

    [Fact]
    public void Generated_secrets_are_twenty_random_bytes()
    {
        var a = Totp.GenerateSecret();
        var b = Totp.GenerateSecret();
        Assert.Equal(20, a.Length);
        Assert.NotEqual(a, b);
    }
}
