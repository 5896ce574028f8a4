using System.Data.Common;
using System.Globalization;
using FsCheck;
using FsCheck.Fluent;
using Puhui.Ledger;
using Puhui.Storage;
using Puhui.Storage.Ledger;
using Puhui.Tests.Ledger;

namespace Puhui.Tests.Storage;

/// <summary>Changing any stored byte of any journal row makes the audit fail and name that row first.</summary>
public class AuditTamperTests
{
    public sealed record Tamper(int Row, int Column, int Position, int Bit);

    private static readonly string[] JournalColumns = ["tx_id", "idempotency_key", "request_hash", "kind", "occurred_us", "body", "links", "hash", "seq"];

    [Fact]
    public void Any_changed_byte_of_a_journal_row_fails_the_audit_naming_that_row_on_sqlite() => Check(StoreKind.Sqlite, 300);

    [PostgresFact]
    public void Any_changed_byte_of_a_journal_row_fails_the_audit_naming_that_row_on_postgres() => Check(StoreKind.Postgres, 40);

    private static void Check(StoreKind kind, int runs)
    {
        var (world, seqs) = Task.Run(() => BuildAsync(kind)).GetAwaiter().GetResult();
        try
        {
            var gen = from row in Gen.Choose(0, seqs.Count - 1)
                      from column in Gen.Choose(0, JournalColumns.Length - 1)
                      from position in Gen.Choose(0, 255)
                      from bit in Gen.Choose(0, 7)
                      select new Tamper(row, column, position, bit);
            Prop.ForAll(gen.ToArbitrary(), t => Task.Run(() => TamperAndAuditAsync(world.Store, seqs, t)).GetAwaiter().GetResult())
                .Check(Config.QuickThrowOnFailure.WithMaxTest(runs));
        }
        finally
        {
            world.DisposeAsync().AsTask().GetAwaiter().GetResult();
        }
    }

    private static async Task<(LedgerWorld, List<long>)> BuildAsync(StoreKind kind)
    {
        var w = await LedgerWorld.CreateAsync(kind);
        await w.IssueProjectAsync(w.Developer, 10_000, "project");
        for (var i = 0; i < 6; i++) await w.IssueAsync(i % 2 == 0 ? w.Alice : w.Bob, w.Metro, 10 + i, 100 * i, $"rec:{i}", LedgerWorld.Day0.AddDays(i));
        await PointLotOperations.DrawAsync(w.Store, new LotDrawRequest(w.Alice, new Points(15), LotOrder.ReductionBearingFirst, LedgerWorld.Day0.AddDays(7),
            w.Redeemed, w.Provider, TransactionKind.Redeem, "redeem", "t", "voucher 7", LedgerWorld.T0));
        await w.Store.AppendAsync(new TransactionBuilder(TransactionKind.Transfer, "transfer", LedgerWorld.T0, "t").MoveGrams(w.Developer, w.Provider, w.Project, new Grams(2_000)).Build());
        var audit = await w.Store.AuditAsync();
        Assert.True(audit.Passed, string.Join("; ", audit.Problems));
        var seqs = Enumerable.Range(1, (int)audit.Transactions).Select(i => (long)i).ToList();
        return (w, seqs);
    }

    private static async Task TamperAndAuditAsync(LedgerStore store, List<long> seqs, Tamper t)
    {
        var seq = seqs[t.Row];
        await using var connection = await store.Dialect.OpenAsync(default);
        var column = JournalColumns[t.Column];
        const string table = "journal", where = "seq = @seq";

        object original;
        await using (var read = Command(connection, $"SELECT {column} FROM {table} WHERE {where}").With("@seq", seq))
            original = (await read.ExecuteScalarAsync())!;
        var changed = Change(original, t, column);
        if (changed is null) return;

        await Update(connection, table, column, where, seq, changed);
        try
        {
            var audit = await store.AuditAsync();
            Assert.False(audit.Passed, $"audit passed after {table}.{column} of transaction {seq} changed from {original} to {changed}");
            if (column == "seq") Assert.Contains($"the row of transaction {seq} is missing or renumbered", audit.Problems[0], StringComparison.Ordinal);
            else Assert.StartsWith($"transaction {seq} (", audit.Problems[0], StringComparison.Ordinal);
        }
        finally
        {
            await Update(connection, table, column, where, column == "seq" ? Convert.ToInt64(changed, CultureInfo.InvariantCulture) : seq, original);
        }

        Assert.True((await store.AuditAsync()).Passed);
    }

