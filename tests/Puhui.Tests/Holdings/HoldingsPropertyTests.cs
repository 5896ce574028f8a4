using FsCheck;
using FsCheck.Fluent;
using Puhui.Holdings;
using Puhui.Ledger;
using Puhui.Storage;
using Puhui.Storage.Holdings;

namespace Puhui.Tests.Holdings;

/// <summary>
/// Random mixes of transfers, pledges, releases, enforcements, retirements (every purpose) and bridges out, some of
/// them fractional, empty or larger than the holding, checked step by step against a model of the unlocked holdings.
/// After every sequence, per batch, issued = held + pledged + retired + cancelled + buffer; pledged equals the open
/// pledges, retired the retirements and cancelled the bridges; the retired serial ranges are disjoint and number
/// exactly the retired kilograms from 1; and the ledger's audit passes.
/// </summary>
public class HoldingsPropertyTests
{
    public abstract record Op;

    /// <summary><paramref name="Permille"/> ‰ of a holding (above 1,000 asks for more than is held); <paramref name="Fraction"/> adds one gram.</summary>
    public sealed record Transfer(int From, int To, int Pick, int Permille, bool Fraction) : Op;

    public sealed record PledgeOp(int Holder, int Lender, int Pick, int Permille) : Op;

    public sealed record Close(int Pick, bool Enforce) : Op;

    public sealed record Retire(int Holder, int Pick, int Permille, int Purpose, bool Fraction) : Op;

    public sealed record BridgeOp(int Holder, int Pick, int Permille) : Op;

    private const int Holders = 3;
    private const long Kg = HoldingRules.GramsPerKilogram;

    private static readonly Gen<int> Permille = Gen.Frequency((8, Gen.Choose(1, 1_000)), (1, Gen.Choose(1_001, 1_500)), (1, Gen.Constant(0)));

    private static readonly Gen<Op> OpGen = Gen.Frequency(
        (4, from f in Gen.Choose(0, Holders - 1) from t in Gen.Choose(0, Holders - 1) from k in Gen.Choose(0, 9) from p in Permille from x in Gen.Elements(false, false, false, true)
            select (Op)new Transfer(f, t, k, p, x)),
        (2, from h in Gen.Choose(0, Holders - 1) from l in Gen.Choose(0, Holders - 1) from k in Gen.Choose(0, 9) from p in Permille select (Op)new PledgeOp(h, l, k, p)),
        (2, from k in Gen.Choose(0, 9) from e in Gen.Elements(false, true) select (Op)new Close(k, e)),
        (3, from h in Gen.Choose(0, Holders - 1) from k in Gen.Choose(0, 9) from p in Permille from u in Gen.Choose(0, 5) from x in Gen.Elements(false, false, false, true)
            select (Op)new Retire(h, k, p, u, x)),
        (1, from h in Gen.Choose(0, Holders - 1) from k in Gen.Choose(0, 9) from p in Permille select (Op)new BridgeOp(h, k, p)));

    [Fact]
    public void Holdings_stay_accounted_after_random_workloads_on_sqlite() => Check(StoreKind.Sqlite, runs: 25);

    [PostgresFact]
    public void Holdings_stay_accounted_after_random_workloads_on_postgres() => Check(StoreKind.Postgres, runs: 6);

    private static void Check(StoreKind kind, int runs)
    {
        var sequences = from n in Gen.Choose(5, 25) from ops in Gen.ListOf(OpGen, n) select ops;
        AsyncProperty.Check(sequences, ops => RunAsync(kind, ops), runs);
    }

