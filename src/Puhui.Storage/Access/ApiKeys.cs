using System.Buffers.Text;
using System.Data.Common;
using System.Security.Cryptography;
using System.Text;
using Puhui.Ledger;
using Puhui.Storage.Ledger;

namespace Puhui.Storage.Access;

/// <summary>An organisation's API key as its owner sees it: never the secret.</summary>
/// <param name="ExpiresAt">Set when the key was rotated: it keeps working until then.</param>
/// <param name="ReplacedBy">The key id that replaced it on rotation.</param>
public sealed record ApiKeyInfo(string KeyId, AccountId Operator, string Label, DateTimeOffset CreatedAt, DateTimeOffset? ExpiresAt, DateTimeOffset? RevokedAt, string? ReplacedBy)
{
    /// <summary>True when requests signed with the key are accepted at <paramref name="at"/>.</summary>
    public bool IsActiveAt(DateTimeOffset at)
        => CreatedAt <= at && (RevokedAt is not { } revoked || at < revoked) && (ExpiresAt is not { } expires || at < expires);
}

/// <summary>A newly issued key with its secret, which is shown this once and cannot be read back.</summary>
public sealed record IssuedApiKey(string KeyId, string Secret, ApiKeyInfo Info)
{
    public override string ToString() => $"IssuedApiKey {{ KeyId = {KeyId}, Secret = (not shown), Info = {Info} }}";
}

/// <summary>
/// A key that may sign requests now: the organisation it acts for, the roles that organisation carries (which
/// decide what the key may do: ingest as an operator, use vouchers as a provider), and the secret to verify
/// signatures with.
/// </summary>
/// <param name="Operator">The organisation the key acts for; an operator or a provider.</param>
public sealed record VerifiedKey(string KeyId, AccountId Operator, string Secret, OrganisationRoles Roles)
{
    public override string ToString() => $"VerifiedKey {{ KeyId = {KeyId}, Operator = {Operator}, Roles = {Roles}, Secret = (not shown) }}";
}

/// <summary>
/// Organisations' credentials for the signed API (DESIGN §13): operators' systems send behaviour, providers'
/// systems mark vouchers used. A key belongs to one organisation and may do what that organisation's roles allow,
/// checked on every request. A key id is <c>pk_</c> and 16 random bytes in base64url; its secret is <c>sk_</c> and
/// 32 random bytes in base64url, and requests are signed with HMAC-SHA256 keyed by the secret's UTF-8 bytes. The store keeps the secret's SHA-256 and the secret sealed with
/// the platform's <see cref="MasterKey"/>, bound to the key id.
/// </summary>
/// <remarks>
/// <see cref="ResolveAsync"/> caches a resolved key for at most <see cref="ResolveCacheLifetime"/>, never past the
/// key's expiry. Revoking or rotating through this instance takes effect at once; through another process or
/// instance, within <see cref="ResolveCacheLifetime"/>.
/// </remarks>
public sealed class ApiKeys(LedgerStore store, MasterKey masterKey, TimeProvider time)
{
    public const string KeyIdPrefix = "pk_";
    public const string SecretPrefix = "sk_";
    public const int LabelLengthMax = 100;

    /// <summary>The longest key id looked up; longer text is no key id.</summary>
    public const int KeyIdLengthMax = 64;

    public const int NonceLengthMax = 128;

    /// <summary>The roles whose systems call the signed API; an organisation needs one of them to hold keys.</summary>
    public const OrganisationRoles KeyRoles = OrganisationRoles.Operator | OrganisationRoles.Provider;

    /// <summary>How long a rotated key may keep working beside its replacement, at most.</summary>
    public static readonly TimeSpan RotationOverlapMax = TimeSpan.FromDays(7);

    public static readonly TimeSpan ResolveCacheLifetime = TimeSpan.FromSeconds(5);

    /// <summary>Expired nonces are deleted after this many uses, or this long after the last deletion, whichever comes first.</summary>
    public const int NoncePruneEvery = 1_000;

    public static readonly TimeSpan NoncePruneInterval = TimeSpan.FromMinutes(1);

    private const int KeyIdBytes = 16, SecretBytes = 32;
    private readonly ExpiringCache<(VerifiedKey Key, long? ExpiresUs)> _cache = new();
    private long _noncesSincePrune;
    private long _lastPruneUs = long.MinValue;

