using System.Text;
using Appliance.Platform.Security;

namespace Appliance.UnitTests.Security;

/// <summary>The enrolment secret as authenticator apps read it: RFC 4648 base32, written and read by Otp.NET.</summary>
public sealed class Base32Tests
{
    // RFC 4648 section 10 (the lengths whose encoding needs no padding, as a 20-byte secret's does not).
    [Theory]
    [InlineData("fooba", "MZXW6YTB")]
    [InlineData("1234512345", "GEZDGNBVGEZDGNBV")]
    [InlineData("12345678901234567890", "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ")]
    public void Secrets_are_rfc4648_base32_and_round_trip(string plain, string encoded)
    {
        var bytes = Encoding.ASCII.GetBytes(plain);
        Assert.Equal(encoded, Totp.EncodeSecret(bytes));
        Assert.Equal(bytes, Totp.DecodeSecret(encoded));
    }

    [Fact]
    public void A_generated_secret_is_32_characters_without_padding()
    {
        for (var i = 0; i < 50; i++)
        {
            var secret = Totp.GenerateSecret();
            var text = Totp.EncodeSecret(secret);
            Assert.Matches("^[A-Z2-7]{32}$", text);
            Assert.Equal(secret, Totp.DecodeSecret(text));
        }
    }
}
