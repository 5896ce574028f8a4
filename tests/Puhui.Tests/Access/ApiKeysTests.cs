using System.Security.Cryptography;
using System.Text;
using Puhui.Ledger;
using Puhui.Storage;
using Puhui.Storage.Access;

namespace Puhui.Tests.Access;

/// <summary>Operators' API keys and nonces, one body run against SQLite and a real PostgreSQL.</summary>
public class ApiKeysTests
{
    public static TheoryData<StoreKind> Stores => TestStores.All;

    private static ApiKeys Keys(CredentialWorld w) => new(w.Store, CredentialWorld.TestKey, w.Clock);

    [Theory, MemberData(nameof(Stores))]
    public async Task An_issued_key_resolves_to_its_operator_and_secret_which_is_stored_only_sealed_and_hashed(StoreKind kind)
    {
        await using var w = await CredentialWorld.CreateAsync(kind);
        var keys = Keys(w);
        var issued = await keys.IssueAsync(w.Metro, "gateway", default);

        Assert.StartsWith(ApiKeys.KeyIdPrefix, issued.KeyId, StringComparison.Ordinal);
        Assert.Equal(3 + 22, issued.KeyId.Length);
        Assert.StartsWith(ApiKeys.SecretPrefix, issued.Secret, StringComparison.Ordinal);
        Assert.Equal(3 + 43, issued.Secret.Length);
        Assert.Equal(new ApiKeyInfo(issued.KeyId, w.Metro, "gateway", w.Clock.GetUtcNow(), null, null, null), issued.Info);
        Assert.DoesNotContain(issued.Secret, issued.ToString(), StringComparison.Ordinal);

        var resolved = await new ApiKeys(w.Store, CredentialWorld.TestKey, w.Clock).ResolveAsync(issued.KeyId, default);
        Assert.Equal(new VerifiedKey(issued.KeyId, w.Metro, issued.Secret, OrganisationRoles.Operator), resolved);
        Assert.DoesNotContain(issued.Secret, resolved!.ToString(), StringComparison.Ordinal);

        var secretBytes = Encoding.UTF8.GetBytes(issued.Secret);
        Assert.Equal(SHA256.HashData(secretBytes), await w.ScalarAsync("SELECT secret_hash FROM api_keys"));
        var sealedSecret = (byte[])(await w.ScalarAsync("SELECT sealed FROM api_keys"))!;
        Assert.Equal(-1, sealedSecret.AsSpan().IndexOf(secretBytes));
        Assert.Equal(secretBytes, CredentialWorld.TestKey.Open(sealedSecret, Encoding.UTF8.GetBytes(issued.KeyId)));

        Assert.Null(await keys.ResolveAsync("pk_unknown", default));
        Assert.Null(await keys.ResolveAsync("", default));
    }

    [Theory, MemberData(nameof(Stores))]
    public async Task Keys_are_issued_only_to_organisations_with_the_operator_or_the_provider_role_and_resolve_with_its_roles(StoreKind kind)
    {
        await using var w = await CredentialWorld.CreateAsync(kind);
        var keys = Keys(w);
        var developer = (await w.Store.OpenAccountAsync(new NewAccount(AccountKind.Organisation, "o:dev", "Developer", OrganisationRoles.ProjectDeveloper))).Id;
        await Assert.ThrowsAsync<ArgumentException>(() => keys.IssueAsync(developer, "", default));
        await Assert.ThrowsAsync<ArgumentException>(() => keys.IssueAsync(w.Alice, "", default));
        await Assert.ThrowsAsync<ArgumentException>(() => keys.IssueAsync(w.Metro, new string('x', ApiKeys.LabelLengthMax + 1), default));
        var both = await keys.IssueAsync(w.BikeShare, new string('x', ApiKeys.LabelLengthMax), default);
        var shop = await keys.IssueAsync(w.Provider, "counter", default);
        Assert.Equal(2, await w.CountAsync("api_keys"));

        Assert.Equal(OrganisationRoles.Operator | OrganisationRoles.Provider, (await keys.ResolveAsync(both.KeyId, default))!.Roles);
        Assert.Equal(OrganisationRoles.Provider, (await keys.ResolveAsync(shop.KeyId, default))!.Roles);
    }