    /// <summary>Issues a key for an organisation that carries the <see cref="OrganisationRoles.Operator"/> or the <see cref="OrganisationRoles.Provider"/> role.</summary>
    public async Task<IssuedApiKey> IssueAsync(AccountId operatorAccount, string label, CancellationToken ct)
    {
        CheckLabel(label);
        await CheckHolderAsync(operatorAccount, ct);
        await using var connection = await store.Dialect.OpenAsync(ct);
        return await InsertAsync(connection, null, operatorAccount, label, Now(), ct);
    }

    /// <summary>
    /// Replaces an active key of the operator with a new one (same label). The old key keeps working for
    /// <paramref name="overlap"/> (0 to <see cref="RotationOverlapMax"/>), so clients can switch without a gap.
    /// Null when the key is not this operator's, is not active, or was already rotated (rotate its replacement).
    /// </summary>
    public async Task<IssuedApiKey?> RotateAsync(AccountId operatorAccount, string keyId, TimeSpan overlap, CancellationToken ct)
    {
        if (overlap < TimeSpan.Zero || overlap > RotationOverlapMax)
            throw new ArgumentOutOfRangeException(nameof(overlap), overlap, $"A rotation overlap is 0 to {RotationOverlapMax.TotalDays} days.");
        if (!IsKeyIdShaped(keyId)) return null;
        var now = Now();
        await using var connection = await store.Dialect.OpenAsync(ct);
        await using var tx = await connection.BeginTransactionAsync(ct);
        string label;
        await using (var find = Sql.Command(connection, tx,
            "SELECT label FROM api_keys WHERE key_id = @k AND operator_id = @o AND revoked_us IS NULL AND replaced_by IS NULL AND (expires_us IS NULL OR expires_us > @now)")
            .With("@k", keyId).With("@o", operatorAccount.Value).With("@now", now))
        {
            if (await find.ExecuteScalarAsync(ct) is not string found) return null;
            label = found;
        }

        var issued = await InsertAsync(connection, tx, operatorAccount, label, now, ct);
        await using (var retire = Sql.Command(connection, tx,
            "UPDATE api_keys SET expires_us = @expires, replaced_by = @new WHERE key_id = @k AND operator_id = @o AND revoked_us IS NULL AND replaced_by IS NULL AND (expires_us IS NULL OR expires_us > @now)")
            .With("@expires", checked(now + overlap.Ticks / TimeSpan.TicksPerMicrosecond)).With("@new", issued.KeyId).With("@k", keyId)
            .With("@o", operatorAccount.Value).With("@now", now))
        {
            // Another rotation or a revocation got there first; this one changes nothing.
            if (await retire.ExecuteNonQueryAsync(ct) != 1)
            {
                await tx.RollbackAsync(ct);
                return null;
            }
        }

        await tx.CommitAsync(ct);
        _cache.Invalidate(keyId);
        return issued;
    }

    /// <summary>Revokes one of the operator's keys, at once for this instance. False when it is not this operator's or already revoked.</summary>
    public async Task<bool> RevokeAsync(AccountId operatorAccount, string keyId, CancellationToken ct)
    {
        if (!IsKeyIdShaped(keyId)) return false;
        await using var connection = await store.Dialect.OpenAsync(ct);
        await using var cmd = Sql.Command(connection, null, "UPDATE api_keys SET revoked_us = @now WHERE key_id = @k AND operator_id = @o AND revoked_us IS NULL")
            .With("@now", Now()).With("@k", keyId).With("@o", operatorAccount.Value);
        var revoked = await cmd.ExecuteNonQueryAsync(ct) > 0;
        _cache.Invalidate(keyId);
        return revoked;
    }

