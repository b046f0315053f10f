using System.Text;
using Appliance.Platform.Security;

namespace Appliance.UnitTests.Security;

public sealed class OtpAuthUriTests
{
    private static readonly byte[] Secret = Encoding.ASCII.GetBytes("12345678901234567890");

    [Fact]
    public void Builds_the_key_uri_with_defaults()
    {
        Assert.Equal(
            "otpauth://totp/ACME:alice%40example.com?secret=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ&issuer=ACME&algorithm=SHA1&digits=6&period=30",
            OtpAuthUri.Build("ACME", "alice@example.com", Secret));
    }

    [Fact]
    public void Spaces_umlauts_and_colons_are_percent_encoded_as_utf8()
    {
        var uri = OtpAuthUri.Build("Müller & Söhne IT", "jörg:admin@müller.de", Secret, OtpAlgorithm.Sha256, 8);
        Assert.Equal(
            "otpauth://totp/M%C3%BCller%20%26%20S%C3%B6hne%20IT:j%C3%B6rg%3Aadmin%40m%C3%BCller.de"
            + "?secret=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ&issuer=M%C3%BCller%20%26%20S%C3%B6hne%20IT&algorithm=SHA256&digits=8&period=30",
            uri);
        // Exactly one literal colon after the scheme: the label separator.
        Assert.Single(uri["otpauth://".Length..].Split('?')[0], c => c == ':');
        Assert.DoesNotContain('+', uri);
        Assert.DoesNotContain(' ', uri);
    }

    [Fact]
    public void Sha512_is_named_in_the_uri() =>
        Assert.Contains("&algorithm=SHA512&", OtpAuthUri.Build("A", "b", Secret, OtpAlgorithm.Sha512), StringComparison.Ordinal);

    [Fact]
    public void Bad_arguments_are_rejected()
    {
        Assert.Throws<ArgumentException>(() => OtpAuthUri.Build("ACME:EU", "alice", Secret));
        Assert.Throws<ArgumentException>(() => OtpAuthUri.Build(" ", "alice", Secret));
        Assert.Throws<ArgumentException>(() => OtpAuthUri.Build("ACME", "", Secret));
        Assert.Throws<ArgumentException>(() => OtpAuthUri.Build("ACME", "alice", []));
        Assert.Throws<ArgumentOutOfRangeException>(() => OtpAuthUri.Build("ACME", "alice", Secret, digits: 4));
    }
}
