using System.Text.RegularExpressions;
using Appliance.Platform.Security;

namespace Appliance.UnitTests.Security;

public sealed class RecoveryCodesTests
{
    [Fact]
    public void Ten_distinct_codes_in_the_unambiguous_format()
    {
        var codes = RecoveryCodes.Generate();
        Assert.Equal(10, codes.Count);
        Assert.Equal(10, codes.Distinct().Count());
        foreach (var code in codes)
        {
            Assert.Matches(new Regex("^[0-9a-hjkmnp-tv-z]{4}-[0-9a-hjkmnp-tv-z]{4}-[0-9a-hjkmnp-tv-z]{4}$"), code);
        }
    }

    [Fact]
    public void Every_alphabet_symbol_occurs_and_nothing_else()
    {
        // 1000 codes × 12 symbols: each of the 32 symbols is expected ~375 times.
        var counts = RecoveryCodes.Generate(1000).SelectMany(c => c.Replace("-", "", StringComparison.Ordinal))
            .GroupBy(c => c).ToDictionary(g => g.Key, g => g.Count());
        Assert.Equal(32, counts.Count);
        Assert.All(counts.Values, n => Assert.InRange(n, 250, 500));
        Assert.DoesNotContain('i', counts.Keys);
        Assert.DoesNotContain('l', counts.Keys);
        Assert.DoesNotContain('o', counts.Keys);
        Assert.DoesNotContain('u', counts.Keys);
    }

    [Theory]
    [InlineData("abcd-efgh-jkmn", "abcdefghjkmn")]
    [InlineData("ABCD EFGH JKMN", "abcdefghjkmn")]
    [InlineData(" abcdefghjkmn ", "abcdefghjkmn")]
    [InlineData("a-b-c-d-e-f-g-h-j-k-m-n", "abcdefghjkmn")]
    [InlineData("O0Il-1234-5678", "0011123456 78")]
    public void Normalisation_ignores_case_spaces_and_dashes(string typed, string expected) =>
        Assert.Equal(expected.Replace(" ", "", StringComparison.Ordinal), RecoveryCodes.Normalise(typed));

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("abcd-efgh-jkm")]
    [InlineData("abcd-efgh-jkmnp")]
    [InlineData("abcd-efgh-jkmu")]
    [InlineData("abcd_efgh_jkmn")]
    [InlineData("äbcd-efgh-jkmn")]
    public void Malformed_codes_do_not_normalise(string? typed) => Assert.Null(RecoveryCodes.Normalise(typed));

    [Fact]
    public void A_stored_code_matches_once_typed_loosely_and_only_with_its_salt()
    {
        var codes = RecoveryCodes.Generate();
        var salt = RecoveryCodes.GenerateSalt();
        var hashes = codes.Select(c => RecoveryCodes.Hash(c, salt)).ToList();
        Assert.All(hashes, h => Assert.Equal(32, h.Length));

        Assert.Equal(3, RecoveryCodes.FindMatch(codes[3], salt, hashes));
        Assert.Equal(7, RecoveryCodes.FindMatch(codes[7].ToUpperInvariant().Replace("-", " ", StringComparison.Ordinal), salt, hashes));
        Assert.Equal(-1, RecoveryCodes.FindMatch(codes[3], RecoveryCodes.GenerateSalt(), hashes));
        Assert.Equal(-1, RecoveryCodes.FindMatch(RecoveryCodes.Generate(1)[0], salt, hashes));
        Assert.Equal(-1, RecoveryCodes.FindMatch("not a code", salt, hashes));
        Assert.Equal(-1, RecoveryCodes.FindMatch(null, salt, hashes));

        // One-time use is the caller removing the matched hash.
        hashes.RemoveAt(3);
        Assert.Equal(-1, RecoveryCodes.FindMatch(codes[3], salt, hashes));
    }

    [Fact]
    public void Hash_is_deterministic_per_salt_and_rejects_bad_input()
    {
        var salt = RecoveryCodes.GenerateSalt();
        Assert.Equal(RecoveryCodes.Hash("abcd-efgh-jkmn", salt), RecoveryCodes.Hash("ABCDEFGHJKMN", salt));
        Assert.NotEqual(RecoveryCodes.Hash("abcd-efgh-jkmn", salt), RecoveryCodes.Hash("abcd-efgh-jkmp", salt));
        Assert.Throws<FormatException>(() => RecoveryCodes.Hash("short", salt));
        Assert.Throws<ArgumentException>(() => RecoveryCodes.Hash("abcd-efgh-jkmn", new byte[8]));
    }
}
