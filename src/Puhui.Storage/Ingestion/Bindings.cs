using System.Data.Common;
using System.Security.Cryptography;
using System.Text;
using Puhui.Ledger;
using Puhui.Storage.Ledger;

namespace Puhui.Storage.Ingestion;

/// <summary>A one-time code a person hands to an operator, shown to the person once.</summary>
public sealed record BindingCode(string Code, AccountId Operator, DateTimeOffset ExpiresAt);

/// <summary>What became of an operator's request to bind one of its user references with a person's code.</summary>
public enum BindOutcome
{
    Bound = 1,

    /// <summary>The user reference was already bound to the code's account: an idempotent success.</summary>
    AlreadyBound = 2,

    /// <summary>The code is unknown, used, expired or was issued for another operator.</summary>
    CodeInvalid = 3,

    /// <summary>This operator's user reference is bound to another account.</summary>
    UserRefTaken = 4,

    /// <summary>The code's account already has another user reference at this operator.</summary>
    AccountAlreadyBound = 5,
}

/// <param name="BoundAt">When the binding was made; set for <see cref="BindOutcome.Bound"/> and <see cref="BindOutcome.AlreadyBound"/>.</param>
public sealed record BindResult(BindOutcome Outcome, string UserRef, DateTimeOffset? BoundAt);

/// <summary>One of a person's bindings, as the person sees it.</summary>
public sealed record BindingInfo(AccountId Operator, string OperatorName, string UserRef, DateTimeOffset BoundAt);

/// <summary>
/// Binds an operator's user reference to a person's account without the operator ever learning the platform's
/// account id (DESIGN §6): the person gets a one-time code in their account, and the operator sends it back with
/// its own user reference. Codes are stored as SHA-256 only.
/// </summary>
public sealed class Bindings(LedgerStore store, TimeProvider time)
{
    /// <summary>How long a code can be used after it was issued.</summary>
    public static readonly TimeSpan CodeLifetime = TimeSpan.FromMinutes(15);

    public const int CodeLength = 10;

    /// <summary>The characters of a code: digits and capital letters without the look-alikes 0, O, 1, I and L.</summary>
    public const string CodeAlphabet = "23456789ABCDEFGHJKMNPQRSTUVWXYZ";

    public const int UserRefLengthMax = 128;

    /// <summary>The most user references one <see cref="ResolveAsync"/> call looks up.</summary>
    public const int ResolveRefsMax = 10_000;

    // A code a person reads out or types may carry grouping characters; they are not part of it.
    private static readonly char[] CodeSeparators = [' ', '-'];

    /// <summary>Issues a code for <paramref name="person"/> to hand to <paramref name="operatorAccount"/>, valid for <see cref="CodeLifetime"/>.</summary>
    public async Task<BindingCode> IssueCodeAsync(AccountId person, AccountId operatorAccount, CancellationToken ct)
    {
        var personAccount = await store.FindAccountAsync(person, ct) ?? throw new ArgumentException($"Account {person} does not exist.", nameof(person));
        if (personAccount.Kind != AccountKind.Person) throw new ArgumentException($"Account {person} is not a person's.", nameof(person));
        var op = await store.FindAccountAsync(operatorAccount, ct) ?? throw new ArgumentException($"Account {operatorAccount} does not exist.", nameof(operatorAccount));
        if (op.Kind != AccountKind.Organisation || !op.Roles.HasFlag(OrganisationRoles.Operator))
            throw new ArgumentException($"Account {operatorAccount} is not an organisation with the Operator role.", nameof(operatorAccount));

        var now = time.GetUtcNow();
        var expiresAt = now + CodeLifetime;
        await using var connection = await store.Dialect.OpenAsync(ct);
        // Two codes colliding is a one-in-10^14 event; drawing again is simpler than reasoning about it.
        for (var attempt = 0; attempt < 3; attempt++)
        {
            var code = RandomNumberGenerator.GetString(CodeAlphabet, CodeLength);
            await using var cmd = Sql.Command(connection, null,
                "INSERT INTO binding_codes (code_hash, account_id, operator_id, expires_us) VALUES (@h, @a, @o, @e) ON CONFLICT (code_hash) DO NOTHING")
                .With("@h", HashCode(code)).With("@a", person.Value).With("@o", operatorAccount.Value).With("@e", CanonicalEncoding.ToUnixMicroseconds(expiresAt));
            if (await cmd.ExecuteNonQueryAsync(ct) == 1) return new BindingCode(code, operatorAccount, expiresAt);
        }

        throw new InvalidOperationException("Three random binding codes in a row were taken: the random number generator is broken.");
    }

