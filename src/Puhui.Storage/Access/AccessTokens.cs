using System.Buffers.Text;
using System.Security.Cryptography;
using System.Text;
using Puhui.Ledger;
using Puhui.Storage.Ledger;

namespace Puhui.Storage.Access;

/// <summary>The role a bearer token acts in (DESIGN §3).</summary>
public enum PrincipalRole : byte
{
    /// <summary>A person, acting for their own person account.</summary>
    Person = 1,

    /// <summary>Staff of an organisation, acting for the organisation's account in the roles it carries.</summary>
    OrganisationStaff = 2,

    /// <summary>The administrator (主管部门): acts for no account.</summary>
    Administrator = 3,

    /// <summary>An expert of the pool (专家库), acting for themselves: names the expert, acts for no account.</summary>
    Expert = 4,

    /// <summary>Staff of the platform operator (运营机构), the body that runs the platform, accepts and reviews applications; acts for no account.</summary>
    PlatformOperator = 5,
}

/// <summary>Who presented a token.</summary>
/// <param name="Account">The account the bearer acts for; null for administrators, experts and the platform operator's staff.</param>
/// <param name="Label">What the token was issued for, for audit trails; never a secret.</param>
/// <param name="ExpertId">The expert an <see cref="PrincipalRole.Expert"/> token acts as; null for every other role.</param>
public sealed record Principal(PrincipalRole Role, AccountId? Account, string Label, long? ExpertId = null);

/// <summary>
/// Bearer tokens of people and staff. A token is <c>pht_</c> and 32 random bytes in base64url, shown once when
/// issued; the store keeps only its SHA-256.
/// </summary>
/// <remarks>
/// Successful lookups are cached for <see cref="CacheLifetime"/>. A revocation through this instance takes effect
/// at once; one made by another process or instance takes effect here within <see cref="CacheLifetime"/>.
/// </remarks>
public sealed class AccessTokens(LedgerStore store, TimeProvider time)
{
    public const string TokenPrefix = "pht_";
    public const int LabelLengthMax = 200;

    /// <summary>The longest text looked up as a token; anything longer is refused without asking the store.</summary>
    public const int TokenLengthMax = 256;

    /// <summary>The shortest configured administrator token: it must be as hard to guess as an issued one.</summary>
    public const int AdministratorTokenLengthMin = 32;

    public static readonly TimeSpan CacheLifetime = TimeSpan.FromSeconds(30);

    private const int TokenBytes = 32;
    private readonly ExpiringCache<Principal> _cache = new();

    /// <summary>
    /// Issues a new token for <paramref name="account"/> in <paramref name="role"/>: a person's for a person
    /// account, staff's for an organisation, an administrator's or the platform operator's staff's for no account.
    /// Returns the token; only its hash is stored, so it cannot be shown again. An expert's token names the expert:
    /// use the overload with an expert id.
    /// </summary>
    public Task<string> IssueAsync(PrincipalRole role, AccountId? account, string label, CancellationToken ct) => IssueAsync(role, account, null, label, ct);

    /// <summary>
    /// Issues a new token as <see cref="IssueAsync(PrincipalRole, AccountId?, string, CancellationToken)"/> does;
    /// an <see cref="PrincipalRole.Expert"/> token names an existing expert in <paramref name="expertId"/> and
    /// acts for no account, and no other role names an expert.
    /// </summary>
    public async Task<string> IssueAsync(PrincipalRole role, AccountId? account, long? expertId, string label, CancellationToken ct)
    {
        CheckLabel(label);
        await CheckAccountAsync(role, account, ct);
        await CheckExpertAsync(role, expertId, ct);
        var token = TokenPrefix + Base64Url.EncodeToString(RandomNumberGenerator.GetBytes(TokenBytes));
        await using var connection = await store.Dialect.OpenAsync(ct);
        await using var cmd = Sql.Command(connection, null,
            "INSERT INTO access_tokens (token_hash, account_id, role, label, created_us, expert_id) VALUES (@h, @a, @r, @l, @at, @e)")
            .With("@h", Hash(token)).With("@a", account?.Value ?? 0L).With("@r", (long)role).With("@l", label).With("@at", Now()).With("@e", expertId ?? 0L);
        await cmd.ExecuteNonQueryAsync(ct);
        return token;
    }

    /// <summary>The principal a token acts as, or null when the token is unknown, revoked or not token-shaped.</summary>
    public async Task<Principal?> AuthenticateAsync(string token, CancellationToken ct)
    {
        if (!IsTokenShaped(token)) return null;
        var hash = Hash(token);
        var cacheKey = Convert.ToBase64String(hash);
        var now = time.GetUtcNow();
        if (_cache.TryGet(cacheKey, now, out var cached)) return cached;

        var generation = _cache.Generation;
        await using var connection = await store.Dialect.OpenAsync(ct);
        await using var cmd = Sql.Command(connection, null, "SELECT account_id, role, label, expert_id FROM access_tokens WHERE token_hash = @h AND revoked_us IS NULL")
            .With("@h", hash);
        await using var r = await cmd.ExecuteReaderAsync(ct);
        if (!await r.ReadAsync(ct)) return null;
        var accountId = r.GetInt64(0);
        var expertId = r.GetInt64(3);
        var principal = new Principal((PrincipalRole)r.GetInt64(1), accountId == 0 ? null : new AccountId(accountId), r.GetString(2), expertId == 0 ? null : expertId);
        _cache.Set(cacheKey, principal, now + CacheLifetime, now, generation);
        return principal;
    }