    /// <summary>The operator's keys, newest first, active or not.</summary>
    public async Task<IReadOnlyList<ApiKeyInfo>> ListAsync(AccountId operatorAccount, CancellationToken ct)
    {
        await using var connection = await store.Dialect.OpenAsync(ct);
        await using var cmd = Sql.Command(connection, null,
            "SELECT key_id, operator_id, label, created_us, expires_us, revoked_us, replaced_by FROM api_keys WHERE operator_id = @o ORDER BY created_us DESC, key_id")
            .With("@o", operatorAccount.Value);
        await using var r = await cmd.ExecuteReaderAsync(ct);
        var list = new List<ApiKeyInfo>();
        while (await r.ReadAsync(ct))
        {
            list.Add(new ApiKeyInfo(r.GetString(0), new AccountId(r.GetInt64(1)), r.GetString(2), CanonicalEncoding.FromUnixMicroseconds(r.GetInt64(3)),
                OptionalTime(r, 4), OptionalTime(r, 5), r.IsDBNull(6) ? null : r.GetString(6)));
        }

        return list;
    }

    /// <summary>
    /// The key to verify a request with: null when the key id is unknown, revoked or expired now. A stored secret
    /// whose hash does not match is treated as unknown. Throws when the secret cannot be unsealed, which means the
    /// master key is not the one that sealed it (or the row was altered): a configuration error to surface, not a
    /// client's mistake.
    /// </summary>
    public async Task<VerifiedKey?> ResolveAsync(string keyId, CancellationToken ct)
    {
        if (!IsKeyIdShaped(keyId)) return null;
        var now = time.GetUtcNow();
        var nowUs = CanonicalEncoding.ToUnixMicroseconds(now);
        if (_cache.TryGet(keyId, now, out var cached)) return cached.ExpiresUs is { } e && e <= nowUs ? null : cached.Key;

        var generation = _cache.Generation;
        long operatorId;
        long? expiresUs;
        OrganisationRoles roles;
        byte[] secretHash, sealedSecret;
        await using (var connection = await store.Dialect.OpenAsync(ct))
        {
            await using var cmd = Sql.Command(connection, null,
                "SELECT k.operator_id, k.secret_hash, k.sealed, k.expires_us, a.roles FROM api_keys k JOIN accounts a ON a.id = k.operator_id "
            + "WHERE k.key_id = @k AND k.revoked_us IS NULL AND (k.expires_us IS NULL OR k.expires_us > @now)")
                .With("@k", keyId).With("@now", nowUs);
            await using var r = await cmd.ExecuteReaderAsync(ct);
            if (!await r.ReadAsync(ct)) return null;
            operatorId = r.GetInt64(0);
            secretHash = (byte[])r.GetValue(1);
            sealedSecret = (byte[])r.GetValue(2);
            expiresUs = r.IsDBNull(3) ? null : r.GetInt64(3);
            roles = (OrganisationRoles)r.GetInt32(4);
        }

        byte[] secretBytes;
        try
        {
            secretBytes = masterKey.Open(sealedSecret, Encoding.UTF8.GetBytes(keyId));
        }
        catch (CryptographicException e)
        {
            throw new InvalidOperationException(
                $"The secret of API key {keyId} does not unseal: the master key differs from the one that sealed it, or the row was altered.", e);
        }

        if (!CryptographicOperations.FixedTimeEquals(SHA256.HashData(secretBytes), secretHash)) return null;
        var key = new VerifiedKey(keyId, new AccountId(operatorId), Encoding.UTF8.GetString(secretBytes), roles);
        var until = now + ResolveCacheLifetime;
        if (expiresUs is { } expires && CanonicalEncoding.FromUnixMicroseconds(expires) < until) until = CanonicalEncoding.FromUnixMicroseconds(expires);
        _cache.Set(keyId, (key, expiresUs), until, now, generation);
        return key;
    }

    /// <summary>
    /// Records that a request signed with <paramref name="keyId"/> used <paramref name="nonce"/>, remembered until
    /// <paramref name="expiresAt"/> (the end of the request's replay window). False when the pair was used before
    /// and is still remembered: the request is a replay.
    /// </summary>
    public async Task<bool> TryUseNonceAsync(string keyId, string nonce, DateTimeOffset expiresAt, CancellationToken ct)
    {
        if (!IsKeyIdShaped(keyId)) throw new ArgumentException($"A key id is 1–{KeyIdLengthMax} characters.", nameof(keyId));
        if (string.IsNullOrEmpty(nonce) || nonce.Length > NonceLengthMax) throw new ArgumentException($"A nonce is 1–{NonceLengthMax} characters.", nameof(nonce));
        var now = Now();
        await using var connection = await store.Dialect.OpenAsync(ct);
        // A remembered pair that has expired may be used again (its request's timestamp is refused anyway); taking
        // it over keeps the answer right even before the expired rows are pruned.
        await using var cmd = Sql.Command(connection, null, """
            INSERT INTO api_nonces (key_id, nonce, expires_us) VALUES (@k, @n, @e)
            ON CONFLICT (key_id, nonce) DO UPDATE SET expires_us = excluded.expires_us WHERE api_nonces.expires_us <= @now
            """)
            .With("@k", keyId).With("@n", nonce).With("@e", CanonicalEncoding.ToUnixMicroseconds(expiresAt)).With("@now", now);
        var used = await cmd.ExecuteNonQueryAsync(ct) == 1;
        await PruneNoncesIfDueAsync(connection, now, ct);
        return used;
    }

