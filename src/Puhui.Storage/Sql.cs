using System.Data.Common;
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
    /// Inserts rows with multi-row VALUES statements of at most <see cref="ParametersPerStatementMax"/> parameters.
    /// <paramref name="suffix"/> follows each statement (e.g. an ON CONFLICT clause).
    /// </summary>
    public static async Task InsertRowsAsync<T>(DbConnection connection, DbTransaction? tx, string table, string[] columns, IReadOnlyList<T> rows, Func<T, int, object?> value, string suffix, CancellationToken ct)
    {
        var rowsPerStatement = Math.Max(1, ParametersPerStatementMax / columns.Length);
        for (var start = 0; start < rows.Count; start += rowsPerStatement)
        {
            var count = Math.Min(rowsPerStatement, rows.Count - start);
            var sql = new StringBuilder(64 + count * columns.Length * 8);
            sql.Append("INSERT INTO ").Append(table).Append(" (").AppendJoin(", ", columns).Append(") VALUES ");
            await using var cmd = Command(connection, tx, "");
            for (var r = 0; r < count; r++)
            {
                if (r > 0) sql.Append(", ");
                sql.Append('(');
                for (var c = 0; c < columns.Length; c++)
                {
                    if (c > 0) sql.Append(", ");
                    var name = "@p" + (r * columns.Length + c).ToString(System.Globalization.CultureInfo.InvariantCulture);
                    sql.Append(name);
                    cmd.With(name, value(rows[start + r], c));
                }

                sql.Append(')');
            }

            sql.Append(suffix);
            cmd.CommandText = sql.ToString();
            await cmd.ExecuteNonQueryAsync(ct);
        }
    }
}
