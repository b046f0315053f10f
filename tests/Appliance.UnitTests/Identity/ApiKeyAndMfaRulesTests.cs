using System.Security.Cryptography;
using System.Text.RegularExpressions;
using Appliance.Api.Identity;
using Appliance.Domain.Audit;
using Appliance.Domain.Common;
using Appliance.Domain.Identity;

namespace Appliance.UnitTests.Identity;

public sealed class ApiKeyRulesTests
{
    private static readonly DateTimeOffset Now = new(2026, 11, 22, 12, 0, 0, TimeSpan.Zero);
    private static readonly IReadOnlySet<string> Admin = Roles.PermissionsOf(Roles.SystemAdmin).ToHashSet();

    [Fact]
    public void Generated_keys_have_the_documented_format_and_their_hash()
    {
        var key = ApiKeyRules.Generate();
        Assert.Matches(new Regex("^psa_[A-Za-z0-9]{8}_[A-Za-z0-9]{40}$"), key.Key);
        Assert.True(ApiKeyRules.TryParse(key.Key, out var prefix, out var secret));
        Assert.Equal(key.Prefix, prefix);
        Assert.Equal(SHA256.HashData(System.Text.Encoding.ASCII.GetBytes(secret)), key.SecretHash);
        Assert.True(ApiKeyRules.SecretMatches(secret, key.SecretHash));
        Assert.False(ApiKeyRules.SecretMatches(secret[..^1] + (secret[^1] == 'a' ? 'b' : 'a'), key.SecretHash));
    }

    [Fact]
    public void Generated_keys_are_distinct()
    {
        var keys = Enumerable.Range(0, 200).Select(_ => ApiKeyRules.Generate()).ToList();
        Assert.Equal(200, keys.Select(k => k.Prefix).Distinct().Count());
        Assert.Equal(200, keys.Select(k => k.Key).Distinct().Count());
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("eyJhbGciOiJSUzI1NiJ9.x.y")]
    [InlineData("psa_")]
    [InlineData("psa_abcdefgh")]
    [InlineData("psa_abcdefgh_")]
    [InlineData("psa_abcdefgh_0123456789012345678901234567890")] // 31 characters of secret
    [InlineData("psa_abcdefg_01234567890123456789012345678901")] // 7-character prefix
    [InlineData("psa_abcdefgh-01234567890123456789012345678901")]
    [InlineData("psa_abcd-fgh_01234567890123456789012345678901")]
    [InlineData("psa_abcdefgh_0123456789012345678901234567890!")]
    [InlineData("PSA_abcdefgh_01234567890123456789012345678901")]
    public void Malformed_keys_do_not_parse(string? presented) =>
        Assert.False(ApiKeyRules.TryParse(presented, out _, out _));

    [Fact]
    public void Secrets_of_32_to_128_characters_parse()
    {
        Assert.True(ApiKeyRules.TryParse("psa_abcdefgh_" + new string('x', 32), out _, out var shortest));
        Assert.Equal(32, shortest.Length);
        Assert.True(ApiKeyRules.TryParse("psa_abcdefgh_" + new string('x', 128), out _, out _));
        Assert.False(ApiKeyRules.TryParse("psa_abcdefgh_" + new string('x', 129), out _, out _));
    }

    [Fact]
    public void A_valid_request_is_trimmed_deduplicated_and_sorted()
    {
        var key = ApiKeyRules.ValidateNew("  CI export  ", ["ticket:view:all", "customer:view", "ticket:view:all"], Now.AddDays(30), Admin, Now);
        Assert.Equal("CI export", key.Name);
        Assert.Equal(["customer:view", "ticket:view:all"], key.Permissions);
        Assert.Equal(Now.AddDays(30), key.ExpiresAt);
    }

    public static TheoryData<string?, string[]?, int?, string> Invalid() => new()
    {
        { null, ["customer:view"], null, "name" },
        { "   ", ["customer:view"], null, "name" },
        { new string('n', 101), ["customer:view"], null, "name" },
        { "k", null, null, "permissions" },
        { "k", [], null, "permissions" },
        { "k", ["customer:view", "root:everything"], null, "permissions" },
        { "k", ["ticket:view:own"], null, "permissions" },
        { "k", ["customer:view"], 0, "expires_at" },
        { "k", ["customer:view"], -60, "expires_at" },
    };

    [Theory]
    [MemberData(nameof(Invalid))]
    public void Invalid_requests_name_the_field(string? name, string[]? permissions, int? expiresInMinutes, string field)
    {
        var ex = Assert.Throws<DomainValidationException>(() =>
            ApiKeyRules.ValidateNew(name, permissions, expiresInMinutes is { } m ? Now.AddMinutes(m) : null, Admin, Now));
        Assert.Equal(field, Assert.Single(ex.Errors).Field);
    }