    /// <summary>Revokes a token, at once for this instance. False when the token is unknown or already revoked.</summary>
    public async Task<bool> RevokeAsync(string token, CancellationToken ct)
    {
        if (!IsTokenShaped(token)) return false;
        var hash = Hash(token);
        await using var connection = await store.Dialect.OpenAsync(ct);
        await using var cmd = Sql.Command(connection, null, "UPDATE access_tokens SET revoked_us = @now WHERE token_hash = @h AND revoked_us IS NULL")
            .With("@now", Now()).With("@h", hash);
        var revoked = await cmd.ExecuteNonQueryAsync(ct) > 0;
        _cache.Invalidate(Convert.ToBase64String(hash));
        return revoked;
    }

    /// <summary>
    /// Registers a configured administrator token (<c>PUHUI_ADMIN_TOKEN</c>) so the host starts with a known one;
    /// registering it again changes nothing. A revoked token stays revoked: this throws, so that a host does not
    /// start believing it has an administrator it does not. Returns the token.
    /// </summary>
    public async Task<string> EnsureAdministratorTokenAsync(string token, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(token);
        if (token.Length < AdministratorTokenLengthMin || !IsTokenShaped(token))
            throw new ArgumentException(
                $"An administrator token is {AdministratorTokenLengthMin}–{TokenLengthMax} printable ASCII characters without spaces (e.g. 32 random bytes in base64).",
                nameof(token));
        var hash = Hash(token);
        await using var connection = await store.Dialect.OpenAsync(ct);
        await using (var insert = Sql.Command(connection, null,
            "INSERT INTO access_tokens (token_hash, account_id, role, label, created_us) VALUES (@h, 0, @r, @l, @at) ON CONFLICT (token_hash) DO NOTHING")
            .With("@h", hash).With("@r", (long)PrincipalRole.Administrator).With("@l", "configured administrator").With("@at", Now()))
            await insert.ExecuteNonQueryAsync(ct);

        await using var check = Sql.Command(connection, null, "SELECT role, revoked_us FROM access_tokens WHERE token_hash = @h").With("@h", hash);
        await using var r = await check.ExecuteReaderAsync(ct);
        if (!await r.ReadAsync(ct)) throw new InvalidOperationException("The administrator token vanished after it was registered.");
        if ((PrincipalRole)r.GetInt64(0) != PrincipalRole.Administrator)
            throw new InvalidOperationException("The configured administrator token is already registered for another role; configure a new one.");
        if (!r.IsDBNull(1)) throw new InvalidOperationException("The configured administrator token was revoked; configure a new one.");
        return token;
    }

    private async Task CheckAccountAsync(PrincipalRole role, AccountId? account, CancellationToken ct)
    {
        if (role is PrincipalRole.Administrator or PrincipalRole.Expert or PrincipalRole.PlatformOperator)
        {
            if (account is not null) throw new ArgumentException($"A {role} token acts for no account.", nameof(account));
            return;
        }

        var expected = role switch
        {
            PrincipalRole.Person => AccountKind.Person,
            PrincipalRole.OrganisationStaff => AccountKind.Organisation,
            _ => throw new ArgumentOutOfRangeException(nameof(role), role, "Not a principal role."),
        };
        if (account is not { } id) throw new ArgumentException($"A {role} token acts for a {expected} account.", nameof(account));
        var found = await store.FindAccountAsync(id, ct) ?? throw new ArgumentException($"Account {id} does not exist.", nameof(account));
        if (found.Kind != expected) throw new ArgumentException($"A {role} token acts for a {expected} account; account {id} is a {found.Kind} account.", nameof(account));
    }

    private async Task CheckExpertAsync(PrincipalRole role, long? expertId, CancellationToken ct)
    {
        if (role != PrincipalRole.Expert)
        {
            if (expertId is not null) throw new ArgumentException($"A {role} token names no expert.", nameof(expertId));
            return;
        }

        if (expertId is not { } id) throw new ArgumentException("An expert's token names the expert.", nameof(expertId));
        await using var connection = await store.Dialect.OpenAsync(ct);
        await using var cmd = Sql.Command(connection, null, "SELECT COUNT(*) FROM experts WHERE id = @id").With("@id", id);
        if (Convert.ToInt64(await cmd.ExecuteScalarAsync(ct), System.Globalization.CultureInfo.InvariantCulture) == 0)
            throw new ArgumentException($"Expert {id} does not exist.", nameof(expertId));
    }

    private static void CheckLabel(string label)
    {
        ArgumentNullException.ThrowIfNull(label);
        if (label.Length > LabelLengthMax) throw new ArgumentException($"A label is at most {LabelLengthMax} characters.", nameof(label));
    }

    /// <summary>Printable ASCII without spaces, at most <see cref="TokenLengthMax"/> characters: anything else is no token.</summary>
    private static bool IsTokenShaped(string? token)
    {
        if (string.IsNullOrEmpty(token) || token.Length > TokenLengthMax) return false;
        foreach (var c in token)
        {
            if (c is <= ' ' or > '~') return false;
        }

        return true;
    }

    private static byte[] Hash(string token) => SHA256.HashData(Encoding.UTF8.GetBytes(token));

    private long Now() => CanonicalEncoding.ToUnixMicroseconds(time.GetUtcNow());
}
