using System.Data.Common;
using System.Reflection;

namespace Puhui.Storage;

/// <summary>
/// Applies the embedded SQL scripts of a dialect in order, each once, each in its own transaction, and
/// records them in <c>schema_migrations</c>. Safe to run again and from several processes.
/// </summary>
public static class Migrator
{
    public static async Task<IReadOnlyList<string>> MigrateAsync(SqlDialect dialect, CancellationToken ct = default)
    {
        var assembly = typeof(Migrator).Assembly;
        var prefix = $"{assembly.GetName().Name}.Migrations.{dialect.MigrationFolder}.";
        var scripts = assembly.GetManifestResourceNames()
            .Where(n => n.StartsWith(prefix, StringComparison.Ordinal) && n.EndsWith(".sql", StringComparison.Ordinal))
            .Select(n => (Resource: n, Name: n[prefix.Length..^4]))
            .OrderBy(s => s.Name, StringComparer.Ordinal)
            .ToList();

        await using var connection = await dialect.OpenAsync(ct);
        if (dialect.Kind == StoreKind.Postgres)
        {
            // Processes migrating at once wait for each other here, before even the bookkeeping table is created:
            // concurrent CREATE TABLE IF NOT EXISTS can still collide in PostgreSQL's catalogue. The lock belongs to
            // this session and ends with it.
            await using var lockCmd = Sql.Command(connection, null, $"SELECT pg_advisory_lock({MigrationLock})");
            await lockCmd.ExecuteNonQueryAsync(ct);
        }

        try
        {
            return await ApplyAsync(dialect, connection, assembly, scripts, ct);
        }
        finally
        {
            if (dialect.Kind == StoreKind.Postgres)
            {
                await using var unlock = Sql.Command(connection, null, $"SELECT pg_advisory_unlock({MigrationLock})");
                await unlock.ExecuteNonQueryAsync(CancellationToken.None);
            }
        }
    }

    private const long MigrationLock = 7_421_001;

    private static async Task<IReadOnlyList<string>> ApplyAsync(SqlDialect dialect, DbConnection connection, Assembly assembly, List<(string Resource, string Name)> scripts, CancellationToken ct)
    {
        await using (var create = Sql.Command(connection, null, "CREATE TABLE IF NOT EXISTS schema_migrations (name TEXT PRIMARY KEY, applied_us BIGINT NOT NULL)"))
            await create.ExecuteNonQueryAsync(ct);

        var applied = new List<string>();
        foreach (var (resource, name) in scripts)
        {
            await using var tx = dialect.Kind == StoreKind.Postgres ? await connection.BeginTransactionAsync(ct) : await dialect.BeginAppendAsync(connection, ct);
            await using (var check = Sql.Command(connection, tx, "SELECT COUNT(*) FROM schema_migrations WHERE name = @name").With("@name", name))
            {
                if (Convert.ToInt64(await check.ExecuteScalarAsync(ct), System.Globalization.CultureInfo.InvariantCulture) > 0)
                {
                    await tx.RollbackAsync(ct);
                    continue;
                }
            }

            await using (var run = Sql.Command(connection, tx, await ReadAsync(assembly, resource)))
                await run.ExecuteNonQueryAsync(ct);
            await using (var record = Sql.Command(connection, tx, "INSERT INTO schema_migrations (name, applied_us) VALUES (@name, @at)")
                .With("@name", name).With("@at", DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() * 1000))
                await record.ExecuteNonQueryAsync(ct);
            await tx.CommitAsync(ct);
            applied.Add(name);
        }

        return applied;
    }

    private static async Task<string> ReadAsync(Assembly assembly, string resource)
    {
        await using var stream = assembly.GetManifestResourceStream(resource)
            ?? throw new InvalidOperationException($"Migration {resource} is not embedded.");
        using var reader = new StreamReader(stream);
        return await reader.ReadToEndAsync();
    }
}
