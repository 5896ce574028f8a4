using System.Security.Cryptography;
using System.Text;
using Puhui.Ledger;
using Puhui.Storage;
using Puhui.Governance;
using Puhui.Storage.Access;
using Puhui.Storage.Governance;

namespace Puhui.Tests.Access;

/// <summary>Bearer tokens, one body run against SQLite and a real PostgreSQL.</summary>
public class AccessTokensTests
{
    public static TheoryData<StoreKind> Stores => TestStores.All;

    private const string AdminToken = "configured-admin-token-0123456789abcdef";

    [Theory, MemberData(nameof(Stores))]
    public async Task An_issued_token_authenticates_as_its_principal_and_only_its_hash_is_stored(StoreKind kind)
    {
        await using var w = await CredentialWorld.CreateAsync(kind);
        var tokens = new AccessTokens(w.Store, w.Clock);
        var person = await tokens.IssueAsync(PrincipalRole.Person, w.Alice, "phone", default);
        var staff = await tokens.IssueAsync(PrincipalRole.OrganisationStaff, w.Metro, "ops desk", default);
        var admin = await tokens.IssueAsync(PrincipalRole.Administrator, null, "bureau", default);

        Assert.StartsWith(AccessTokens.TokenPrefix, person, StringComparison.Ordinal);
        Assert.Equal(4 + 43, person.Length);
        Assert.Equal(new Principal(PrincipalRole.Person, w.Alice, "phone"), await tokens.AuthenticateAsync(person, default));
        Assert.Equal(new Principal(PrincipalRole.OrganisationStaff, w.Metro, "ops desk"), await tokens.AuthenticateAsync(staff, default));
        Assert.Equal(new Principal(PrincipalRole.Administrator, null, "bureau"), await tokens.AuthenticateAsync(admin, default));

        // A second instance (another process) reads the same store without any cache.
        Assert.Equal(PrincipalRole.Person, (await new AccessTokens(w.Store, w.Clock).AuthenticateAsync(person, default))!.Role);
        Assert.Equal(3, await w.CountAsync("access_tokens"));
        Assert.Equal(SHA256.HashData(Encoding.UTF8.GetBytes(person)), await w.ScalarAsync("SELECT token_hash FROM access_tokens WHERE label = 'phone'"));
    }

    [Theory, MemberData(nameof(Stores))]
    public async Task Unknown_and_malformed_tokens_do_not_authenticate(StoreKind kind)
    {
        await using var w = await CredentialWorld.CreateAsync(kind);
        var tokens = new AccessTokens(w.Store, w.Clock);
        var token = await tokens.IssueAsync(PrincipalRole.Person, w.Alice, "", default);
        Assert.Null(await tokens.AuthenticateAsync(token[..^1] + (token[^1] == 'A' ? 'B' : 'A'), default));
        Assert.Null(await tokens.AuthenticateAsync("", default));
        Assert.Null(await tokens.AuthenticateAsync(token + " ", default));
        Assert.Null(await tokens.AuthenticateAsync(new string('a', AccessTokens.TokenLengthMax + 1), default));
        Assert.Null(await tokens.AuthenticateAsync("pht_令牌", default));
    }

    [Theory, MemberData(nameof(Stores))]
    public async Task Revocation_takes_effect_at_once_even_for_a_cached_token(StoreKind kind)
    {
        await using var w = await CredentialWorld.CreateAsync(kind);
        var tokens = new AccessTokens(w.Store, w.Clock);
        var token = await tokens.IssueAsync(PrincipalRole.Person, w.Alice, "phone", default);
        Assert.NotNull(await tokens.AuthenticateAsync(token, default));

        Assert.True(await tokens.RevokeAsync(token, default));
        Assert.Null(await tokens.AuthenticateAsync(token, default));
        Assert.False(await tokens.RevokeAsync(token, default));
        Assert.False(await tokens.RevokeAsync("pht_unknown", default));
    }

    [Theory, MemberData(nameof(Stores))]
    public async Task A_revocation_by_another_instance_reaches_a_cached_token_when_its_cache_entry_ends(StoreKind kind)
    {
        await using var w = await CredentialWorld.CreateAsync(kind);
        var tokens = new AccessTokens(w.Store, w.Clock);
        var token = await tokens.IssueAsync(PrincipalRole.Person, w.Alice, "phone", default);
        Assert.NotNull(await tokens.AuthenticateAsync(token, default));

        Assert.True(await new AccessTokens(w.Store, w.Clock).RevokeAsync(token, default));
        Assert.NotNull(await tokens.AuthenticateAsync(token, default));
        w.Clock.Advance(AccessTokens.CacheLifetime);
        Assert.Null(await tokens.AuthenticateAsync(token, default));
    }