    /// <summary>
    /// Binds <paramref name="userRef"/> of <paramref name="operatorAccount"/> to the account that issued
    /// <paramref name="code"/>, using the code up, in one database transaction. Codes are compared ignoring case
    /// and spaces or hyphens between groups. Sending the same code and user reference again answers
    /// <see cref="BindOutcome.AlreadyBound"/>, so an operator can retry safely.
    /// </summary>
    public async Task<BindResult> BindAsync(AccountId operatorAccount, string code, string userRef, CancellationToken ct)
    {
        CheckUserRef(userRef);
        if (NormaliseCode(code) is not { } normalised) return new BindResult(BindOutcome.CodeInvalid, userRef, null);
        var codeHash = HashCode(normalised);
        await using var connection = await store.Dialect.OpenAsync(ct);
        // A concurrent bind can insert the conflicting row between the checks and the insert; the second attempt
        // then sees it and answers accordingly.
        for (var attempt = 0; ; attempt++)
        {
            var result = await TryBindAsync(connection, operatorAccount, codeHash, userRef, ct);
            if (result is not null) return result;
            if (attempt == 1) throw new InvalidOperationException("A binding raced twice with another; giving up.");
        }
    }

    private async Task<BindResult?> TryBindAsync(DbConnection connection, AccountId operatorAccount, byte[] codeHash, string userRef, CancellationToken ct)
    {
        var now = CanonicalEncoding.ToUnixMicroseconds(time.GetUtcNow());
        await using var tx = await connection.BeginTransactionAsync(ct);
        // A write that changes nothing locks the code's row first, so that binds racing with one code queue here
        // and each reads the code and the bindings as the one before it left them.
        await using (var lockCode = Sql.Command(connection, tx, "UPDATE binding_codes SET used_us = used_us WHERE code_hash = @h").With("@h", codeHash))
        {
            if (await lockCode.ExecuteNonQueryAsync(ct) == 0) return new BindResult(BindOutcome.CodeInvalid, userRef, null);
        }

        long account, expiresUs;
        bool used;
        await using (var find = Sql.Command(connection, tx, "SELECT account_id, operator_id, expires_us, used_us FROM binding_codes WHERE code_hash = @h").With("@h", codeHash))
        await using (var r = await find.ExecuteReaderAsync(ct))
        {
            if (!await r.ReadAsync(ct) || r.GetInt64(1) != operatorAccount.Value) return new BindResult(BindOutcome.CodeInvalid, userRef, null);
            (account, expiresUs, used) = (r.GetInt64(0), r.GetInt64(2), !r.IsDBNull(3));
        }

        // The account's binding at this operator, if any, and the account holding this user reference, if any.
        string? accountRef = null;
        long accountBoundUs = 0, refAccount = 0;
        await using (var bound = Sql.Command(connection, tx,
            "SELECT user_ref, account_id, bound_us FROM bindings WHERE operator_id = @o AND account_id = @a "
            + "UNION ALL SELECT user_ref, account_id, bound_us FROM bindings WHERE operator_id = @o AND user_ref = @u")
            .With("@o", operatorAccount.Value).With("@a", account).With("@u", userRef))
        await using (var r = await bound.ExecuteReaderAsync(ct))
        {
            while (await r.ReadAsync(ct))
            {
                if (r.GetInt64(1) == account) (accountRef, accountBoundUs) = (r.GetString(0), r.GetInt64(2));
                if (r.GetString(0) == userRef) refAccount = r.GetInt64(1);
            }
        }

        if (accountRef == userRef)
        {
            // A retry of a bind that succeeded, or a second code of the same person for the same reference.
            if (!used && expiresUs > now) await MarkUsedAsync(connection, tx, codeHash, now, ct);
            await tx.CommitAsync(ct);
            return new BindResult(BindOutcome.AlreadyBound, userRef, CanonicalEncoding.FromUnixMicroseconds(accountBoundUs));
        }

        if (used || expiresUs <= now) return new BindResult(BindOutcome.CodeInvalid, userRef, null);
        if (refAccount != 0) return new BindResult(BindOutcome.UserRefTaken, userRef, null);
        if (accountRef is not null) return new BindResult(BindOutcome.AccountAlreadyBound, userRef, null);

        if (!await MarkUsedAsync(connection, tx, codeHash, now, ct)) return null;
        await using (var insert = Sql.Command(connection, tx,
            "INSERT INTO bindings (operator_id, user_ref, account_id, bound_us) VALUES (@o, @u, @a, @at) ON CONFLICT DO NOTHING")
            .With("@o", operatorAccount.Value).With("@u", userRef).With("@a", account).With("@at", now))
        {
            if (await insert.ExecuteNonQueryAsync(ct) != 1) return null;
        }

        await tx.CommitAsync(ct);
        return new BindResult(BindOutcome.Bound, userRef, CanonicalEncoding.FromUnixMicroseconds(now));
    }

    private static async Task<bool> MarkUsedAsync(DbConnection connection, DbTransaction tx, byte[] codeHash, long now, CancellationToken ct)
    {
        await using var cmd = Sql.Command(connection, tx, "UPDATE binding_codes SET used_us = @now WHERE code_hash = @h AND used_us IS NULL")
            .With("@now", now).With("@h", codeHash);
        return await cmd.ExecuteNonQueryAsync(ct) == 1;
    }

