using System.Collections.Concurrent;
using System.Data;
using System.Data.Common;
using Microsoft.Data.Sqlite;
using Npgsql;

namespace Puhui.Storage;

/// <summary>Which database a store runs on.</summary>
public enum StoreKind
{
    Sqlite,
    Postgres,
}

/// <summary>
/// The few things that differ between SQLite and PostgreSQL. The schema, the queries and the write path
/// are shared; only connecting, taking the write lock and the migration scripts differ.
/// </summary>
public abstract class SqlDialect : IAsyncDisposable
{
    public abstract StoreKind Kind { get; }

    /// <summary>The setting this dialect was made from, so another process or store can open the same database.</summary>
    public string Setting { get; private init; } = "";

    /// <summary>The folder of embedded migration scripts for this database.</summary>
    public abstract string MigrationFolder { get; }

    /// <summary>A description of the database that is safe to print (no password).</summary>
    public abstract string Describe();

    public abstract Task<DbConnection> OpenAsync(CancellationToken ct);

    /// <summary>
    /// Begins the transaction that appends to the journal and returns the chain head. Only one append runs
    /// at a time across every process: SQLite takes its single write lock (BEGIN IMMEDIATE), PostgreSQL
    /// locks the ledger head row.
    /// </summary>
    public abstract Task<DbTransaction> BeginAppendAsync(DbConnection connection, CancellationToken ct);

    /// <summary>Like <see cref="BeginAppendAsync"/>, and returns the chain head, in the same round trip where the database allows.</summary>
    public virtual async Task<(DbTransaction Transaction, long HeadSeq, byte[] HeadHash)> BeginAppendReadingHeadAsync(DbConnection connection, CancellationToken ct)
    {
        var tx = await BeginAppendAsync(connection, ct);
        var (seq, hash) = await ReadHeadAsync(connection, tx, "", ct);
        return (tx, seq, hash);
    }

    /// <summary>Reads the chain head: the number of transactions and the last one's hash.</summary>
    internal static async Task<(long Seq, byte[] Hash)> ReadHeadAsync(DbConnection connection, DbTransaction? tx, string lockClause, CancellationToken ct)
    {
        await using var cmd = connection.CreateCommand();
        cmd.Transaction = tx;
        cmd.CommandText = "SELECT last_seq, last_hash FROM ledger_head WHERE id = 1" + lockClause;
        await using var r = await cmd.ExecuteReaderAsync(ct);
        if (!await r.ReadAsync(ct)) throw new InvalidOperationException("The ledger head is missing: run puhui migrate.");
        return (r.GetInt64(0), (byte[])r.GetValue(1));
    }

    /// <summary>Begins a read-only transaction that sees one consistent snapshot and never blocks writers.</summary>
    public abstract Task<DbTransaction> BeginSnapshotAsync(DbConnection connection, CancellationToken ct);

    /// <summary>True when the database refused a statement because it would duplicate a unique key.</summary>
    public abstract bool IsUniqueViolation(DbException exception);

    /// <summary>Serialises this process's writers before they contend for the database's own lock.</summary>
    public abstract Task<IDisposable> EnterWriterAsync(CancellationToken ct);

    public abstract ValueTask DisposeAsync();

    /// <summary>
    /// Chooses the database from a connection setting: anything with <c>Host=</c> is PostgreSQL; otherwise the
    /// setting is a SQLite file path (or a SQLite connection string with <c>Data Source=</c>).
    /// </summary>
    public static SqlDialect FromSetting(string setting)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(setting);
        if (IsPostgresSetting(setting)) return new PostgresDialect(setting) { Setting = setting };
        return new SqliteDialect(setting) { Setting = setting };
    }

    /// <summary>
    /// The folder for files that belong with a store (the master key, the demo's credentials): the folder of a
    /// SQLite database file, else <c>./data</c> (PostgreSQL, or an in-memory or URI-named SQLite database).
    /// </summary>
    public static string DataDirectory(string setting)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(setting);
        var fallback = Path.GetFullPath("data");
        if (IsPostgresSetting(setting)) return fallback;
        var dataSource = setting.Contains('=', StringComparison.Ordinal) ? new SqliteConnectionStringBuilder(setting).DataSource : setting;
        if (string.IsNullOrWhiteSpace(dataSource) || dataSource == ":memory:" || dataSource.StartsWith("file:", StringComparison.OrdinalIgnoreCase))
            return fallback;
        return Path.GetDirectoryName(Path.GetFullPath(dataSource)) ?? Path.GetFullPath(".");
    }

    /// <summary>True when <see cref="FromSetting"/> would open PostgreSQL for this setting.</summary>
    internal static bool IsPostgresSetting(string setting)
        => setting.Contains("Host=", StringComparison.OrdinalIgnoreCase) || setting.StartsWith("postgres", StringComparison.OrdinalIgnoreCase);
}

internal sealed class SqliteDialect : SqlDialect
{
    private static readonly ConcurrentDictionary<string, SemaphoreSlim> Writers = new(StringComparer.Ordinal);
    private readonly string _connectionString;
    private readonly string _path;
    private readonly SemaphoreSlim _writer;

