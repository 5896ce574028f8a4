using System.Globalization;
using Puhui.Ledger;
using Puhui.Storage;
using Puhui.Storage.Holdings;
using Puhui.Storage.Ledger;

namespace Puhui.Tests.Holdings;

/// <summary>
/// Three organisations (a PV developer, a buyer and a bank that lends against reductions), a person, and two project
/// batches issued to the developer straight from the reduction issuance account: 100 t of a Nanjing PV batch and 10 t of a
/// batch without a region. The clock stands on 10 February 2026.
/// </summary>
public sealed class HoldingsWorld : IAsyncDisposable
{
    public static readonly DateTimeOffset Start = new(2026, 2, 10, 2, 0, 0, TimeSpan.Zero);
    public const long PvGrams = 100 * Grams.PerTonne;
    public const long PlainGrams = 10 * Grams.PerTonne;

    private HoldingsWorld(LedgerStore store, ManualClock clock)
    {
        Store = store;
        Clock = clock;
        Holdings = new ReductionHoldings(store, clock);
    }

    public LedgerStore Store { get; }
    public ManualClock Clock { get; }
    public ReductionHoldings Holdings { get; }
    public AccountId Developer { get; private set; }
    public AccountId Buyer { get; private set; }
    public AccountId Bank { get; private set; }
    public AccountId Person { get; private set; }
    public BatchId Pv { get; private set; }
    public BatchId Plain { get; private set; }

    public static async Task<HoldingsWorld> CreateAsync(StoreKind kind)
    {
        var clock = new ManualClock(Start);
        var w = new HoldingsWorld(await TestStores.CreateAsync(kind, clock), clock);
        w.Developer = await w.OrganisationAsync("o:dev", "江宁光伏开发 / Jiangning PV Developer", OrganisationRoles.ProjectDeveloper);
        w.Buyer = await w.OrganisationAsync("o:buyer", "南京会展公司 / Nanjing Expo Co.", OrganisationRoles.Buyer);
        w.Bank = await w.OrganisationAsync("o:bank", "紫金农商银行 / Zijin Rural Bank", OrganisationRoles.Buyer);
        w.Person = (await w.Store.OpenAccountAsync(new NewAccount(AccountKind.Person, "p:li", "李明 / Li Ming"))).Id;
        w.Pv = await w.IssueAsync("PRJ1-20250101-20250630", "320115", w.Developer, PvGrams);
        w.Plain = await w.IssueAsync("SCN-CYCLE-202601", "", w.Developer, PlainGrams);
        return w;
    }

    public async Task<AccountId> OrganisationAsync(string code, string name, OrganisationRoles roles)
        => (await Store.OpenAccountAsync(new NewAccount(AccountKind.Organisation, code, name, roles))).Id;

    public async Task<BatchId> IssueAsync(string code, string region, AccountId to, long grams)
    {
        var batch = await Store.CreateBatchAsync(new NewBatch(code, BatchOrigin.ProjectPeriod, "test:" + code, "distributed-pv", "1.0.0", MethodologyClass.I, 2025, region));
        var issuance = await Store.SystemAccountAsync(SystemAccounts.ReductionIssuance);
        var tx = new TransactionBuilder(TransactionKind.Issue, "test-issue:" + code, Clock.GetUtcNow(), "test").MoveGrams(issuance, to, batch.Id, new Grams(grams)).Build();
        Assert.Equal(AppendStatus.Committed, (await Store.AppendAsync(tx)).Status);
        return batch.Id;
    }

    public async Task<long> BalanceAsync(AccountId account, BatchId batch) =>
        (await Store.GetBalancesAsync(account)).Where(b => b.Asset == Asset.Co2 && b.Batch == batch).Sum(b => b.Amount);

    public async Task<long> SystemBalanceAsync(string code, BatchId batch) => await BalanceAsync(await Store.SystemAccountAsync(code), batch);

    /// <summary>Every row a holdings write could touch: a refusal must leave it exactly as it was.</summary>
    public async Task<string> SnapshotAsync()
    {
        var (sequence, hash) = await Store.GetHeadAsync();
        return string.Create(CultureInfo.InvariantCulture, $"ledger head {sequence} {Convert.ToHexString(hash)}\n") + await StoreSnapshot.ReadAsync(Store,
            "SELECT account_id, asset, batch_id, lot_id, amount FROM balances ORDER BY account_id, asset, batch_id, lot_id",
            "SELECT id, from_id, to_id, batch_id, grams, request_key FROM holding_transfers ORDER BY id",
            "SELECT id, holder_id, lender_id, batch_id, grams, status, COALESCE(closed_tx_id, '') FROM pledges ORDER BY id",
            "SELECT id, holder_id, batch_id, grams, purpose, serial_from, serial_to FROM retirements ORDER BY id",
            "SELECT id, retirement_id, text FROM retirement_notes ORDER BY id",
            "SELECT batch_id, next_kg FROM serial_cursors ORDER BY batch_id",
            "SELECT year, entity_id, kilograms FROM compliance_caps ORDER BY year, entity_id",
            "SELECT id, holder_id, batch_id, grams FROM bridges ORDER BY id");
    }

    /// <summary>Runs a write that must be refused with <paramref name="status"/>, and checks that nothing changed.</summary>
    public async Task<HoldingResult<T>> RefusedAsync<T>(Func<Task<HoldingResult<T>>> write, HoldingStatus status, string detailContains = "")
        where T : class
    {
        var before = await SnapshotAsync();
        var result = await write();
        Assert.Equal(status, result.Status);
        Assert.Null(result.Value);
        Assert.Contains(detailContains, result.Detail, StringComparison.Ordinal);
        Assert.Equal(before, await SnapshotAsync());
        return result;
    }

    public ValueTask DisposeAsync() => Store.DisposeAsync();
}