    [Theory, MemberData(nameof(Stores))]
    public async Task A_changed_balance_row_fails_the_audit_naming_it(StoreKind kind)
    {
        await using var w = await LedgerWorld.CreateAsync(kind);
        await w.IssueAsync(w.Alice, w.Metro, 10, 100, "rec:1");
        await w.IssueAsync(w.Alice, w.Metro, 5, 50, "rec:2", LedgerWorld.Day0.AddDays(1));
        await using var connection = await w.Store.Dialect.OpenAsync(default);

        await using (var update = Command(connection, "UPDATE balances SET last_seq = 1 WHERE account_id = @a AND last_seq = 2 AND asset = 1").With("@a", w.Alice.Value))
            Assert.Equal(1, await update.ExecuteNonQueryAsync());
        var audit = await w.Store.AuditAsync();
        Assert.StartsWith($"balance account {w.Alice} PTS", Assert.Single(audit.Problems), StringComparison.Ordinal);
        Assert.Contains("last changed by transaction 1, journal gives 2", audit.Problems[0], StringComparison.Ordinal);

        await using (var delete = Command(connection, "DELETE FROM balances WHERE account_id = @a AND last_seq = 1 AND asset = 2").With("@a", w.Alice.Value))
            Assert.Equal(1, await delete.ExecuteNonQueryAsync());
        Assert.Contains((await w.Store.AuditAsync()).Problems, p => p.Contains("missing, journal gives 100", StringComparison.Ordinal));
    }

    public static TheoryData<StoreKind> Stores => TestStores.All;

    /// <summary>Changes one byte (or one bit of an integer) of a stored value, keeping it storable; null when the value has no byte to change.</summary>
    private static object? Change(object value, Tamper t, string column) => value switch
    {
        byte[] { Length: 0 } => null,
        byte[] bytes => Flip(bytes, t),
        string s when s.Length == 0 => null,
        string s => s[..(t.Position % s.Length)] + Other(s[t.Position % s.Length], column) + s[(t.Position % s.Length + 1)..],
        // The sequence moves far away so that it cannot collide with another row's; other integers lose or gain one low bit.
        _ when column == "seq" => Convert.ToInt64(value, CultureInfo.InvariantCulture) + 10_000,
        _ => Convert.ToInt64(value, CultureInfo.InvariantCulture) ^ (1L << t.Bit),
    };

    private static byte[] Flip(byte[] bytes, Tamper t)
    {
        var copy = (byte[])bytes.Clone();
        copy[t.Position % copy.Length] ^= (byte)(1 << t.Bit);
        return copy;
    }

    // Hex digits stay hex digits (a transaction id must still look like one to reach the hash check); anything else becomes a character no key uses.
    private static char Other(char c, string column) => column == "tx_id" && Uri.IsHexDigit(c) ? (c == '0' ? '1' : '0') : c == '~' ? '!' : '~';

    private static async Task Update(DbConnection connection, string table, string column, string where, long seq, object value)
    {
        await using var cmd = Command(connection, $"UPDATE {table} SET {column} = @value WHERE {where}").With("@seq", seq).With("@value", value is long or int or short ? Convert.ToInt64(value, CultureInfo.InvariantCulture) : value);
        Assert.Equal(1, await cmd.ExecuteNonQueryAsync());
    }

    private static DbCommand Command(DbConnection connection, string sql)
    {
        var cmd = connection.CreateCommand();
        cmd.CommandText = sql;
        return cmd;
    }
}