    /// <summary>A person's bindings, newest first.</summary>
    public async Task<IReadOnlyList<BindingInfo>> ListAsync(AccountId person, CancellationToken ct)
    {
        await using var connection = await store.Dialect.OpenAsync(ct);
        // bindings is indexed by operator first. Walking the distinct operators through that index (a loose index
        // scan, one probe per operator) and probing (operator_id, account_id) for each costs a few probes per
        // operator, where filtering on account_id alone would read every binding.
        const string sql = """
            WITH RECURSIVE operators(id) AS (
                SELECT MIN(operator_id) FROM bindings
                UNION ALL
                SELECT (SELECT MIN(operator_id) FROM bindings WHERE operator_id > operators.id) FROM operators WHERE operators.id IS NOT NULL
            )
            SELECT b.operator_id, a.display_name, b.user_ref, b.bound_us
            FROM operators o
            JOIN bindings b ON b.operator_id = o.id AND b.account_id = @p
            JOIN accounts a ON a.id = b.operator_id
            ORDER BY b.bound_us DESC, b.operator_id
            """;
        await using var cmd = Sql.Command(connection, null, sql).With("@p", person.Value);
        await using var r = await cmd.ExecuteReaderAsync(ct);
        var list = new List<BindingInfo>();
        while (await r.ReadAsync(ct))
            list.Add(new BindingInfo(new AccountId(r.GetInt64(0)), r.GetString(1), r.GetString(2), CanonicalEncoding.FromUnixMicroseconds(r.GetInt64(3))));
        return list;
    }

    /// <summary>
    /// Removes the person's binding at an operator, and revokes the person's active consents to that operator's
    /// scenarios in the same transaction: they were given for the binding, and a later binding asks again.
    /// Records already credited stay credited. False when there was no binding.
    /// </summary>
    public async Task<bool> UnbindAsync(AccountId person, AccountId operatorAccount, CancellationToken ct)
    {
        var now = CanonicalEncoding.ToUnixMicroseconds(time.GetUtcNow());
        await using var connection = await store.Dialect.OpenAsync(ct);
        await using var tx = await connection.BeginTransactionAsync(ct);
        await using (var delete = Sql.Command(connection, tx, "DELETE FROM bindings WHERE operator_id = @o AND account_id = @p")
            .With("@o", operatorAccount.Value).With("@p", person.Value))
        {
            if (await delete.ExecuteNonQueryAsync(ct) == 0) return false;
        }

        await using (var revoke = Sql.Command(connection, tx,
            "UPDATE consents SET revoked_us = @now WHERE account_id = @p AND revoked_us IS NULL AND scenario_id IN (SELECT id FROM scenarios WHERE operator_id = @o)")
            .With("@now", now).With("@p", person.Value).With("@o", operatorAccount.Value))
            await revoke.ExecuteNonQueryAsync(ct);
        await tx.CommitAsync(ct);
        return true;
    }

    /// <summary>
    /// The accounts bound to the operator's user references, in one statement; references not bound are absent.
    /// For the ingestion hot path.
    /// </summary>
    public async Task<IReadOnlyDictionary<string, AccountId>> ResolveAsync(AccountId operatorAccount, IReadOnlyCollection<string> userRefs, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(userRefs);
        if (userRefs.Count > ResolveRefsMax) throw new ArgumentException($"At most {ResolveRefsMax} user references are resolved at once.", nameof(userRefs));
        var refs = userRefs.Distinct(StringComparer.Ordinal).ToList();
        var found = new Dictionary<string, AccountId>(refs.Count, StringComparer.Ordinal);
        if (refs.Count == 0) return found;
        await using var connection = await store.Dialect.OpenAsync(ct);
        await Sql.LookupAsync(connection, null, "SELECT user_ref, account_id, operator_id FROM bindings", ["operator_id", "user_ref"], refs,
            (userRef, column) => column == 0 ? operatorAccount.Value : userRef,
            r => found[r.GetString(0)] = new AccountId(r.GetInt64(1)), ct);
        return found;
    }

    /// <summary>The code in canonical form (upper case, separators removed), or null when it cannot be a code.</summary>
    internal static string? NormaliseCode(string? code)
    {
        if (string.IsNullOrEmpty(code) || code.Length > CodeLength * 3) return null;
        var chars = new StringBuilder(CodeLength);
        foreach (var c in code)
        {
            if (Array.IndexOf(CodeSeparators, c) >= 0) continue;
            var upper = char.ToUpperInvariant(c);
            if (!CodeAlphabet.Contains(upper, StringComparison.Ordinal) || chars.Length == CodeLength) return null;
            chars.Append(upper);
        }

        return chars.Length == CodeLength ? chars.ToString() : null;
    }

    private static byte[] HashCode(string normalisedCode) => SHA256.HashData(Encoding.ASCII.GetBytes(normalisedCode));

    private static void CheckUserRef(string userRef)
    {
        if (string.IsNullOrWhiteSpace(userRef) || userRef.Length > UserRefLengthMax)
            throw new ArgumentException($"A user reference is 1–{UserRefLengthMax} characters, not all spaces.", nameof(userRef));
    }
}
