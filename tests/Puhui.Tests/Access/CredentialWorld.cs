using System.Globalization;
using Puhui.Ingestion;
using Puhui.Ledger;
using Puhui.Storage;
using Puhui.Storage.Access;
using Puhui.Storage.Ledger;

namespace Puhui.Tests.Access;

/// <summary>A migrated store on a manual clock with two persons, two operators and an organisation without the operator role.</summary>
public sealed class CredentialWorld : IAsyncDisposable
{
    public static readonly DateTimeOffset T0 = new(2026, 11, 2, 9, 0, 0, TimeSpan.FromHours(8));

    private CredentialWorld(LedgerStore store, ManualClock clock)
    {
        Store = store;
        Clock = clock;
    }

    public LedgerStore Store { get; }
    public ManualClock Clock { get; }
    public AccountId Alice { get; private set; }
    public AccountId Bob { get; private set; }
    public AccountId Metro { get; private set; }
    public AccountId BikeShare { get; private set; }

    /// <summary>An organisation that provides offers but runs no scenario.</summary>
    public AccountId Provider { get; private set; }

    public static async Task<CredentialWorld> CreateAsync(StoreKind kind)
    {
        var clock = new ManualClock(T0);
        var store = await TestStores.CreateAsync(kind, clock);
        return new CredentialWorld(store, clock)
        {
            Alice = (await store.OpenAccountAsync(new NewAccount(AccountKind.Person, "p:alice", "Alice"))).Id,
            Bob = (await store.OpenAccountAsync(new NewAccount(AccountKind.Person, "p:bob", "Bob"))).Id,
            Metro = (await store.OpenAccountAsync(new NewAccount(AccountKind.Organisation, "o:metro", "Metro", OrganisationRoles.Operator))).Id,
            BikeShare = (await store.OpenAccountAsync(new NewAccount(AccountKind.Organisation, "o:bike", "Bike share", OrganisationRoles.Operator | OrganisationRoles.Provider))).Id,
            Provider = (await store.OpenAccountAsync(new NewAccount(AccountKind.Organisation, "o:shop", "Shop", OrganisationRoles.Provider))).Id,
        };
    }

    /// <summary>Inserts a scenario row directly: these tests need its code, operator and status, not its rules.</summary>
    public async Task<long> AddScenarioAsync(string code, AccountId operatorAccount, ScenarioStatus status)
    {
        await using var connection = await Store.Dialect.OpenAsync(default);
        var now = CanonicalEncoding.ToUnixMicroseconds(Clock.GetUtcNow());
        await using var cmd = Sql.Command(connection, null, """
            INSERT INTO scenarios (code, operator_id, methodology_id, methodology_version, definition, status, revision, created_us, updated_us)
            VALUES (@c, @o, '', '', '{}', @s, 1, @t, @t) RETURNING id
            """)
            .With("@c", code).With("@o", operatorAccount.Value).With("@s", (long)status).With("@t", now);
        return Convert.ToInt64(await cmd.ExecuteScalarAsync(), CultureInfo.InvariantCulture);
    }

    /// <summary>The number of rows in a table, read straight from the database.</summary>
    public async Task<long> CountAsync(string table)
    {
        await using var connection = await Store.Dialect.OpenAsync(default);
        await using var cmd = Sql.Command(connection, null, "SELECT COUNT(*) FROM " + table);
        return Convert.ToInt64(await cmd.ExecuteScalarAsync(), CultureInfo.InvariantCulture);
    }

    /// <summary>The first column of the first row of a query, read straight from the database.</summary>
    public async Task<object?> ScalarAsync(string sql)
    {
        await using var connection = await Store.Dialect.OpenAsync(default);
        await using var cmd = Sql.Command(connection, null, sql);
        return await cmd.ExecuteScalarAsync();
    }

    public static MasterKey TestKey { get; } = MasterKey.FromBytes(Enumerable.Range(1, MasterKey.KeyBytes).Select(i => (byte)i).ToArray());

    public ValueTask DisposeAsync() => Store.DisposeAsync();
}