    public SqliteDialect(string setting)
    {
        var builder = setting.Contains('=', StringComparison.Ordinal)
            ? new SqliteConnectionStringBuilder(setting)
            : new SqliteConnectionStringBuilder { DataSource = setting };
        builder.Pooling = true;
        builder.DefaultTimeout = 60;
        _path = Path.GetFullPath(builder.DataSource);
        var dir = Path.GetDirectoryName(_path);
        if (!string.IsNullOrEmpty(dir)) Directory.CreateDirectory(dir);
        builder.DataSource = _path;
        _connectionString = builder.ToString();
        _writer = Writers.GetOrAdd(_path, _ => new SemaphoreSlim(1, 1));
    }

    private const int SqliteConstraint = 19, SqliteConstraintUnique = 2067, SqliteConstraintPrimaryKey = 1555;

    public override StoreKind Kind => StoreKind.Sqlite;

    public override bool IsUniqueViolation(DbException exception)
        => exception is SqliteException { SqliteErrorCode: SqliteConstraint, SqliteExtendedErrorCode: SqliteConstraintUnique or SqliteConstraintPrimaryKey };
    public override string MigrationFolder => "Sqlite";
    public override string Describe() => "SQLite " + _path;

    public override async Task<DbConnection> OpenAsync(CancellationToken ct)
    {
        var connection = new SqliteConnection(_connectionString);
        await connection.OpenAsync(ct);
        using var pragma = connection.CreateCommand();
        // WAL lets readers run beside the writer; FULL makes every commit durable before it is acknowledged.
        pragma.CommandText = "PRAGMA busy_timeout = 60000; PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL; PRAGMA foreign_keys = ON; PRAGMA cache_size = -65536;";
        await pragma.ExecuteNonQueryAsync(ct);
        return connection;
    }

    public override Task<DbTransaction> BeginAppendAsync(DbConnection connection, CancellationToken ct)
    {
        // BEGIN IMMEDIATE takes the database's write lock now, so the balances read next cannot change under us.
        return Task.FromResult<DbTransaction>(((SqliteConnection)connection).BeginTransaction(IsolationLevel.Serializable, deferred: false));
    }

    public override Task<DbTransaction> BeginSnapshotAsync(DbConnection connection, CancellationToken ct)
        => Task.FromResult<DbTransaction>(((SqliteConnection)connection).BeginTransaction(IsolationLevel.Serializable, deferred: true));

    public override async Task<IDisposable> EnterWriterAsync(CancellationToken ct)
    {
        await _writer.WaitAsync(ct);
        return new Release(_writer);
    }

    public override ValueTask DisposeAsync() => ValueTask.CompletedTask;

    private sealed class Release(SemaphoreSlim semaphore) : IDisposable
    {
        public void Dispose() => semaphore.Release();
    }
}

internal sealed class PostgresDialect : SqlDialect
{
    private readonly NpgsqlDataSource _dataSource;
    private readonly string _description;

    public PostgresDialect(string setting)
    {
        var builder = new NpgsqlConnectionStringBuilder(setting);
        _description = $"PostgreSQL {builder.Host}:{builder.Port}/{builder.Database}";
        _dataSource = NpgsqlDataSource.Create(builder);
    }

    public override StoreKind Kind => StoreKind.Postgres;

    public override bool IsUniqueViolation(DbException exception) => exception is PostgresException { SqlState: PostgresErrorCodes.UniqueViolation };
    public override string MigrationFolder => "Postgres";
    public override string Describe() => _description;

    public override async Task<DbConnection> OpenAsync(CancellationToken ct) => await _dataSource.OpenConnectionAsync(ct);

    public override async Task<DbTransaction> BeginAppendAsync(DbConnection connection, CancellationToken ct)
        => (await BeginAppendReadingHeadAsync(connection, ct)).Transaction;

    public override async Task<(DbTransaction Transaction, long HeadSeq, byte[] HeadHash)> BeginAppendReadingHeadAsync(DbConnection connection, CancellationToken ct)
    {
        var tx = await connection.BeginTransactionAsync(IsolationLevel.ReadCommitted, ct);
        // Every appender queues on this row lock, across processes; under READ COMMITTED each later
        // statement then sees everything committed before the lock was granted.
        var (seq, hash) = await ReadHeadAsync(connection, tx, " FOR UPDATE", ct);
        return (tx, seq, hash);
    }

    public override async Task<DbTransaction> BeginSnapshotAsync(DbConnection connection, CancellationToken ct)
        => await connection.BeginTransactionAsync(IsolationLevel.RepeatableRead, ct);

    // PostgreSQL's row lock already queues writers fairly; holding connections idle in a local queue would not help.
    public override Task<IDisposable> EnterWriterAsync(CancellationToken ct) => Task.FromResult<IDisposable>(NoLock.Instance);

    public override ValueTask DisposeAsync() => _dataSource.DisposeAsync();

    private sealed class NoLock : IDisposable
    {
        public static readonly NoLock Instance = new();
        public void Dispose()
        {
        }
    }
}
