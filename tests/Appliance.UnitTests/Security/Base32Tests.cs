using System.Text;
using Appliance.Platform.Security;

namespace Appliance.UnitTests.Security;

public sealed class Base32Tests
{
    // RFC 4648 section 10, written without padding as authenticator secrets are.
    [Theory]
    [InlineData("", "")]
    [InlineData("f", "MY")]
    [InlineData("fo", "MZXQ")]
    [InlineData("foo", "MZXW6")]
    [InlineData("foob", "MZXW6YQ")]
    [InlineData("fooba", "MZXW6YTB")]
    [InlineData("foobar", "MZXW6YTBOI")]
    public void Rfc4648_vectors_round_trip(string plain, string encoded)
    {
        var bytes = Encoding.ASCII.GetBytes(plain);
        Assert.Equal(encoded, Base32.Encode(bytes));
        Assert.Equal(bytes, Base32.Decode(encoded));
    }

    [Theory]
    [InlineData("MY======", "f")]
    [InlineData("MZXW6YQ=", "foob")]
    [InlineData("MZXW6YTBOI======", "foobar")]
    [InlineData("mzxw6ytboi", "foobar")]
    [InlineData("mzxw 6ytb oi", "foobar")]
    [InlineData(" MzXw6 YtBoI ", "foobar")]
    public void Decoding_ignores_case_spaces_and_padding(string encoded, string plain) =>
        Assert.Equal(Encoding.ASCII.GetBytes(plain), Base32.Decode(encoded));

    [Theory]
    [InlineData("MZXW1")] // 1 is not in the alphabet
    [InlineData("MZXW8")]
    [InlineData("MZX-W")]
    [InlineData("M")] // one symbol is not a whole byte
    [InlineData("MZX")]
    [InlineData("MZXW6Y")]
    public void Invalid_text_is_rejected(string encoded)
    {
        Assert.False(Base32.TryDecode(encoded, out _));
        Assert.Throws<FormatException>(() => Base32.Decode(encoded));
    }

    [Fact]
    public void Random_secrets_round_trip()
    {
        for (var length = 0; length < 70; length++)
        {
            var bytes = System.Security.Cryptography.RandomNumberGenerator.GetBytes(length);
            Assert.Equal(bytes, Base32.Decode(Base32.Encode(bytes)));
        }
    }
}