    [Theory, MemberData(nameof(Stores))]
    public async Task A_secret_whose_stored_hash_does_not_match_resolves_as_unknown(StoreKind kind)
    {
        await using var w = await CredentialWorld.CreateAsync(kind);
        var issued = await Keys(w).IssueAsync(w.Metro, "", default);
        await w.ScalarAsync($"UPDATE api_keys SET secret_hash = sealed WHERE key_id = '{issued.KeyId}'");
        Assert.Null(await Keys(w).ResolveAsync(issued.KeyId, default));
    }

    [Theory, MemberData(nameof(Stores))]
    public async Task A_sealed_secret_moved_to_another_key_or_opened_with_another_master_key_does_not_resolve(StoreKind kind)
    {
        await using var w = await CredentialWorld.CreateAsync(kind);
        var keys = Keys(w);
        var first = await keys.IssueAsync(w.Metro, "", default);
        var second = await keys.IssueAsync(w.Metro, "", default);

        var wrongMaster = new ApiKeys(w.Store, MasterKey.FromBytes(new byte[MasterKey.KeyBytes]), w.Clock);
        var e = await Assert.ThrowsAsync<InvalidOperationException>(() => wrongMaster.ResolveAsync(first.KeyId, default));
        Assert.Contains("master key", e.Message, StringComparison.Ordinal);

        await w.ScalarAsync($"UPDATE api_keys SET sealed = (SELECT sealed FROM api_keys WHERE key_id = '{second.KeyId}'), "
            + $"secret_hash = (SELECT secret_hash FROM api_keys WHERE key_id = '{second.KeyId}') WHERE key_id = '{first.KeyId}'");
        await Assert.ThrowsAsync<InvalidOperationException>(() => Keys(w).ResolveAsync(first.KeyId, default));
        Assert.Equal(second.Secret, (await Keys(w).ResolveAsync(second.KeyId, default))!.Secret);
    }

    [Theory, MemberData(nameof(Stores))]
    public async Task A_rotated_key_works_until_the_overlap_ends_and_its_replacement_after(StoreKind kind)
    {
        await using var w = await CredentialWorld.CreateAsync(kind);
        var keys = Keys(w);
        var old = await keys.IssueAsync(w.Metro, "gateway", default);
        Assert.NotNull(await keys.ResolveAsync(old.KeyId, default));
        w.Clock.Advance(TimeSpan.FromMinutes(1));

        var overlap = TimeSpan.FromHours(1);
        var replacement = await keys.RotateAsync(w.Metro, old.KeyId, overlap, default);
        Assert.NotNull(replacement);
        Assert.Equal("gateway", replacement.Info.Label);
        Assert.NotEqual(old.Secret, replacement.Secret);
        var rotatedAt = w.Clock.GetUtcNow();

        var list = await keys.ListAsync(w.Metro, default);
        Assert.Equal([replacement.KeyId, old.KeyId], list.Select(k => k.KeyId));
        Assert.Equal(rotatedAt + overlap, list[1].ExpiresAt);
        Assert.Equal(replacement.KeyId, list[1].ReplacedBy);
        Assert.True(list[1].IsActiveAt(rotatedAt + overlap - TimeSpan.FromTicks(10)));
        Assert.False(list[1].IsActiveAt(rotatedAt + overlap));

        w.Clock.Advance(overlap - TimeSpan.FromSeconds(1));
        Assert.NotNull(await keys.ResolveAsync(old.KeyId, default));
        Assert.NotNull(await keys.ResolveAsync(replacement.KeyId, default));
        w.Clock.Advance(TimeSpan.FromSeconds(1));
        Assert.Null(await keys.ResolveAsync(old.KeyId, default));
        Assert.Null(await new ApiKeys(w.Store, CredentialWorld.TestKey, w.Clock).ResolveAsync(old.KeyId, default));
        Assert.Equal(replacement.Secret, (await keys.ResolveAsync(replacement.KeyId, default))!.Secret);
    }

