using System.Globalization;
using System.Text;
using Puhui.Storage;
using Puhui.Storage.Ledger;

namespace Puhui.Tests;

/// <summary>The rows some queries return, as text: taken before and after a refused request, the two must be equal.</summary>
public static class StoreSnapshot
{
    public static async Task<string> ReadAsync(LedgerStore store, params string[] queries)
    {
        ArgumentNullException.ThrowIfNull(store);
        var text = new StringBuilder();
        await using var connection = await store.Dialect.OpenAsync(default);
        foreach (var sql in queries)
        {
            await using var cmd = Sql.Command(connection, null, sql);
            await using var r = await cmd.ExecuteReaderAsync();
            while (await r.ReadAsync())
            {
                for (var i = 0; i < r.FieldCount; i++) text.Append(Convert.ToString(r.GetValue(i), CultureInfo.InvariantCulture)).Append('|');
                text.Append('\n');
            }
        }

        return text.ToString();
    }
}
