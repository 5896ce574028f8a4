using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Text.RegularExpressions;
using Microsoft.Data.Sqlite;
using Puhui.Storage.Ledger;
using SQLitePCL;

namespace Puhui.Bench;

/// <summary>
/// Where a measured phase spends its time, statement by statement, without touching the code under test: on
/// SQLite the engine's own profile hook (time spent stepping each statement, COMMIT and its fsync included) on
/// every pooled connection; on PostgreSQL Npgsql's activities (each command from send to last row, round trip
/// included). Whatever is left of a phase's wall time is spent in .NET between statements. Only for
/// <c>--profile</c> runs: the hooks cost time themselves, so their figures are not the benchmark's.
/// </summary>
internal sealed partial class StatementProfile : IDisposable
{
    private readonly ConcurrentDictionary<(string Phase, string Label), (long Calls, long Nanoseconds)> _statements = new();
    private readonly ActivityListener? _listener;
    private readonly LedgerStore _store;
    private readonly strdelegate_profile? _hook;

    /// <summary>The phase that statements are counted to; set by the benchmark loop before each measured call.</summary>
    public static string Phase { get; set; } = "setup";

    public StatementProfile(LedgerStore store)
    {
        _store = store;
        if (store.Kind == Storage.StoreKind.Postgres)
        {
            _listener = new ActivityListener
            {
                ShouldListenTo = source => source.Name == "Npgsql",
                Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
                ActivityStopped = activity => Add(activity.GetTagItem("db.query.text") as string ?? activity.DisplayName, (long)(activity.Duration.TotalMilliseconds * 1_000_000)),
            };
            ActivitySource.AddActivityListener(_listener);
        }
        else
        {
            _hook = (_, statement, ns) => Add(statement, ns);
        }
    }

    /// <summary>
    /// SQLite: puts the hook on the connections in the store's pool (opening a few at once fills it), so that the
    /// store's next connections carry it. Called before each measured call, in case the pool replaced a connection.
    /// </summary>
    public async Task HookPoolAsync()
    {
        if (_hook is null) return;
        var connections = new List<System.Data.Common.DbConnection>();
        for (var i = 0; i < 12; i++) connections.Add(await _store.Dialect.OpenAsync(default));
        foreach (var connection in connections)
        {
            raw.sqlite3_profile(((SqliteConnection)connection).Handle, _hook, null);
            await connection.DisposeAsync();
        }
    }

    private void Add(string statement, long nanoseconds)
    {
        var key = (Phase, Label(statement));
        _statements.AddOrUpdate(key, (1, nanoseconds), (_, v) => (v.Calls + 1, v.Nanoseconds + nanoseconds));
    }

    /// <summary>A short name for a statement: what it does to which table.</summary>
    internal static string Label(string sql)
    {
        var text = Whitespace().Replace(sql, " ").Trim();
        if (text.StartsWith("PRAGMA", StringComparison.OrdinalIgnoreCase)) return "PRAGMAs on opening a connection";
        if (text.StartsWith("BEGIN", StringComparison.OrdinalIgnoreCase) || text.StartsWith("COMMIT", StringComparison.OrdinalIgnoreCase)
            || text.StartsWith("ROLLBACK", StringComparison.OrdinalIgnoreCase)) return text.Split(' ')[0].ToUpperInvariant();
        var statements = text.Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        if (statements.Length > 1) return string.Join(" + ", statements.Select(Label));
        if (InsertInto().Match(text) is { Success: true } insert)
            return (text.Contains("DO UPDATE", StringComparison.OrdinalIgnoreCase) ? "upsert " : "insert ") + insert.Groups[1].Value;
        if (UpdateOf().Match(text) is { Success: true } update) return "update " + update.Groups[1].Value;
        if (text.Contains("MAX(last_seq)", StringComparison.Ordinal)) return "account heads (MAX(last_seq) FROM balances)";
        if (text.Contains("json_each(@keys) k CROSS JOIN", StringComparison.Ordinal) || text.Contains("CROSS JOIN LATERAL", StringComparison.Ordinal))
        {
            var table = FromTable().Matches(text).Select(m => m.Groups[1].Value).FirstOrDefault(t => t is not ("json_each" or "unnest")) ?? "?";
            return $"lookup {table} by ({string.Join(", ", KeyColumn().Matches(text).Select(m => m.Groups[1].Value))})";
        }
        if (FromTable().Match(text) is { Success: true } from) return "select " + from.Groups[1].Value;
        return text.Length <= 60 ? text : text[..60];
    }

    /// <summary>Prints each phase's statements, most expensive first, per batch and per record, beside the phase's wall time.</summary>
    public void Print(IReadOnlyDictionary<string, (TimeSpan Wall, int Batches, int Records)> phases)
    {
        foreach (var (phase, (wall, batches, records)) in phases)
        {
            var rows = _statements.Where(s => s.Key.Phase == phase).OrderByDescending(s => s.Value.Nanoseconds).ToList();
            var wallNs = wall.Ticks * 100d;
            var inStatements = rows.Sum(r => (double)r.Value.Nanoseconds);
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  {phase}: {records / wall.TotalSeconds:N0} records/s under the profiler, {wallNs / records / 1_000:F1} µs per record"));
            Console.WriteLine("    statement                                          | calls/batch | µs/record | share");
            foreach (var ((_, label), (calls, ns)) in rows)
            {
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"    {(label.Length > 50 ? label[..50] : label),-50} | {calls / (double)batches,11:F1} | {ns / 1_000d / records,9:F2} | {ns / wallNs,5:P0}"));
            }

            if (inStatements <= wallNs)
            {
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"    {"(.NET between statements)",-50} | {"",11} | {(wallNs - inStatements) / 1_000d / records,9:F2} | {(wallNs - inStatements) / wallNs,5:P0}"));
            }
            else
            {
                Console.WriteLine("    (concurrent requests' statements overlap: the shares add up to more than the wall time)");
            }
        }
    }

    public void Dispose() => _listener?.Dispose();

    [GeneratedRegex(@"\s+")]
    private static partial Regex Whitespace();

    [GeneratedRegex(@"^INSERT INTO (\w+)", RegexOptions.IgnoreCase)]
    private static partial Regex InsertInto();

    [GeneratedRegex(@"^UPDATE (\w+)", RegexOptions.IgnoreCase)]
    private static partial Regex UpdateOf();

    // PostgreSQL's lateral probe says "col = k.k0", SQLite's JSON probe "t.col = k.value ->> 0".
    [GeneratedRegex(@"(?:t\.)?(\w+) = k\.(?:k\d|value)")]
    private static partial Regex KeyColumn();

    [GeneratedRegex(@"FROM (\w+)", RegexOptions.IgnoreCase)]
    private static partial Regex FromTable();
}
