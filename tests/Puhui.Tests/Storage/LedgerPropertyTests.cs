using FsCheck;
using FsCheck.Fluent;
using Puhui.Ledger;
using Puhui.Storage;
using Puhui.Storage.Ledger;
using Puhui.Tests.Ledger;

namespace Puhui.Tests.Storage;

/// <summary>
/// Random operation sequences against a real store: after every step the audit (invariants 1, 2, 4 and 5)
/// passes and the persons' points equal a plain model of what was issued, spent and expired.
/// </summary>
public class LedgerPropertyTests
{
    public abstract record Op;
    public sealed record Issue(int Person, bool Metro, int Points, int GramsPerPoint, int Day) : Op;
    public sealed record Redeem(int Person, int Points) : Op;
    public sealed record Gift(int From, int To, int Points) : Op;
    public sealed record Transfer(int From, int To, int Grams) : Op;
    public sealed record Retire(int From, int Grams) : Op;
    public sealed record Expire(int Day) : Op;
    public sealed record Replay(int StepsBack) : Op;

    private static readonly Gen<Op> OpGen = Gen.Frequency(
        (5, from p in Gen.Choose(0, 2) from m in Gen.Elements(true, false) from pts in Gen.Choose(1, 60) from g in Gen.Choose(0, 30) from d in Gen.Choose(0, 40)
            select (Op)new Issue(p, m, pts, g, d)),
        (3, from p in Gen.Choose(0, 2) from pts in Gen.Choose(1, 120) select (Op)new Redeem(p, pts)),
        (1, from a in Gen.Choose(0, 2) from b in Gen.Choose(0, 2) from pts in Gen.Choose(1, 20) select (Op)new Gift(a, b, pts)),
        (2, from a in Gen.Choose(0, 1) from b in Gen.Choose(0, 1) from g in Gen.Choose(1, 3_000) select (Op)new Transfer(a, b, g)),
        (1, from a in Gen.Choose(0, 1) from g in Gen.Choose(1, 3_000) select (Op)new Retire(a, g)),
        (1, from d in Gen.Choose(10, 60) select (Op)new Expire(d)),
        (1, from n in Gen.Choose(1, 5) select (Op)new Replay(n)));

    [Fact]
    public void Invariants_hold_after_every_step_on_sqlite() => Check(StoreKind.Sqlite, runs: 40);

    [PostgresFact]
    public void Invariants_hold_after_every_step_on_postgres() => Check(StoreKind.Postgres, runs: 12);

    private static void Check(StoreKind kind, int runs)
    {
        var property = Prop.ForAll(Gen.ListOf(OpGen, 25).ToArbitrary(), ops => Task.Run(() => RunAsync(kind, ops)).GetAwaiter().GetResult());
        property.Check(Config.QuickThrowOnFailure.WithMaxTest(runs));
    }