    [Fact]
    public void A_key_gets_only_permissions_its_creator_holds()
    {
        var manager = Roles.PermissionsOf(Roles.ServiceManager).ToHashSet();
        var ex = Assert.Throws<DomainValidationException>(() => ApiKeyRules.ValidateNew("k", ["ticket:view:all", "billing:approve", "user:manage"], null, manager, Now));
        var error = Assert.Single(ex.Errors);
        Assert.Equal("permissions", error.Field);
        Assert.Contains("billing:approve, user:manage", error.Message, StringComparison.Ordinal);
        Assert.Equal(["ticket:view:all"], ApiKeyRules.ValidateNew("k", ["ticket:view:all"], null, manager, Now).Permissions);
    }

    [Fact]
    public void Effective_permissions_are_the_keys_as_far_as_the_creators_role_grants_them()
    {
        string[] key = ["customer:view", "user:manage", "billing:approve"];
        Assert.Equal(key.ToHashSet(), ApiKeyRules.EffectivePermissions(key, Roles.SystemAdmin));
        Assert.Equal(new HashSet<string> { "customer:view" }, ApiKeyRules.EffectivePermissions(key, Roles.ServiceManager));
        Assert.Equal(new HashSet<string> { "customer:view", "billing:approve" }, ApiKeyRules.EffectivePermissions(key, Roles.Billing));
        Assert.Empty(ApiKeyRules.EffectivePermissions(key, "gone"));
    }

    [Fact]
    public void Several_problems_are_reported_together()
    {
        var ex = Assert.Throws<DomainValidationException>(() => ApiKeyRules.ValidateNew("", ["nope"], Now, Admin, Now));
        Assert.Equal(["name", "permissions", "expires_at"], ex.Errors.Select(e => e.Field));
    }
}

public sealed class MfaRulesTests
{
    [Theory]
    [InlineData(false, false, false)]
    [InlineData(false, true, false)]
    [InlineData(true, true, false)]
    [InlineData(true, false, true)]
    public void Setup_is_required_only_when_the_role_requires_mfa_and_the_user_has_none(bool roleRequires, bool userHas, bool expected) =>
        Assert.Equal(expected, RolePolicyRules.MfaSetupRequired(roleRequires, userHas));

    [Fact]
    public void Policy_changes_must_name_known_roles()
    {
        Assert.Equal("roles", Assert.Single(RolePolicyRules.Validate(null)).Field);
        Assert.Equal("roles", Assert.Single(RolePolicyRules.Validate(new Dictionary<string, bool>())).Field);
        Assert.Empty(RolePolicyRules.Validate(new Dictionary<string, bool> { ["system_admin"] = true, ["billing"] = false }));
        Assert.Equal(["roles.root", "roles.System_Admin"], RolePolicyRules.Validate(new Dictionary<string, bool> { ["root"] = true, ["billing"] = true, ["System_Admin"] = true }).Select(e => e.Field));
    }

    [Theory]
    [InlineData(null, "PSA Appliance")]
    [InlineData("", "PSA Appliance")]
    [InlineData("   ", "PSA Appliance")]
    [InlineData("Demo MSP GmbH", "Demo MSP GmbH")]
    [InlineData("IT: Müller", "IT  Müller")]
    [InlineData(":", "PSA Appliance")]
    public void The_issuer_is_the_organisation_without_colons_or_the_product(string? organization, string expected) =>
        Assert.Equal(expected, MfaApi.Issuer(organization));

    [Fact]
    public void Only_system_admins_manage_api_keys() =>
        Assert.Equal([Roles.SystemAdmin], Roles.All.Where(r => Roles.Has(r, Permissions.ApiKeyManage)));

    [Fact]
    public void Audit_values_are_json_objects_of_the_given_fields()
    {
        var json = new AuditValues().Add("method", "password+totp").Add("ok", true).Add("left", 9).Add("at", (DateTimeOffset?)null)
            .Add("when", new DateTimeOffset(2026, 1, 2, 3, 4, 5, TimeSpan.Zero)).Add("list", ["a", "b\""]).ToString();
        Assert.Equal("{\"method\":\"password\\u002Btotp\",\"ok\":true,\"left\":9,\"at\":null,\"when\":\"2026-01-02T03:04:05+00:00\",\"list\":[\"a\",\"b\\u0022\"]}", json);
    }
}