    [Theory, MemberData(nameof(Stores))]
    public async Task A_token_is_refused_for_an_account_that_does_not_fit_its_role(StoreKind kind)
    {
        await using var w = await CredentialWorld.CreateAsync(kind);
        var tokens = new AccessTokens(w.Store, w.Clock);
        await Assert.ThrowsAsync<ArgumentException>(() => tokens.IssueAsync(PrincipalRole.Person, w.Metro, "", default));
        await Assert.ThrowsAsync<ArgumentException>(() => tokens.IssueAsync(PrincipalRole.Person, null, "", default));
        await Assert.ThrowsAsync<ArgumentException>(() => tokens.IssueAsync(PrincipalRole.OrganisationStaff, w.Alice, "", default));
        await Assert.ThrowsAsync<ArgumentException>(() => tokens.IssueAsync(PrincipalRole.OrganisationStaff, new AccountId(999_999), "", default));
        await Assert.ThrowsAsync<ArgumentException>(() => tokens.IssueAsync(PrincipalRole.Administrator, w.Metro, "", default));
        await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => tokens.IssueAsync((PrincipalRole)9, w.Alice, "", default));
        await Assert.ThrowsAsync<ArgumentException>(() => tokens.IssueAsync(PrincipalRole.Person, w.Alice, new string('x', AccessTokens.LabelLengthMax + 1), default));
        Assert.Equal(0, await w.CountAsync("access_tokens"));
    }

    [Theory, MemberData(nameof(Stores))]
    public async Task Expert_and_platform_operator_tokens_act_for_no_account_and_an_experts_names_the_expert(StoreKind kind)
    {
        await using var w = await CredentialWorld.CreateAsync(kind);
        var tokens = new AccessTokens(w.Store, w.Clock);
        var expert = (await new ExpertStore(w.Store, w.Clock).AddAsync(new NewExpert("王工", "深圳地铁", null, ["transport"], ""), "admin:test")).Expert!.Id;
        var expertToken = await tokens.IssueAsync(PrincipalRole.Expert, null, expert, "王工", default);
        var operatorToken = await tokens.IssueAsync(PrincipalRole.PlatformOperator, null, "受理窗口 / intake desk", default);
        var staff = await tokens.IssueAsync(PrincipalRole.OrganisationStaff, w.Metro, "ops desk", default);

        Assert.Equal(new Principal(PrincipalRole.Expert, null, "王工", expert), await tokens.AuthenticateAsync(expertToken, default));
        Assert.Equal(new Principal(PrincipalRole.PlatformOperator, null, "受理窗口 / intake desk"), await tokens.AuthenticateAsync(operatorToken, default));
        Assert.Equal(expert, (await new AccessTokens(w.Store, w.Clock).AuthenticateAsync(expertToken, default))!.ExpertId);
        Assert.Null((await tokens.AuthenticateAsync(staff, default))!.ExpertId);
        Assert.Equal((long)PrincipalRole.PlatformOperator, await w.ScalarAsync("SELECT role FROM access_tokens WHERE label = '受理窗口 / intake desk'"));
    }

    [Theory, MemberData(nameof(Stores))]
    public async Task An_expert_token_needs_an_existing_expert_and_no_other_role_names_one(StoreKind kind)
    {
        await using var w = await CredentialWorld.CreateAsync(kind);
        var tokens = new AccessTokens(w.Store, w.Clock);
        var expert = (await new ExpertStore(w.Store, w.Clock).AddAsync(new NewExpert("王工", "深圳地铁", null, ["transport"], ""), "admin:test")).Expert!.Id;
        await Assert.ThrowsAsync<ArgumentException>(() => tokens.IssueAsync(PrincipalRole.Expert, null, "", default));
        await Assert.ThrowsAsync<ArgumentException>(() => tokens.IssueAsync(PrincipalRole.Expert, null, expert + 1, "", default));
        await Assert.ThrowsAsync<ArgumentException>(() => tokens.IssueAsync(PrincipalRole.Expert, w.Metro, expert, "", default));
        await Assert.ThrowsAsync<ArgumentException>(() => tokens.IssueAsync(PrincipalRole.PlatformOperator, w.Metro, "", default));
        await Assert.ThrowsAsync<ArgumentException>(() => tokens.IssueAsync(PrincipalRole.PlatformOperator, null, expert, "", default));
        await Assert.ThrowsAsync<ArgumentException>(() => tokens.IssueAsync(PrincipalRole.Person, w.Alice, expert, "", default));
        await Assert.ThrowsAsync<ArgumentException>(() => tokens.IssueAsync(PrincipalRole.Administrator, null, expert, "", default));
        Assert.Equal(0, await w.CountAsync("access_tokens"));
    }

    [Theory, MemberData(nameof(Stores))]
    public async Task The_configured_administrator_token_is_registered_once(StoreKind kind)
    {
        await using var w = await CredentialWorld.CreateAsync(kind);
        var tokens = new AccessTokens(w.Store, w.Clock);
        Assert.Equal(AdminToken, await tokens.EnsureAdministratorTokenAsync(AdminToken, default));
        Assert.Equal(AdminToken, await new AccessTokens(w.Store, w.Clock).EnsureAdministratorTokenAsync(AdminToken, default));
        Assert.Equal(1, await w.CountAsync("access_tokens"));
        var principal = await tokens.AuthenticateAsync(AdminToken, default);
        Assert.Equal(PrincipalRole.Administrator, principal!.Role);
        Assert.Null(principal.Account);
    }

    [Theory, MemberData(nameof(Stores))]
    public async Task A_revoked_or_weak_administrator_token_is_not_registered(StoreKind kind)
    {
        await using var w = await CredentialWorld.CreateAsync(kind);
        var tokens = new AccessTokens(w.Store, w.Clock);
        await Assert.ThrowsAsync<ArgumentException>(() => tokens.EnsureAdministratorTokenAsync(new string('a', AccessTokens.AdministratorTokenLengthMin - 1), default));
        await Assert.ThrowsAsync<ArgumentException>(() => tokens.EnsureAdministratorTokenAsync(AdminToken + " with spaces", default));
        await tokens.EnsureAdministratorTokenAsync(new string('a', AccessTokens.AdministratorTokenLengthMin), default);

        await tokens.EnsureAdministratorTokenAsync(AdminToken, default);
        Assert.True(await tokens.RevokeAsync(AdminToken, default));
        var e = await Assert.ThrowsAsync<InvalidOperationException>(() => tokens.EnsureAdministratorTokenAsync(AdminToken, default));
        Assert.Contains("revoked", e.Message, StringComparison.Ordinal);
        Assert.Null(await tokens.AuthenticateAsync(AdminToken, default));
    }
}
