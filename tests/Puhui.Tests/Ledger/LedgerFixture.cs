using Puhui.Ledger;
using Puhui.Storage.Ledger;

namespace Puhui.Tests.Ledger;

/// <summary>A store with a few persons, organisations and batches, for tests that need something to move.</summary>
public sealed class LedgerWorld : IAsyncDisposable
{
    public static readonly DateTimeOffset T0 = new(2026, 3, 1, 9, 0, 0, TimeSpan.FromHours(8));
    public static readonly DateOnly Day0 = new(2026, 3, 1);

    private LedgerWorld(LedgerStore store) => Store = store;

    public LedgerStore Store { get; }
    public AccountId PointsSource { get; private set; }
    public AccountId GramsSource { get; private set; }
    public AccountId Redeemed { get; private set; }
    public AccountId Expired { get; private set; }
    public AccountId Retired { get; private set; }
    public AccountId Alice { get; private set; }
    public AccountId Bob { get; private set; }
    public AccountId Provider { get; private set; }
    public AccountId Developer { get; private set; }
    public BatchId Metro { get; private set; }
    public BatchId Egov { get; private set; }
    public BatchId Project { get; private set; }

    public static async Task<LedgerWorld> CreateAsync(Puhui.Storage.StoreKind kind)
    {
        var store = await TestStores.CreateAsync(kind);
        var w = new LedgerWorld(store)
        {
            PointsSource = await store.SystemAccountAsync(SystemAccounts.PointsIssuance),
            GramsSource = await store.SystemAccountAsync(SystemAccounts.ReductionIssuance),
            Redeemed = await store.SystemAccountAsync(SystemAccounts.Redeemed),
            Expired = await store.SystemAccountAsync(SystemAccounts.Expired),
            Retired = await store.SystemAccountAsync(SystemAccounts.Retired),
        };
        w.Alice = (await store.OpenAccountAsync(new NewAccount(AccountKind.Person, "p:alice", "Alice"))).Id;
        w.Bob = (await store.OpenAccountAsync(new NewAccount(AccountKind.Person, "p:bob", "Bob"))).Id;
        w.Provider = (await store.OpenAccountAsync(new NewAccount(AccountKind.Organisation, "o:provider", "Provider", OrganisationRoles.Provider))).Id;
        w.Developer = (await store.OpenAccountAsync(new NewAccount(AccountKind.Organisation, "o:developer", "Developer", OrganisationRoles.ProjectDeveloper))).Id;
        w.Metro = (await store.CreateBatchAsync(new NewBatch("METRO-202603", BatchOrigin.Scenario, "metro", "metro", "1.0.0", MethodologyClass.II, 2026, "320100"))).Id;
        w.Egov = (await store.CreateBatchAsync(new NewBatch("EGOV-202603", BatchOrigin.Scenario, "egov"))).Id;
        w.Project = (await store.CreateBatchAsync(new NewBatch("PV-2026-P1", BatchOrigin.ProjectPeriod, "pv", "pv", "1.0.0", MethodologyClass.I, 2026, "320100"))).Id;
        return w;
    }

    public Task<LotResult> IssueAsync(AccountId person, BatchId batch, long points, long grams, string key, DateOnly? day = null, DateOnly? expiresOn = null)
    {
        var d = day ?? Day0;
        return PointLotOperations.IssueAsync(Store, person, batch, d, expiresOn ?? d.AddYears(2), new Points(points), new Grams(grams), key, "test", "", T0);
    }

    public Task<AppendResult> IssueProjectAsync(AccountId to, long grams, string key)
        => Store.AppendAsync(new TransactionBuilder(TransactionKind.Issue, key, T0, "test").MoveGrams(GramsSource, to, Project, new Grams(grams)).Build());

    public ValueTask DisposeAsync() => Store.DisposeAsync();
}
