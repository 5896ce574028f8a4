using System.Data.Common;
using System.Security.Cryptography;
using System.Text.Json;
using Puhui.Ledger;

namespace Puhui.Storage.Governance;

/// <summary>One step on the governance log: who took it, when, from which state to which, why, with which documents.</summary>
/// <param name="Data">The step's other inputs and what it did, as a JSON object (verdict, panel draw, objection, deadline).</param>
public sealed record GovernanceEntry(long Seq, DateTimeOffset At, long ApplicationId, string Kind, string Action, string Actor, string Role, string From, string To,
    string Comment, IReadOnlyList<string> Documents, string Data, byte[] Hash);

/// <summary>
/// The governance log: append-only and hash-chained like the ledger's journal. Each entry's hash is
/// SHA-256(previous hash ‖ canonical bytes), the canonical bytes being the entry's fields, in a fixed order, as a
/// compact JSON array; the first entry's previous hash is 32 zero bytes. Appends serialise on the log's head row,
/// so the chain has no forks; <c>puhui audit</c> recomputes it.
/// </summary>
public static class GovernanceLog
{
    public const int HashBytes = 32;

    /// <summary>
    /// Begins the transaction a governance step runs in, holding the log's head: SQLite's write lock, or the head
    /// row's lock on PostgreSQL. Returns the transaction and the head.
    /// </summary>
    internal static async Task<(DbTransaction Transaction, long Seq, byte[] Hash)> BeginAsync(SqlDialect dialect, DbConnection connection, CancellationToken ct)
    {
        DbTransaction tx = dialect.Kind == StoreKind.Sqlite
            ? await dialect.BeginAppendAsync(connection, ct)
            : await connection.BeginTransactionAsync(System.Data.IsolationLevel.ReadCommitted, ct);
        var (seq, hash) = await HoldHeadAsync(dialect, connection, tx, ct);
        return (tx, seq, hash);
    }

    /// <summary>
    /// Reads the head inside a transaction that already holds the database's write lock (SQLite) or takes the head
    /// row's lock in it (PostgreSQL): a ledger append that takes a governance step in its own transaction.
    /// </summary>
    internal static async Task<(long Seq, byte[] Hash)> HoldHeadAsync(SqlDialect dialect, DbConnection connection, DbTransaction tx, CancellationToken ct)
    {
        await using var cmd = Sql.Command(connection, tx, "SELECT last_seq, last_hash FROM governance_head WHERE id = 1" + (dialect.Kind == StoreKind.Postgres ? " FOR UPDATE" : ""));
        await using var r = await cmd.ExecuteReaderAsync(ct);
        if (!await r.ReadAsync(ct)) throw new InvalidOperationException("The governance log's head is missing: run puhui migrate.");
        return (r.GetInt64(0), (byte[])r.GetValue(1));
    }

    /// <summary>Appends one entry after the head, inside the transaction from <see cref="BeginAsync"/>, and moves the head.</summary>
    internal static async Task<GovernanceEntry> AppendAsync(DbConnection connection, DbTransaction tx, (long Seq, byte[] Hash) head, DateTimeOffset at, long applicationId,
        string kind, string action, string actor, string role, string from, string to, string comment, IReadOnlyList<string> documents, string data, CancellationToken ct)
    {
        var seq = checked(head.Seq + 1);
        var unhashed = new GovernanceEntry(seq, at, applicationId, kind, action, actor, role, from, to, comment, documents, data, []);
        var hash = ChainHash(head.Hash, unhashed);
        await using (var insert = Sql.Command(connection, tx, """
            INSERT INTO governance_log (seq, at_us, application_id, kind, action, actor, role, from_state, to_state, comment, documents, data, hash)
            VALUES (@seq, @at, @app, @kind, @action, @actor, @role, @from, @to, @comment, @docs, @data, @hash)
            """)
            .With("@seq", seq).With("@at", CanonicalEncoding.ToUnixMicroseconds(at)).With("@app", applicationId).With("@kind", kind).With("@action", action)
            .With("@actor", actor).With("@role", role).With("@from", from).With("@to", to).With("@comment", comment)
            .With("@docs", JsonSerializer.Serialize(documents, GovernanceJson.Default.IReadOnlyListString)).With("@data", data).With("@hash", hash))
            await insert.ExecuteNonQueryAsync(ct);
        await using (var move = Sql.Command(connection, tx, "UPDATE governance_head SET last_seq = @seq, last_hash = @hash WHERE id = 1").With("@seq", seq).With("@hash", hash))
            await move.ExecuteNonQueryAsync(ct);
        return unhashed with { Hash = hash };
    }

    /// <summary>SHA-256(previous ‖ canonical bytes of <paramref name="entry"/>), its own hash aside.</summary>
    public static byte[] ChainHash(byte[] previous, GovernanceEntry entry)
    {
        ArgumentNullException.ThrowIfNull(previous);
        ArgumentNullException.ThrowIfNull(entry);
        using var buffer = new MemoryStream();
        buffer.Write(previous);
        using (var w = new Utf8JsonWriter(buffer))
        {
            w.WriteStartArray();
            w.WriteNumberValue(entry.Seq);
            w.WriteNumberValue(CanonicalEncoding.ToUnixMicroseconds(entry.At));
            w.WriteNumberValue(entry.ApplicationId);
            foreach (var text in (ReadOnlySpan<string>)[entry.Kind, entry.Action, entry.Actor, entry.Role, entry.From, entry.To, entry.Comment]) w.WriteStringValue(text);
            w.WriteStartArray();
            foreach (var document in entry.Documents) w.WriteStringValue(document);
            w.WriteEndArray();
            w.WriteStringValue(entry.Data);
            w.WriteEndArray();
        }

        return SHA256.HashData(buffer.ToArray());
    }

    internal const string Select = "SELECT seq, at_us, application_id, kind, action, actor, role, from_state, to_state, comment, documents, data, hash FROM governance_log";

    internal static GovernanceEntry Read(DbDataReader r) => new(
        r.GetInt64(0), CanonicalEncoding.FromUnixMicroseconds(r.GetInt64(1)), r.GetInt64(2), r.GetString(3), r.GetString(4), r.GetString(5), r.GetString(6),
        r.GetString(7), r.GetString(8), r.GetString(9),
        JsonSerializer.Deserialize(r.GetString(10), GovernanceJson.Default.IReadOnlyListString) ?? [], r.GetString(11), (byte[])r.GetValue(12));

    /// <summary>The entries of one application, in order.</summary>
    public static async Task<IReadOnlyList<GovernanceEntry>> ForApplicationAsync(SqlDialect dialect, long applicationId, CancellationToken ct)
    {
        await using var connection = await dialect.OpenAsync(ct);
        await using var cmd = Sql.Command(connection, null, Select + " WHERE application_id = @id ORDER BY seq").With("@id", applicationId);
        var list = new List<GovernanceEntry>();
        await using var r = await cmd.ExecuteReaderAsync(ct);
        while (await r.ReadAsync(ct)) list.Add(Read(r));
        return list;
    }
}
