using System.Globalization;
using FsCheck;
using FsCheck.Fluent;
using Puhui.Ledger;
using Puhui.Storage;
using Puhui.Storage.Governance;

namespace Puhui.Tests.Registry;

/// <summary>
/// Random mixes of issuances (a PV project's and a forestry sink's monthly periods, some with the verifier's
/// adjusted figure), transfers between organisations, retirements and reversals made good from the buffer. After
/// every sequence each public batch total equals the ledger's — summed from every account's balances and recomputed
/// from the journal by the audit — and per batch issued = held + pledged + retired + cancelled + buffer; the
/// grams cancelled equal what the recorded reversals cancelled, and each batch issued what its period says.
/// </summary>
public class RegistryPropertyTests
{
    public abstract record Op;

    /// <summary>The PV project's next month: <paramref name="Mwh"/> generated; the verifier cuts it to 90 % when <paramref name="Adjust"/>.</summary>
    public sealed record IssuePv(int Mwh, bool Adjust) : Op;

    /// <summary>The forest's next month: a tenth of a cubic metre per hectare for each of <paramref name="Tenths"/>.</summary>
    public sealed record IssueForest(int Tenths) : Op;

    /// <summary>A share of one of a holder's batches to another organisation.</summary>
    public sealed record Transfer(int From, int To, int Pick, int Percent) : Op;

    public sealed record Retire(int Holder, int Pick, int Percent) : Op;

    /// <summary>The forest loses <paramref name="Tonnes"/> t to fire; the buffer makes it good, as far as it holds grams.</summary>
    public sealed record Reverse(int Tonnes) : Op;

    private const int Holders = 3;

    private static readonly Gen<Op> OpGen = Gen.Frequency(
        (3, from mwh in Gen.Choose(1, 80) from adjust in Gen.Elements(false, false, true) select (Op)new IssuePv(mwh, adjust)),
        (3, from tenths in Gen.Choose(1, 30) select (Op)new IssueForest(tenths)),
        (4, from f in Gen.Choose(0, Holders - 1) from t in Gen.Choose(0, Holders - 1) from k in Gen.Choose(0, 100) from p in Gen.Choose(1, 100)
            select (Op)new Transfer(f, t, k, p)),
        (3, from h in Gen.Choose(0, Holders - 1) from k in Gen.Choose(0, 100) from p in Gen.Choose(1, 100) select (Op)new Retire(h, k, p)),
        (2, from t in Gen.Choose(1, 400) select (Op)new Reverse(t)));

    [Fact]
    public void Public_totals_equal_the_ledger_after_random_workloads_on_sqlite() => Check(StoreKind.Sqlite, runs: 15);

    [PostgresFact]
    public void Public_totals_equal_the_ledger_after_random_workloads_on_postgres() => Check(StoreKind.Postgres, runs: 3);

    private static void Check(StoreKind kind, int runs)
    {
        var sequences = from n in Gen.Choose(4, 12) from ops in Gen.ListOf(OpGen, n) select ops;
        AsyncProperty.Check(sequences, ops => RunAsync(kind, ops), runs);
    }

    private static async Task RunAsync(StoreKind kind, IEnumerable<Op> ops)
    {
        await using var w = await PublicRegistryWorld.CreateAsync(kind);
        var pv = await w.RegisterAsync(w.Solar, w.Pv());
        var forest = await w.RegisterAsync(w.Forester, w.Forest());
        AccountId[] holders = [w.Solar, w.Forester, w.Buyer];
        var pvMonth = new DateOnly(2017, 1, 1);
        var forestMonth = new DateOnly(2017, 1, 1);
        var step = 0;
        long cancelled = 0;
        foreach (var op in ops)
        {
            step++;
            var key = "op-" + step.ToString(CultureInfo.InvariantCulture);
            switch (op)
            {
                case IssuePv(var mwh, var adjust):
                {
                    var inputs = PublicRegistryWorld.Generation(mwh);
                    // 1 MWh is 570,300 g; the verifier's figure is 90 % of the claim.
                    long? adjusted = adjust ? mwh * 570_300L * 9 / 10 : null;
                    var period = await w.IssueAsync(pv, pvMonth, pvMonth.AddMonths(1).AddDays(-1), inputs, adjusted);
                    Assert.Equal(adjusted ?? mwh * 570_300L, period.IssuedGrams);
                    pvMonth = pvMonth.AddMonths(1);
                    break;
                }

                case IssueForest(var tenths):
                {
                    var period = await w.IssueAsync(forest, forestMonth, forestMonth.AddMonths(1).AddDays(-1), PublicRegistryWorld.Growth(tenths / 10m));
                    Assert.Equal(period.IssuedGrams, period.DeveloperGrams + period.BufferGrams);
                    forestMonth = forestMonth.AddMonths(1);
                    break;
                }

                case Transfer(var from, var to, var pick, var percent) when from != to:
                    await MoveShareAsync(w, TransactionKind.Transfer, holders[from], holders[to], pick, percent, key);
                    break;
                case Transfer:
                    break;
                case Retire(var holder, var pick, var percent):
                    await MoveShareAsync(w, TransactionKind.Retire, holders[holder], w.Retired, pick, percent, key);
                    break;
                case Reverse(var tonnes):
                {
                    var buffer = (await w.Store.GetBalancesAsync(await w.Store.SystemAccountAsync(SystemAccounts.Buffer))).Where(b => b.Asset == Asset.Co2).Sum(b => b.Amount);
                    var result = await w.Registry.ReportReversalAsync(forest.Id, tonnes * 1_000_000L, key, PublicRegistryWorld.PlatformOperator, "山火 / fire", [w.Dossier], default);
                    if (buffer == 0)
                    {
                        Assert.Equal(StepStatus.Conflict, result.Status);
                        break;
                    }

                    Assert.True(result.Succeeded, result.Detail);
                    cancelled += Math.Min(buffer, tonnes * 1_000_000L);
                    break;
                }

                default:
                    throw new InvalidOperationException($"Unknown operation {op}.");
            }
        }

        await w.AssertPublicTotalsMatchLedgerAsync();
        var batches = await w.Queries.BatchesAsync();
        Assert.Equal(cancelled, batches.Sum(b => b.Totals.Cancelled));
        Assert.Equal((await w.Registry.ReversalsAsync(forest.Id)).Sum(r => r.CancelledGrams), cancelled);
        Assert.Equal(batches.Select(b => b.Id).Order(), (await w.Queries.ProjectsAsync()).SelectMany(p => p.Batches).Select(b => b.Id).Order());
    }

    /// <summary>Moves <paramref name="percent"/> % (at least 1 g) of one of the holder's batches; nothing when it holds none.</summary>
    private static async Task MoveShareAsync(PublicRegistryWorld w, TransactionKind kind, AccountId from, AccountId to, int pick, int percent, string key)
    {
        var held = (await w.Store.GetBalancesAsync(from)).Where(b => b.Asset == Asset.Co2 && b.Amount > 0).ToList();
        if (held.Count == 0) return;
        var balance = held[pick % held.Count];
        var grams = Math.Max(1, balance.Amount * percent / 100);
        var moved = await w.MoveAsync(kind, from, to, balance.Batch!.Value.Value, grams, key);
        Assert.Equal(AppendStatus.Committed, moved.Status);
    }
}