    private static async Task RunAsync(StoreKind kind, IReadOnlyList<Op> ops)
    {
        await using var w = await LedgerWorld.CreateAsync(kind);
        AccountId[] persons = [w.Alice, w.Bob, (await w.Store.OpenAccountAsync(new NewAccount(AccountKind.Person, "p:carol", "Carol"))).Id];
        AccountId[] orgs = [w.Developer, w.Provider];
        await w.IssueProjectAsync(w.Developer, 5_000, "project");
        long modelPoints = 0;
        var today = LedgerWorld.Day0;
        var done = new List<Transaction>();

        for (var step = 0; step < ops.Count; step++)
        {
            var key = $"step:{step}";
            switch (ops[step])
            {
                case Issue i:
                {
                    var day = LedgerWorld.Day0.AddDays(i.Day);
                    var r = await PointLotOperations.IssueAsync(w.Store, persons[i.Person], i.Metro ? w.Metro : w.Egov, day, day.AddDays(30),
                        new Points(i.Points), new Grams(i.Metro ? (long)i.Points * i.GramsPerPoint : 0), key, "prop", "", LedgerWorld.T0);
                    Assert.Equal(LotOutcome.Committed, r.Outcome);
                    modelPoints += i.Points;
                    done.Add(r.Transaction!.Transaction);
                    break;
                }

                case Redeem r:
                {
                    var held = (await w.Store.GetLotsAsync(persons[r.Person])).Where(l => !l.IsExpiredOn(today)).Sum(l => l.Points.Value);
                    var result = await PointLotOperations.DrawAsync(w.Store, new LotDrawRequest(persons[r.Person], new Points(r.Points), LotOrder.ReductionBearingFirst,
                        today, w.Redeemed, w.Provider, TransactionKind.Redeem, key, "prop", "", LedgerWorld.T0));
                    Assert.Equal(held >= r.Points ? LotOutcome.Committed : LotOutcome.InsufficientPoints, result.Outcome);
                    if (result.Outcome == LotOutcome.Committed)
                    {
                        modelPoints -= r.Points;
                        done.Add(result.Transaction!.Transaction);
                    }

                    break;
                }

                case Gift g:
                {
                    var lots = await w.Store.GetLotsAsync(persons[g.From]);
                    var lot = lots.FirstOrDefault(l => l.Points.Value >= g.Points);
                    if (lot is null || g.From == g.To) break;
                    var toLot = await w.Store.OpenLotAsync(persons[g.To], lot.Lot.Batch, today, today.AddDays(30));
                    var tx = new TransactionBuilder(TransactionKind.Transfer, key, LedgerWorld.T0, "prop")
                        .MovePoints(persons[g.From], persons[g.To], new Points(g.Points), lot.Lot.Batch, lot.Lot.Id, toLot.Id).Build();
                    Assert.Equal(AppendStatus.RuleViolation, (await w.Store.AppendAsync(tx)).Status);
                    break;
                }

                case Transfer t:
                {
                    if (t.From == t.To)
                    {
                        Assert.Throws<LedgerInvariantException>(() => new TransactionBuilder(TransactionKind.Transfer, key, LedgerWorld.T0, "prop")
                            .MoveGrams(orgs[t.From], orgs[t.To], w.Project, new Grams(t.Grams)));
                        break;
                    }

                    var held = (await w.Store.GetBalancesAsync(orgs[t.From])).Where(b => b.Asset == Asset.Co2 && b.Batch == w.Project).Sum(b => b.Amount);
                    var tx = new TransactionBuilder(TransactionKind.Transfer, key, LedgerWorld.T0, "prop")
                        .MoveGrams(orgs[t.From], orgs[t.To], w.Project, new Grams(t.Grams)).Build();
                    var result = await w.Store.AppendAsync(tx);
                    Assert.Equal(held >= t.Grams ? AppendStatus.Committed : AppendStatus.InsufficientBalance, result.Status);
                    if (result.Status == AppendStatus.Committed) done.Add(tx);
                    break;
                }

                case Retire r:
                {
                    var held = (await w.Store.GetBalancesAsync(orgs[r.From])).Where(b => b.Asset == Asset.Co2 && b.Batch == w.Project).Sum(b => b.Amount);
                    var tx = new TransactionBuilder(TransactionKind.Retire, key, LedgerWorld.T0, "prop")
                        .MoveGrams(orgs[r.From], w.Retired, w.Project, new Grams(r.Grams)).Build();
                    var result = await w.Store.AppendAsync(tx);
                    Assert.Equal(held >= r.Grams ? AppendStatus.Committed : AppendStatus.InsufficientBalance, result.Status);
                    if (result.Status == AppendStatus.Committed) done.Add(tx);
                    break;
                }

                case Expire e:
                {
                    var asOf = LedgerWorld.Day0.AddDays(e.Day);
                    if (asOf > today) today = asOf;
                    var report = await ExpiryClearing.RunAsync(w.Store, today, "prop", new ManualClock(LedgerWorld.T0));
                    modelPoints -= report.PointsCleared;
                    break;
                }

                case Replay r:
                {
                    if (done.Count < r.StepsBack) break;
                    var original = done[^r.StepsBack];
                    var again = await w.Store.AppendAsync(original);
                    Assert.Equal(AppendStatus.Replayed, again.Status);
                    Assert.Equal(original.Id, again.Transaction!.Transaction.Id);
                    break;
                }
            }

            var audit = await w.Store.AuditAsync();
            Assert.True(audit.Passed, $"after step {step} ({ops[step]}): {string.Join("; ", audit.Problems)}");
            var heldByPersons = 0L;
            foreach (var p in persons) heldByPersons += (await w.Store.GetLotsAsync(p)).Sum(l => l.Points.Value);
            Assert.Equal(modelPoints, heldByPersons);
            var pts = audit.Totals.Where(t => t.Asset == Asset.Pts).ToList();
            Assert.Equal(pts.Sum(t => t.Issued), pts.Sum(t => t.Held + t.Redeemed + t.Expired + t.Retired + t.Other));
        }
    }
}
