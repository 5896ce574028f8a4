using System.Data.Common;
using System.Globalization;
using System.Text;
using Npgsql;

namespace Puhui.Storage;

/// <summary>Small helpers over ADO.NET commands, shared by both databases.</summary>
internal static class Sql
{
    /// <summary>Values listed literally in one statement at most (sequence numbers in an IN list).</summary>
    public const int ListedValuesMax = 8_000;

    public static DbCommand Command(DbConnection connection, DbTransaction? tx, string sql)
    {
        var cmd = connection.CreateCommand();
        cmd.Transaction = tx;
        cmd.CommandText = sql;
        return cmd;
    }

    public static DbCommand With(this DbCommand cmd, string name, object? value)
    {
        var p = cmd.CreateParameter();
        p.ParameterName = name;
        p.Value = value ?? DBNull.Value;
        cmd.Parameters.Add(p);
        return cmd;
    }

    /// <summary>
    /// Inserts rows the fastest way each database offers: on PostgreSQL one statement that unnests one array
    /// parameter per column; on SQLite one prepared statement executed per row, only rebinding values.
    /// <paramref name="suffix"/> follows the statement (e.g. an ON CONFLICT clause). Values must be long, int,
    /// string or byte[], the same type down each column. Returns the number of rows inserted or updated.
    /// </summary>
    public static async Task<int> InsertRowsAsync<T>(DbConnection connection, DbTransaction? tx, string table, string[] columns, IReadOnlyList<T> rows,
        Func<T, int, object?> value, string suffix, CancellationToken ct)
    {
        if (rows.Count == 0) return 0;
        if (connection is NpgsqlConnection)
        {
            await using var cmd = Command(connection, tx, "");
            cmd.CommandText = UnnestInsert(table, columns, rows, value, suffix, (name, array) => cmd.With(name, array));
            return await cmd.ExecuteNonQueryAsync(ct);
        }

        await using var insert = Command(connection, tx, $"INSERT INTO {table} ({string.Join(", ", columns)}) VALUES ({string.Join(", ", columns.Select((_, c) => "@c" + c.ToString(CultureInfo.InvariantCulture)))}){suffix}");
        var parameters = new DbParameter[columns.Length];
        for (var c = 0; c < columns.Length; c++)
        {
            parameters[c] = insert.CreateParameter();
            parameters[c].ParameterName = "@c" + c.ToString(CultureInfo.InvariantCulture);
            insert.Parameters.Add(parameters[c]);
        }

        await insert.PrepareAsync(ct);
        var affected = 0;
        foreach (var row in rows)
        {
            for (var c = 0; c < columns.Length; c++) parameters[c].Value = value(row, c) ?? DBNull.Value;
            affected += await insert.ExecuteNonQueryAsync(ct);
        }

        return affected;
    }

    /// <summary>PostgreSQL: adds the same insert to a batch, so that several statements travel in one round trip.</summary>
    public static void AddInsert<T>(NpgsqlBatch batch, string table, string[] columns, IReadOnlyList<T> rows, Func<T, int, object?> value, string suffix)
    {
        if (rows.Count == 0) return;
        var command = new NpgsqlBatchCommand();
        command.CommandText = UnnestInsert(table, columns, rows, value, suffix, (name, array) => command.Parameters.AddWithValue(name, array));
        batch.BatchCommands.Add(command);
    }

    private static string UnnestInsert<T>(string table, string[] columns, IReadOnlyList<T> rows, Func<T, int, object?> value, string suffix, Action<string, Array> addParameter)
    {
        var selects = new StringBuilder();
        for (var c = 0; c < columns.Length; c++)
        {
            var array = ColumnArray(rows, value, c, out var sqlType);
            if (c > 0) selects.Append(", ");
            selects.Append(CultureInfo.InvariantCulture, $"@c{c}::{sqlType}[]");
            addParameter("c" + c.ToString(CultureInfo.InvariantCulture), array);
        }

        return $"INSERT INTO {table} ({string.Join(", ", columns)}) SELECT * FROM unnest({selects}){suffix}";
    }

    private static void AppendJson(StringBuilder json, object? value)
    {
        switch (value)
        {
            case long l:
                json.Append(l.ToString(CultureInfo.InvariantCulture));
                break;
            case int i:
                json.Append(i.ToString(CultureInfo.InvariantCulture));
                break;
            case string text:
                json.Append(System.Text.Json.JsonSerializer.Serialize(text));
                break;
            case byte[] bytes:
                json.Append('"').Append(Convert.ToHexString(bytes)).Append('"');
                break;
            default:
                throw new ArgumentException($"A bulk value is a long, int, string or byte[], not {value?.GetType().Name ?? "null"}.", nameof(value));
        }
    }