    private async Task PruneNoncesIfDueAsync(DbConnection connection, long nowUs, CancellationToken ct)
    {
        var count = Interlocked.Increment(ref _noncesSincePrune);
        var last = Interlocked.Read(ref _lastPruneUs);
        var intervalUs = NoncePruneInterval.Ticks / TimeSpan.TicksPerMicrosecond;
        if (count < NoncePruneEvery && (last != long.MinValue && nowUs - last < intervalUs)) return;
        // One caller prunes; the others carry on.
        if (Interlocked.CompareExchange(ref _lastPruneUs, nowUs, last) != last) return;
        Interlocked.Exchange(ref _noncesSincePrune, 0);
        await using var cmd = Sql.Command(connection, null, "DELETE FROM api_nonces WHERE expires_us <= @now").With("@now", nowUs);
        await cmd.ExecuteNonQueryAsync(ct);
    }

    private async Task<IssuedApiKey> InsertAsync(DbConnection connection, DbTransaction? tx, AccountId operatorAccount, string label, long nowUs, CancellationToken ct)
    {
        var keyId = KeyIdPrefix + Base64Url.EncodeToString(RandomNumberGenerator.GetBytes(KeyIdBytes));
        var secret = SecretPrefix + Base64Url.EncodeToString(RandomNumberGenerator.GetBytes(SecretBytes));
        var secretBytes = Encoding.UTF8.GetBytes(secret);
        await using var cmd = Sql.Command(connection, tx,
            "INSERT INTO api_keys (key_id, operator_id, label, secret_hash, sealed, created_us) VALUES (@k, @o, @l, @h, @s, @at)")
            .With("@k", keyId).With("@o", operatorAccount.Value).With("@l", label).With("@h", SHA256.HashData(secretBytes))
            .With("@s", masterKey.Seal(secretBytes, Encoding.UTF8.GetBytes(keyId))).With("@at", nowUs);
        await cmd.ExecuteNonQueryAsync(ct);
        var info = new ApiKeyInfo(keyId, operatorAccount, label, CanonicalEncoding.FromUnixMicroseconds(nowUs), null, null, null);
        return new IssuedApiKey(keyId, secret, info);
    }

    private async Task CheckHolderAsync(AccountId operatorAccount, CancellationToken ct)
    {
        var account = await store.FindAccountAsync(operatorAccount, ct)
            ?? throw new ArgumentException($"Account {operatorAccount} does not exist.", nameof(operatorAccount));
        if (account.Kind != AccountKind.Organisation || (account.Roles & KeyRoles) == 0)
            throw new ArgumentException($"Account {operatorAccount} is not an organisation with the Operator or the Provider role.", nameof(operatorAccount));
    }

    private static void CheckLabel(string label)
    {
        ArgumentNullException.ThrowIfNull(label);
        if (label.Length > LabelLengthMax) throw new ArgumentException($"A label is at most {LabelLengthMax} characters.", nameof(label));
    }

    private static bool IsKeyIdShaped(string? keyId) => !string.IsNullOrEmpty(keyId) && keyId.Length <= KeyIdLengthMax;

    private static DateTimeOffset? OptionalTime(DbDataReader r, int ordinal) => r.IsDBNull(ordinal) ? null : CanonicalEncoding.FromUnixMicroseconds(r.GetInt64(ordinal));

    private long Now() => CanonicalEncoding.ToUnixMicroseconds(time.GetUtcNow());
}