    [Theory, MemberData(nameof(Stores))]
    public async Task A_rotation_without_overlap_ends_the_old_key_at_once_and_a_key_rotates_only_once(StoreKind kind)
    {
        await using var w = await CredentialWorld.CreateAsync(kind);
        var keys = Keys(w);
        var old = await keys.IssueAsync(w.Metro, "", default);
        Assert.NotNull(await keys.ResolveAsync(old.KeyId, default));
        var replacement = await keys.RotateAsync(w.Metro, old.KeyId, TimeSpan.Zero, default);
        Assert.Null(await keys.ResolveAsync(old.KeyId, default));
        Assert.Null(await keys.RotateAsync(w.Metro, old.KeyId, TimeSpan.Zero, default));
        Assert.NotNull(await keys.RotateAsync(w.Metro, replacement!.KeyId, TimeSpan.Zero, default));
        Assert.Equal(3, (await keys.ListAsync(w.Metro, default)).Count);
    }

    [Theory, MemberData(nameof(Stores))]
    public async Task The_rotation_overlap_is_at_most_seven_days(StoreKind kind)
    {
        await using var w = await CredentialWorld.CreateAsync(kind);
        var keys = Keys(w);
        var key = await keys.IssueAsync(w.Metro, "", default);
        await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => keys.RotateAsync(w.Metro, key.KeyId, ApiKeys.RotationOverlapMax + TimeSpan.FromTicks(10), default));
        await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => keys.RotateAsync(w.Metro, key.KeyId, TimeSpan.FromTicks(-10), default));
        var replacement = await keys.RotateAsync(w.Metro, key.KeyId, ApiKeys.RotationOverlapMax, default);
        Assert.Equal(w.Clock.GetUtcNow() + TimeSpan.FromDays(7), (await keys.ListAsync(w.Metro, default)).Single(k => k.KeyId == key.KeyId).ExpiresAt);
        Assert.NotNull(replacement);
    }

    [Theory, MemberData(nameof(Stores))]
    public async Task Revocation_takes_effect_at_once_even_for_a_cached_key(StoreKind kind)
    {
        await using var w = await CredentialWorld.CreateAsync(kind);
        var keys = Keys(w);
        var key = await keys.IssueAsync(w.Metro, "", default);
        Assert.NotNull(await keys.ResolveAsync(key.KeyId, default));

        Assert.True(await keys.RevokeAsync(w.Metro, key.KeyId, default));
        Assert.Null(await keys.ResolveAsync(key.KeyId, default));
        Assert.False(await keys.RevokeAsync(w.Metro, key.KeyId, default));
        Assert.Null(await keys.RotateAsync(w.Metro, key.KeyId, TimeSpan.Zero, default));
        var info = Assert.Single(await keys.ListAsync(w.Metro, default));
        Assert.Equal(w.Clock.GetUtcNow(), info.RevokedAt);
        Assert.False(info.IsActiveAt(w.Clock.GetUtcNow()));
    }

    [Theory, MemberData(nameof(Stores))]
    public async Task A_revocation_by_another_instance_reaches_a_cached_key_within_five_seconds(StoreKind kind)
    {
        await using var w = await CredentialWorld.CreateAsync(kind);
        var keys = Keys(w);
        var key = await keys.IssueAsync(w.Metro, "", default);
        Assert.NotNull(await keys.ResolveAsync(key.KeyId, default));
        Assert.True(await Keys(w).RevokeAsync(w.Metro, key.KeyId, default));
        Assert.NotNull(await keys.ResolveAsync(key.KeyId, default));
        w.Clock.Advance(ApiKeys.ResolveCacheLifetime);
        Assert.Null(await keys.ResolveAsync(key.KeyId, default));
    }

    [Theory, MemberData(nameof(Stores))]
    public async Task Another_operator_can_neither_rotate_nor_revoke_nor_list_a_key(StoreKind kind)
    {
        await using var w = await CredentialWorld.CreateAsync(kind);
        var keys = Keys(w);
        var key = await keys.IssueAsync(w.Metro, "", default);
        Assert.Null(await keys.RotateAsync(w.BikeShare, key.KeyId, TimeSpan.FromHours(1), default));
        Assert.False(await keys.RevokeAsync(w.BikeShare, key.KeyId, default));
        Assert.Empty(await keys.ListAsync(w.BikeShare, default));
        var info = Assert.Single(await keys.ListAsync(w.Metro, default));
        Assert.True(info.IsActiveAt(w.Clock.GetUtcNow()));
        Assert.Null(info.ReplacedBy);
        Assert.NotNull(await keys.ResolveAsync(key.KeyId, default));
    }

    [Theory, MemberData(nameof(Stores))]
    public async Task A_nonce_is_used_once_per_key(StoreKind kind)
    {
        await using var w = await CredentialWorld.CreateAsync(kind);
        var keys = Keys(w);
        var key = await keys.IssueAsync(w.Metro, "", default);
        var other = await keys.IssueAsync(w.Metro, "", default);
        var until = w.Clock.GetUtcNow().AddMinutes(5);
        Assert.True(await keys.TryUseNonceAsync(key.KeyId, "nonce-0000000001", until, default));
        Assert.False(await keys.TryUseNonceAsync(key.KeyId, "nonce-0000000001", until, default));
        Assert.False(await Keys(w).TryUseNonceAsync(key.KeyId, "nonce-0000000001", until.AddMinutes(5), default));
        Assert.True(await keys.TryUseNonceAsync(key.KeyId, "nonce-0000000002", until, default));
        Assert.True(await keys.TryUseNonceAsync(other.KeyId, "nonce-0000000001", until, default));
        await Assert.ThrowsAsync<ArgumentException>(() => keys.TryUseNonceAsync(key.KeyId, "", until, default));
        await Assert.ThrowsAsync<ArgumentException>(() => keys.TryUseNonceAsync(key.KeyId, new string('n', ApiKeys.NonceLengthMax + 1), until, default));
    }

    [Theory, MemberData(nameof(Stores))]
    public async Task Expired_nonces_are_pruned_and_may_then_be_used_again(StoreKind kind)
    {
        await using var w = await CredentialWorld.CreateAsync(kind);
        var keys = Keys(w);
        var key = await keys.IssueAsync(w.Metro, "", default);
        var until = w.Clock.GetUtcNow().AddSeconds(30);
        for (var i = 0; i < 5; i++) Assert.True(await keys.TryUseNonceAsync(key.KeyId, "early-" + i, until, default));
        Assert.Equal(5, await w.CountAsync("api_nonces"));

        // Past their expiry, but before the next pruning is due (a minute after the last): still stored, yet no longer a replay.
        w.Clock.Advance(TimeSpan.FromSeconds(30));
        Assert.True(await keys.TryUseNonceAsync(key.KeyId, "early-0", w.Clock.GetUtcNow().AddSeconds(10), default));
        Assert.Equal(5, await w.CountAsync("api_nonces"));

        w.Clock.Advance(ApiKeys.NoncePruneInterval);
        Assert.True(await keys.TryUseNonceAsync(key.KeyId, "late", w.Clock.GetUtcNow().AddMinutes(5), default));
        Assert.Equal(["late"], await NoncesAsync(w));
        Assert.False(await keys.TryUseNonceAsync(key.KeyId, "late", w.Clock.GetUtcNow().AddMinutes(5), default));
    }

    [Theory, MemberData(nameof(Stores))]
    public async Task Expired_nonces_are_pruned_after_a_thousand_uses_within_a_minute(StoreKind kind)
    {
        await using var w = await CredentialWorld.CreateAsync(kind);
        var keys = Keys(w);
        var key = await keys.IssueAsync(w.Metro, "", default);
        Assert.True(await keys.TryUseNonceAsync(key.KeyId, "first", w.Clock.GetUtcNow().AddSeconds(1), default));
        w.Clock.Advance(TimeSpan.FromSeconds(2));
        for (var i = 1; i < ApiKeys.NoncePruneEvery; i++)
            Assert.True(await keys.TryUseNonceAsync(key.KeyId, "n" + i, w.Clock.GetUtcNow().AddMinutes(5), default));
        Assert.Contains("first", await NoncesAsync(w));
        Assert.True(await keys.TryUseNonceAsync(key.KeyId, "last", w.Clock.GetUtcNow().AddMinutes(5), default));
        Assert.DoesNotContain("first", await NoncesAsync(w));
        Assert.Equal(ApiKeys.NoncePruneEvery, await w.CountAsync("api_nonces"));
    }

    private static async Task<List<string>> NoncesAsync(CredentialWorld w)
    {
        await using var connection = await w.Store.Dialect.OpenAsync(default);
        await using var cmd = Sql.Command(connection, null, "SELECT nonce FROM api_nonces ORDER BY nonce");
        await using var r = await cmd.ExecuteReaderAsync();
        var list = new List<string>();
        while (await r.ReadAsync()) list.Add(r.GetString(0));
        return list;
    }
}