    private static async Task RunAsync(StoreKind kind, IEnumerable<Op> ops)
    {
        await using var w = await HoldingsWorld.CreateAsync(kind);
        AccountId[] holders = [w.Developer, w.Buyer, w.Bank];
        BatchId[] batches = [w.Pv, w.Plain];
        foreach (var h in holders) Assert.Equal(HoldingStatus.Done, (await w.Holdings.SetComplianceCapAsync(2026, h, HoldingRules.ComplianceCapKilogramsMax, "admin")).Status);
        var held = new Dictionary<(AccountId, BatchId), long> { [(w.Developer, w.Pv)] = HoldingsWorld.PvGrams, [(w.Developer, w.Plain)] = HoldingsWorld.PlainGrams };
        var pledges = new List<(long Id, PledgeStatus Status)>();
        var step = 0;

        long Held(AccountId a, BatchId b) => held.GetValueOrDefault((a, b));
        HoldingStatus Expect(AccountId a, BatchId b, long grams) =>
            grams <= 0 || grams % Kg != 0 ? HoldingStatus.Invalid : grams > Held(a, b) ? HoldingStatus.InsufficientHolding : HoldingStatus.Done;
        long Amount(AccountId a, BatchId b, int permille, bool fraction) => Held(a, b) / Kg * permille / 1_000 * Kg + (fraction ? 1 : 0);

        foreach (var op in ops)
        {
            var key = "op-" + (++step).ToString(System.Globalization.CultureInfo.InvariantCulture);
            switch (op)
            {
                case Transfer(var f, var t, var pick, var permille, var fraction):
                {
                    var (from, to, batch) = (holders[f], holders[t], batches[pick % batches.Length]);
                    var grams = Amount(from, batch, permille, fraction);
                    var expected = from == to ? HoldingStatus.Invalid : Expect(from, batch, grams);
                    var result = await w.Holdings.TransferAsync(from, to, batch, grams, key, "prop");
                    Assert.Equal(expected, result.Status);
                    if (expected != HoldingStatus.Done) break;
                    held[(from, batch)] = Held(from, batch) - grams;
                    held[(to, batch)] = Held(to, batch) + grams;
                    break;
                }

                case PledgeOp(var h, var l, var pick, var permille):
                {
                    var (holder, lender, batch) = (holders[h], holders[l], batches[pick % batches.Length]);
                    var grams = Amount(holder, batch, permille, false);
                    var expected = holder == lender ? HoldingStatus.Invalid : Expect(holder, batch, grams);
                    var result = await w.Holdings.PledgeAsync(holder, lender, batch, grams, key, "prop");
                    Assert.Equal(expected, result.Status);
                    if (expected != HoldingStatus.Done) break;
                    held[(holder, batch)] = Held(holder, batch) - grams;
                    pledges.Add((result.Value!.Id, PledgeStatus.Open));
                    break;
                }

                case Close(var pick, var enforce):
                {
                    if (pledges.Count == 0) break;
                    var i = pick % pledges.Count;
                    var pledge = (await w.Holdings.GetPledgeAsync(pledges[i].Id))!;
                    var close = enforce ? PledgeStatus.Enforced : PledgeStatus.Released;
                    var expected = pledges[i].Status == PledgeStatus.Open ? HoldingStatus.Done : pledges[i].Status == close ? HoldingStatus.Replayed : HoldingStatus.NotOpen;
                    var result = enforce ? await w.Holdings.EnforceAsync(pledge.Id, pledge.Lender, "prop") : await w.Holdings.ReleaseAsync(pledge.Id, pledge.Lender, "prop");
                    Assert.Equal(expected, result.Status);
                    if (expected != HoldingStatus.Done) break;
                    var to = enforce ? pledge.Lender : pledge.Holder;
                    held[(to, pledge.Batch)] = Held(to, pledge.Batch) + pledge.Grams;
                    pledges[i] = (pledge.Id, close);
                    break;
                }

                case Retire(var h, var pick, var permille, var purpose, var fraction):
                {
                    var (holder, batch) = (holders[h], batches[pick % batches.Length]);
                    var grams = Amount(holder, batch, permille, fraction);
                    var expected = Expect(holder, batch, grams);
                    var result = await w.Holdings.RetireAsync(holder, batch, grams, RetirementPurposes.All[purpose], "受益人 / beneficiary", "使用方 / user", "", "", key, "prop");
                    Assert.Equal(expected, result.Status);
                    if (expected != HoldingStatus.Done) break;
                    Assert.Equal(grams / Kg, result.Value!.Serials.Sum(s => s.Kilograms));
                    held[(holder, batch)] = Held(holder, batch) - grams;
                    break;
                }

                case BridgeOp(var h, var pick, var permille):
                {
                    var (holder, batch) = (holders[h], batches[pick % batches.Length]);
                    var grams = Amount(holder, batch, permille, false);
                    var expected = Expect(holder, batch, grams);
                    var result = await w.Holdings.BridgeOutAsync(holder, batch, grams, "上海 / Shanghai", "SH-" + key, key, "prop");
                    Assert.Equal(expected, result.Status);
                    if (expected == HoldingStatus.Done) held[(holder, batch)] = Held(holder, batch) - grams;
                    break;
                }

                default:
                    throw new InvalidOperationException($"Unknown operation {op}.");
            }
        }

        var allPledges = await w.Holdings.PledgesAsync();
        var retirements = (await w.Holdings.RetirementsAsync(limit: ReductionHoldings.RetirementPageMax)).Retirements;
        var bridges = await w.Holdings.BridgesAsync();
        foreach (var batch in batches)
        {
            foreach (var h in holders) Assert.Equal(Held(h, batch), await w.BalanceAsync(h, batch));
            var issued = -await w.SystemBalanceAsync(SystemAccounts.ReductionIssuance, batch);
            var holdings = 0L;
            foreach (var h in holders) holdings += await w.BalanceAsync(h, batch);
            var pledged = await w.SystemBalanceAsync(SystemAccounts.Pledged, batch);
            var retired = await w.SystemBalanceAsync(SystemAccounts.Retired, batch);
            var cancelled = await w.SystemBalanceAsync(SystemAccounts.Cancelled, batch);
            var buffer = await w.SystemBalanceAsync(SystemAccounts.Buffer, batch);
            Assert.Equal(issued, holdings + pledged + retired + cancelled + buffer);
            Assert.Equal(pledged, allPledges.Where(p => p.Batch == batch && p.Status == PledgeStatus.Open).Sum(p => p.Grams));
            Assert.Equal(retired, retirements.Where(r => r.Batch == batch).Sum(r => r.Grams));
            Assert.Equal(cancelled, bridges.Where(b => b.Batch == batch).Sum(b => b.Grams));

            // The batch's ranges, in order, are disjoint and number 1..retired kilograms without a gap.
            var ranges = retirements.Where(r => r.Batch == batch).SelectMany(r => r.Serials).OrderBy(s => s.FromKg).ToList();
            var next = SerialCursor.First;
            foreach (var range in ranges)
            {
                Assert.Equal(next, range.FromKg);
                next = range.ToKg + 1;
            }

            Assert.Equal(retired / Kg, next - 1);
            foreach (var range in ranges) Assert.Equal(range.FromKg, (await w.Holdings.FindSerialAsync(range.ToString()))!.Serials[0].FromKg);
        }

        var audit = await w.Store.AuditAsync();
        Assert.True(audit.Passed, string.Join("; ", audit.Problems));
    }
}
