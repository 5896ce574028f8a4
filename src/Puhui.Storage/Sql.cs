using System.Data.Common;
using System.Globalization;
using System.Text;

namespace Puhui.Storage;

/// <summary>Small helpers over ADO.NET commands, shared by both databases.</summary>
internal static class Sql
{
    /// <summary>Parameters per statement; both databases accept far more, but large statements parse slowly.</summary>
    public const int ParametersPerStatementMax = 8_000;

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
    /// parameter per column; on SQLite one prepared single-row statement executed per row (SQLite parses
    /// once and each execution only rebinds). <paramref name="suffix"/> follows the statement (e.g. an
    /// ON CONFLICT clause). Values must be long, int, string or byte[], the same type down each column.
    /// </summary>
    public static async Task InsertRowsAsync<T>(DbConnection connection, DbTransaction? tx, string table, string[] columns, IReadOnlyList<T> rows, Func<T, int, object?> value, string suffix, CancellationToken ct)
    {
        if (rows.Count == 0) return;
        if (connection is Npgsql.NpgsqlConnection)
        {
            await using var cmd = Command(connection, tx, "");
            var selects = new StringBuilder();
            for (var c = 0; c < columns.Length; c++)
            {
                var array = ColumnArray(rows, value, c, out var sqlType);
                if (c > 0) selects.Append(", ");
                selects.Append(CultureInfo.InvariantCulture, $"@c{c}::{sqlType}[]");
                cmd.With("@c" + c.ToString(CultureInfo.InvariantCulture), array);
            }

            cmd.CommandText = $"INSERT INTO {table} ({string.Join(", ", columns)}) SELECT * FROM unnest({selects}){suffix}";
            await cmd.ExecuteNonQueryAsync(ct);
            return;
        }

        await using (var cmd = Command(connection, tx, $"INSERT INTO {table} ({string.Join(", ", columns)}) VALUES ({string.Join(", ", columns.Select((_, c) => "@c" + c.ToString(CultureInfo.InvariantCulture)))}){suffix}"))
        {
            var parameters = new DbParameter[columns.Length];
            for (var c = 0; c < columns.Length; c++)
            {
                parameters[c] = cmd.CreateParameter();
                parameters[c].ParameterName = "@c" + c.ToString(CultureInfo.InvariantCulture);
                cmd.Parameters.Add(parameters[c]);
            }

            await cmd.PrepareAsync(ct);
            foreach (var row in rows)
            {
                for (var c = 0; c < columns.Length; c++) parameters[c].Value = value(row, c) ?? DBNull.Value;
                await cmd.ExecuteNonQueryAsync(ct);
            }
        }
    }

    /// <summary>
    /// Runs <paramref name="select"/> for every key, matching <paramref name="keyColumns"/>, and hands each
    /// found row to <paramref name="row"/>. PostgreSQL joins one array parameter per key column; SQLite runs
    /// one prepared statement per key, which on an embedded database is faster than any large statement.
    /// </summary>
    public static async Task LookupAsync<T>(DbConnection connection, DbTransaction? tx, string select, string[] keyColumns, IReadOnlyList<T> keys,
        Func<T, int, object> keyValue, Action<DbDataReader> row, CancellationToken ct)
    {
        if (keys.Count == 0) return;
        if (connection is Npgsql.NpgsqlConnection)
        {
            await using var cmd = Command(connection, tx, "");
            var arrays = new StringBuilder();
            var on = new StringBuilder();
            for (var c = 0; c < keyColumns.Length; c++)
            {
                var array = ColumnArray(keys, (k, col) => keyValue(k, col), c, out var sqlType);
                if (c > 0)
                {
                    arrays.Append(", ");
                    on.Append(" AND ");
                }

                arrays.Append(CultureInfo.InvariantCulture, $"@k{c}::{sqlType}[]");
                on.Append(CultureInfo.InvariantCulture, $"t.{keyColumns[c]} = k.k{c}");
                cmd.With("@k" + c.ToString(CultureInfo.InvariantCulture), array);
            }

            var columns = string.Join(", ", keyColumns.Select((_, c) => "k" + c.ToString(CultureInfo.InvariantCulture)));
            cmd.CommandText = $"SELECT t.* FROM ({select}) t JOIN unnest({arrays}) AS k({columns}) ON {on}";
            await using var reader = await cmd.ExecuteReaderAsync(ct);
            while (await reader.ReadAsync(ct)) row(reader);
            return;
        }

        var where = string.Join(" AND ", keyColumns.Select((col, c) => $"{col} = @k{c.ToString(CultureInfo.InvariantCulture)}"));
        await using (var cmd = Command(connection, tx, $"{select} WHERE {where}"))
        {
            var parameters = new DbParameter[keyColumns.Length];
            for (var c = 0; c < keyColumns.Length; c++)
            {
                parameters[c] = cmd.CreateParameter();
                parameters[c].ParameterName = "@k" + c.ToString(CultureInfo.InvariantCulture);
                cmd.Parameters.Add(parameters[c]);
            }

            await cmd.PrepareAsync(ct);
            foreach (var key in keys)
            {
                for (var c = 0; c < keyColumns.Length; c++) parameters[c].Value = keyValue(key, c);
                await using var reader = await cmd.ExecuteReaderAsync(ct);
                while (await reader.ReadAsync(ct)) row(reader);
            }
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

            case string:
            {
                var a = new string[rows.Count];
                for (var r = 0; r < a.Length; r++) a[r] = (string)value(rows[r], column)!;
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