    /// <summary>
    /// Runs <paramref name="select"/> for every key, matching <paramref name="keyColumns"/>, and hands each
    /// found row to <paramref name="row"/>. PostgreSQL probes the index once per element of one array
    /// parameter per key column; SQLite once per element of one JSON array parameter.
    /// </summary>
    public static async Task LookupAsync<T>(DbConnection connection, DbTransaction? tx, string select, string[] keyColumns, IReadOnlyList<T> keys,
        Func<T, int, object> keyValue, Action<DbDataReader> row, CancellationToken ct)
    {
        if (keys.Count == 0) return;
        if (connection is NpgsqlConnection)
        {
            // A lateral probe per key keeps the planner on the index however many keys there are. OFFSET 0 fences the
            // subquery: without it PostgreSQL flattens the lateral join into an ordinary one and, with statistics
            // lagging behind a growing table, often picks a hash join over a sequential scan of the whole table.
            await using var cmd = Command(connection, tx, "");
            var arrays = new StringBuilder();
            for (var c = 0; c < keyColumns.Length; c++)
            {
                var array = ColumnArray(keys, (k, col) => keyValue(k, col), c, out var sqlType);
                if (c > 0) arrays.Append(", ");
                arrays.Append(CultureInfo.InvariantCulture, $"@k{c}::{sqlType}[]");
                cmd.With("@k" + c.ToString(CultureInfo.InvariantCulture), array);
            }

            var columns = string.Join(", ", keyColumns.Select((_, c) => "k" + c.ToString(CultureInfo.InvariantCulture)));
            var match = string.Join(" AND ", keyColumns.Select((col, c) => $"{col} = k.k{c.ToString(CultureInfo.InvariantCulture)}"));
            cmd.CommandText = $"SELECT t.* FROM unnest({arrays}) AS k({columns}) CROSS JOIN LATERAL ({select} WHERE {match} OFFSET 0) t";
            await using var reader = await cmd.ExecuteReaderAsync(ct);
            while (await reader.ReadAsync(ct)) row(reader);
            return;
        }

        {
            // SQLite: one statement over a JSON array of keys, so the per-call cost is paid once, not per key.
            var json = new StringBuilder("[");
            for (var i = 0; i < keys.Count; i++)
            {
                if (i > 0) json.Append(',');
                json.Append('[');
                for (var c = 0; c < keyColumns.Length; c++)
                {
                    if (c > 0) json.Append(',');
                    AppendJson(json, keyValue(keys[i], c));
                }

                json.Append(']');
            }

            json.Append(']');
            var match = string.Join(" AND ", keyColumns.Select((col, c) => $"t.{col} = k.value ->> {c.ToString(CultureInfo.InvariantCulture)}"));
            var sql = $"SELECT t.* FROM json_each(@keys) k CROSS JOIN ({select}) t WHERE {match}";
            await using var cmd = Command(connection, tx, sql).With("@keys", json.ToString());
            await using var reader = await cmd.ExecuteReaderAsync(ct);
            while (await reader.ReadAsync(ct)) row(reader);
        }
    }

    /// <summary>
    /// Evaluates a scalar subquery once per key in one statement: <paramref name="scalar"/> names the key as
    /// <c>k.id</c> (e.g. <c>SELECT MAX(x) FROM t WHERE id = k.id</c>). Each key and its value (null when the
    /// subquery found nothing) go to <paramref name="row"/>.
    /// </summary>
    public static async Task ScalarPerKeyAsync(DbConnection connection, DbTransaction? tx, string scalar, IReadOnlyList<long> keys, Action<long, long?> row, CancellationToken ct)
    {
        if (keys.Count == 0) return;
        DbCommand cmd;
        if (connection is NpgsqlConnection)
        {
            cmd = Command(connection, tx, $"SELECT k.id, ({scalar}) FROM unnest(@keys::bigint[]) AS k(id)").With("@keys", keys.ToArray());
        }
        else
        {
            cmd = Command(connection, tx, $"SELECT k.id, ({scalar}) FROM (SELECT value AS id FROM json_each(@keys)) k")
                .With("@keys", "[" + string.Join(",", keys.Select(k => k.ToString(CultureInfo.InvariantCulture))) + "]");
        }

        await using (cmd)
        {
            await using var reader = await cmd.ExecuteReaderAsync(ct);
            while (await reader.ReadAsync(ct)) row(reader.GetInt64(0), reader.IsDBNull(1) ? null : reader.GetInt64(1));
        }
    }

    private static Array ColumnArray<T>(IReadOnlyList<T> rows, Func<T, int, object?> value, int column, out string sqlType)
    {
        switch (value(rows[0], column))
        {
            case long:
            {
                var a = new long[rows.Count];
                for (var r = 0; r < a.Length; r++) a[r] = (long)value(rows[r], column)!;
                sqlType = "bigint";
                return a;
            }

            case int:
            {
                var a = new int[rows.Count];
                for (var r = 0; r < a.Length; r++) a[r] = (int)value(rows[r], column)!;
                sqlType = "integer";
                return a;
            }

            case string or null:
            {
                // Text columns may hold nulls (a column whose first value is null is taken to be text).
                var a = new string?[rows.Count];
                for (var r = 0; r < a.Length; r++) a[r] = (string?)value(rows[r], column);
                sqlType = "text";
                return a;
            }

            case byte[]:
            {
                var a = new byte[rows.Count][];
                for (var r = 0; r < a.Length; r++) a[r] = (byte[])value(rows[r], column)!;
                sqlType = "bytea";
                return a;
            }

            default:
                throw new ArgumentException($"Column {column} holds a type the bulk insert does not map.", nameof(value));
        }
    }
}
