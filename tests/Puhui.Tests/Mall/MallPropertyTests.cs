using FsCheck;
using FsCheck.Fluent;
using Puhui.Ledger;
using Puhui.Mall;
using Puhui.Storage;
using Puhui.Storage.Ledger;
using Puhui.Storage.Mall;

namespace Puhui.Tests.Mall;

/// <summary>
/// Random mixes of issuance, redemptions of several offers, retries, cancellations, voucher uses, clock advances
/// of up to years and expiry runs, against a real store and a plain model of lots, redemptions and honour. After
/// every step the persons' lots equal the model's, each redemption spends exactly the lots the policy's order
/// chooses, every outcome and refusal is the one the model predicts, and a refusal writes nothing; after every
/// sequence the audit passes, points and every batch's grams are conserved, stock and per-person limits hold, and
/// each person's honour summed from the journal equals the model's.
/// </summary>
public class MallPropertyTests
{
    public abstract record Op;

    /// <summary>Ingestion-like issuance into the person's lot of a day up to 60 days back, valid <paramref name="ValidDays"/> (≥ 61) days.</summary>
    public sealed record Issue(int Person, bool Metro, int Points, int GramsPerPoint, int DaysBack, int ValidDays) : Op;

    public sealed record Redeem(int Person, int Offer) : Op;

    /// <summary>An earlier redemption's request key sent again, for the same offer or another one.</summary>
    public sealed record Retry(int Pick, bool SameOffer, int Offer) : Op;

    public sealed record Cancel(int Pick) : Op;

    public sealed record Use(int Pick) : Op;

    public sealed record Advance(int Hours) : Op;

    public sealed record Expire : Op;

    public const int Persons = 3;
    public const int OperationsPerSequence = 40;

    /// <summary>The offers on sale: two of the café's goods, the farm's service and its sink.</summary>
    private static readonly (bool ByFarm, OfferDefinition Definition)[] Offers =
    [
        (false, MallWorld.Coffee(price: 20, stock: 3, perPerson: 2, cancellationHours: 24) with { ValidUntil = MallWorld.T0.AddDays(40) }),
        (false, MallWorld.Coffee(price: 50, stock: 3, perPerson: 2, cancellationHours: OfferDefinition.CancellationHoursMax) with
        {
            TitleEn = "Lunch", ValidUntil = MallWorld.T0.AddYears(3), VoucherValidDays = 10,
        }),
        (true, MallWorld.Coffee(price: 80, stock: 2, perPerson: 1, cancellationHours: 0) with
        {
            Kind = OfferKind.Service, TitleEn = "Guided walk", ValidUntil = MallWorld.T0.AddYears(3), VoucherValidDays = 60,
        }),
        (true, MallWorld.Sapling(price: 30, grams: 12_000, stock: 20)),
    ];

    private static readonly Gen<Op> OpGen = Gen.Frequency(
        (6, from p in Gen.Choose(0, Persons - 1) from m in Gen.Elements(true, true, false) from pts in Gen.Choose(1, 150) from g in Gen.Choose(0, 40)
            from back in Gen.Choose(0, 60) from valid in Gen.Elements(61, 90, 400, 730)
            select (Op)new Issue(p, m, pts, g, back, valid)),
        (7, from p in Gen.Choose(0, Persons - 1) from o in Gen.Choose(0, Offers.Length - 1) select (Op)new Redeem(p, o)),
        (1, from k in Gen.Choose(0, 1_000) from same in Gen.Elements(true, true, false) from o in Gen.Choose(0, Offers.Length - 1) select (Op)new Retry(k, same, o)),
        (3, from k in Gen.Choose(0, 1_000) select (Op)new Cancel(k)),
        (2, from k in Gen.Choose(0, 1_000) select (Op)new Use(k)),
        (3, from h in Gen.Frequency((6, Gen.Elements(1, 6, 23, 25, 72)), (3, Gen.Elements(24 * 15, 24 * 31, 24 * 45)), (1, Gen.Elements(24 * 200, 24 * 400, 24 * 750))) select (Op)new Advance(h)),
        (2, Gen.Constant((Op)new Expire())));

    [Fact]
    public void Mall_invariants_hold_over_random_operations_on_sqlite() => Check(StoreKind.Sqlite, runs: 12);

    [PostgresFact]
    public void Mall_invariants_hold_over_random_operations_on_postgres() => Check(StoreKind.Postgres, runs: 5);

    /// <summary>
    /// The sequence random runs rarely reach: a cancellation refills a lot after today's run cleared it. The points
    /// stay in the expired lot, unspendable, until the next day's run clears them; honour follows.
    /// </summary>
    [Theory]
    [MemberData(nameof(TestStores.All), MemberType = typeof(TestStores))]
    public async Task A_lot_a_cancellation_refills_after_clearing_is_cleared_by_the_next_run(StoreKind kind)
        => await RunAsync(kind,
        [
            new Issue(0, Metro: true, Points: 100, GramsPerPoint: 10, DaysBack: 60, ValidDays: 61),
            new Redeem(0, 1),
            new Advance(25),
            new Expire(),
            new Cancel(0),
            new Redeem(0, 1),
            new Expire(),
            new Advance(24),
            new Expire(),
        ]);

    private static void Check(StoreKind kind, int runs)
    {
        var property = Prop.ForAll(Gen.ListOf(OpGen, OperationsPerSequence).ToArbitrary(), ops =>
        {
            try
            {
                Task.Run(() => RunAsync(kind, ops)).GetAwaiter().GetResult();
            }
            catch (Exception e)
            {
                // FsCheck shortens the sequence it prints; the whole of it is what reproduces a failure.
                throw new InvalidOperationException($"{e.Message}\nsequence: {string.Join("; ", ops)}", e);
            }
        });
        property.Check(Config.QuickThrowOnFailure.WithMaxTest(runs));
    }

    private sealed class ModelLot(PointLot lot)
    {
        public PointLot Lot { get; } = lot;
        public long Points { get; set; }
        public long Grams { get; set; }
        public LotBalance Balance => new(Lot, new Points(Points), new Grams(Grams));
    }

    private sealed record ModelRedemption(long Id, int Person, int Offer, string RequestKey, string VoucherCode, DateTimeOffset RedeemedAt, IReadOnlyList<LotDraw> Draws)
    {
        public VoucherStatus Status { get; set; } = VoucherStatus.Issued;
        public long Grams => Draws.Sum(d => d.Grams.Value);
    }

    private sealed class Model
    {
        public Dictionary<long, ModelLot> Lots { get; } = [];
        public List<ModelRedemption> Redemptions { get; } = [];
        public long[] Earned { get; } = new long[Persons];
        public long[] PointsCleared { get; } = new long[Persons];
        public long[] GramsCleared { get; } = new long[Persons];
        public Dictionary<BatchId, long> GramsIssued { get; } = [];
        public Dictionary<BatchId, long> GramsRetired { get; } = [];
        public Dictionary<long, DateOnly> ClearedOn { get; } = [];
        public long Transactions { get; set; }

        public IEnumerable<ModelRedemption> Standing => Redemptions.Where(r => r.Status != VoucherStatus.Cancelled);

        public IEnumerable<ModelLot> LotsOf(AccountId person) => Lots.Values.Where(l => l.Lot.Account == person);
    }

    private static async Task RunAsync(StoreKind kind, IReadOnlyList<Op> ops)
    {
        await using var w = await MallWorld.CreateAsync(kind);
        AccountId[] persons = [w.Alice, w.Bob, (await w.Store.OpenAccountAsync(new NewAccount(AccountKind.Person, "p:carol", "Carol"))).Id];
        var offers = new List<Offer>();
        foreach (var (byFarm, definition) in Offers) offers.Add(await w.OnSaleAsync(byFarm ? w.Farm : w.Cafe, definition));
        var accounts = await w.Mall.HonourAccountsAsync();
        var days = w.Mall.Policy.Days;
        var model = new Model { Transactions = (await w.Store.GetHeadAsync()).Sequence };
        model.GramsIssued[w.Forest] = MallWorld.SinkGramsHeld;

        for (var step = 0; step < ops.Count; step++)
        {
            var now = w.Clock.GetUtcNow();
            var today = days.LocalDay(now);
            var at = $"step {step} ({ops[step]}) at {now:O}";
            switch (ops[step])
            {
                case Issue i:
                {
                    var person = persons[i.Person];
                    var batch = i.Metro ? w.Metro : w.Egov;
                    var day = today.AddDays(-i.DaysBack);
                    var points = (long)i.Points;
                    var grams = i.Metro ? points * i.GramsPerPoint : 0;
                    var result = await PointLotOperations.IssueAsync(w.Store, person, batch, day, day.AddDays(i.ValidDays), new Points(points), new Grams(grams),
                        $"ingest:{step}", "ingestion", $"record {step}", now);
                    Assert.True(result.Outcome == LotOutcome.Committed, at);
                    var lot = result.Draws[0].Lot;
                    Assert.False(lot.ExpiresOn <= today, $"{at}: the generator issued into an expired lot");
                    if (!model.Lots.TryGetValue(lot.Id.Value, out var modelLot)) model.Lots[lot.Id.Value] = modelLot = new ModelLot(lot);
                    modelLot.Points += points;
                    modelLot.Grams += grams;
                    model.Earned[i.Person] += points;
                    model.GramsIssued[batch] = model.GramsIssued.GetValueOrDefault(batch) + grams;
                    model.Transactions++;
                    break;
                }

                case Redeem r:
                    await RedeemAsync(r.Person, r.Offer, $"r{step}", null);
                    break;

                case Retry t:
                {
                    if (model.Redemptions.Count == 0) break;
                    var earlier = model.Redemptions[t.Pick % model.Redemptions.Count];
                    await RedeemAsync(earlier.Person, t.SameOffer ? earlier.Offer : t.Offer, earlier.RequestKey, earlier);
                    break;
                }

                case Cancel c:
                {
                    if (model.Redemptions.Count == 0) break;
                    var red = model.Redemptions[c.Pick % model.Redemptions.Count];
                    var until = MallRules.CancellableUntil(Offers[red.Offer].Definition, red.RedeemedAt);
                    var expected = red.Status switch
                    {
                        VoucherStatus.Used => MallRefusal.VoucherUsed,
                        VoucherStatus.Cancelled => MallRefusal.VoucherCancelled,
                        _ when until is null || now > until => MallRefusal.CancellationClosed,
                        _ => MallRefusal.None,
                    };
                    var result = await w.Mall.CancelAsync(persons[red.Person], red.Id, "person");
                    Assert.True(expected == result.Refusal, $"{at}: expected {expected}, got {result.Outcome} {result.Refusal} {result.Detail}");
                    if (expected != MallRefusal.None) break;
                    Assert.Equal(MallOutcome.Done, result.Outcome);
                    Assert.Equal(VoucherStatus.Cancelled, result.Redemption!.Status);
                    red.Status = VoucherStatus.Cancelled;
                    foreach (var d in red.Draws)
                    {
                        model.Lots[d.Lot.Id.Value].Points += d.Points.Value;
                        model.Lots[d.Lot.Id.Value].Grams += d.Grams.Value;
                    }

                    model.Transactions++;
                    break;
                }

                case Use u:
                {
                    if (model.Redemptions.Count == 0) break;
                    var red = model.Redemptions[u.Pick % model.Redemptions.Count];
                    var expected = red.Status switch
                    {
                        VoucherStatus.Used => MallRefusal.VoucherUsed,
                        VoucherStatus.Cancelled => MallRefusal.VoucherCancelled,
                        _ when now >= MallRules.VoucherExpiresAt(Offers[red.Offer].Definition, red.RedeemedAt) => MallRefusal.VoucherExpired,
                        _ => MallRefusal.None,
                    };
                    var result = await w.Mall.UseVoucherAsync(Offers[red.Offer].ByFarm ? w.Farm : w.Cafe, red.VoucherCode, "staff");
                    Assert.True(expected == result.Refusal, $"{at}: expected {expected}, got {result.Outcome} {result.Refusal} {result.Detail}");
                    if (expected != MallRefusal.None) break;
                    Assert.Equal(MallOutcome.Done, result.Outcome);
                    Assert.Equal(VoucherStatus.Used, result.Redemption!.Status);
                    red.Status = VoucherStatus.Used;
                    break;
                }

                case Advance a:
                    w.Clock.Advance(TimeSpan.FromHours(a.Hours));
                    break;

                case Expire:
                {
                    // A run keys each lot's clearing by (lot, day): a lot a cancellation refilled after it was cleared
                    // today is left for tomorrow's run (the same key replays, or conflicts and is counted as skipped).
                    var refilled = model.Lots.Values.Where(l => model.ClearedOn.GetValueOrDefault(l.Lot.Id.Value) == today && (l.Points != 0 || l.Grams != 0)).ToList();
                    var due = model.Lots.Values.Where(l => l.Lot.ExpiresOn <= today && (l.Points != 0 || l.Grams != 0)).Except(refilled).ToList();
                    var report = await RunExpiryAsync(w.Store, today, now);
                    Assert.True(report.LotsSkipped <= refilled.Count && report.LotsCleared == due.Count && report.PointsCleared == due.Sum(l => l.Points) && report.GramsCleared == due.Sum(l => l.Grams),
                        $"{at}: expected {due.Count} lots, {due.Sum(l => l.Points)} points, {due.Sum(l => l.Grams)} g cleared; the run reported {report}");
                    foreach (var l in due)
                    {
                        var who = Array.IndexOf(persons, l.Lot.Account);
                        model.PointsCleared[who] += l.Points;
                        model.GramsCleared[who] += l.Grams;
                        model.GramsRetired[l.Lot.Batch] = model.GramsRetired.GetValueOrDefault(l.Lot.Batch) + l.Grams;
                        l.Points = 0;
                        l.Grams = 0;
                        model.ClearedOn[l.Lot.Id.Value] = today;
                    }

                    model.Transactions += due.Count;
                    break;
                }
            }

            // After every step: the store's lots are the model's, none is negative or holds grams without points,
            // and the journal grew by exactly the transactions the model expects (a refusal writes nothing).
            foreach (var person in persons)
            {
                var lots = await w.Store.GetLotsAsync(person, includeEmpty: true);
                foreach (var l in lots)
                {
                    Assert.True(l.Points.Value >= 0 && l.Grams.Value >= 0, $"{at}: lot {l.Lot.Id} holds {l.Points.Value} points and {l.Grams.Value} g");
                    Assert.False(l.Points.Value == 0 && l.Grams.Value > 0, $"{at}: lot {l.Lot.Id} holds {l.Grams.Value} g without points");
                }

                Assert.Equal(
                    model.LotsOf(person).Where(l => l.Points != 0 || l.Grams != 0).OrderBy(l => l.Lot.Id.Value).Select(l => $"{l.Lot.Id}:{l.Points}:{l.Grams}"),
                    lots.Where(l => l.Points.Value != 0 || l.Grams.Value != 0).OrderBy(l => l.Lot.Id.Value).Select(l => $"{l.Lot.Id}:{l.Points.Value}:{l.Grams.Value}"));
            }

            Assert.True(model.Transactions == (await w.Store.GetHeadAsync()).Sequence, $"{at}: the journal does not hold the transactions the model expects");
        }

        await CheckSequenceAsync(w, persons, offers, accounts, model);

        async Task RedeemAsync(int who, int offerIndex, string requestKey, ModelRedemption? earlier)
        {
            var person = persons[who];
            var offer = offers[offerIndex];
            var definition = offer.Definition;
            var now = w.Clock.GetUtcNow();
            var today = days.LocalDay(now);
            var at = $"redemption of offer {offerIndex} by person {who} with key {requestKey} at {now:O}";
            var lotsBefore = model.LotsOf(person).Select(l => l.Balance).ToList();
            var result = await w.Mall.RedeemAsync(person, offer.Id, requestKey, "person");
            if (earlier is not null)
            {
                if (earlier.Offer == offerIndex)
                {
                    Assert.True(result.Outcome == MallOutcome.Replayed, $"{at}: {result.Outcome} {result.Refusal} {result.Detail}");
                    Assert.Equal(earlier.Id, result.Redemption!.Id);
                    Assert.Equal(earlier.VoucherCode, result.Redemption.VoucherCode);
                }
                else
                {
                    Assert.True(result.Refusal == MallRefusal.RequestKeyReused, $"{at}: {result.Outcome} {result.Refusal} {result.Detail}");
                }

                return;
            }

            var standing = model.Standing.Count(r => r.Offer == offerIndex);
            var held = model.Standing.Count(r => r.Offer == offerIndex && r.Person == who);
            var draws = PointLots.PlanDraws(lotsBefore, new Points(definition.Price), LotOrder.ReductionBearingFirst, today);
            var sinkLeft = MallWorld.SinkGramsHeld - model.Redemptions.Where(r => Offers[r.Offer].Definition.IsSink).Sum(r => Offers[r.Offer].Definition.SinkGrams);
            var expected = now < definition.ValidFrom || now >= definition.ValidUntil ? MallRefusal.OutsideWindow
                : standing >= definition.Stock ? MallRefusal.SoldOut
                : held >= definition.PerPersonLimit ? MallRefusal.PerPersonLimit
                : draws is null ? MallRefusal.InsufficientPoints
                : definition.IsSink && sinkLeft < definition.SinkGrams ? MallRefusal.SinkExhausted
                : MallRefusal.None;
            Assert.True(expected == result.Refusal, $"{at}: expected {expected}, got {result.Outcome} {result.Refusal} {result.Detail}");
            if (expected != MallRefusal.None)
            {
                Assert.Equal(MallOutcome.Refused, result.Outcome);
                return;
            }

            Assert.Equal(MallOutcome.Done, result.Outcome);
            var redemption = result.Redemption!;
            Assert.Equal(definition.Price, redemption.Points);
            var plan = draws!;
            Assert.Equal(plan.Sum(d => d.Grams.Value), redemption.Grams);
            Assert.Equal(definition.IsSink ? definition.SinkGrams : 0, redemption.SinkGrams);

            // The order rule: the Redeem transaction takes from the person's lots exactly what the policy's order chooses.
            var tx = (await w.Store.GetTransactionByKeyAsync($"redeem:{person}:{requestKey}"))!.Transaction;
            Assert.Equal(TransactionKind.Redeem, tx.Kind);
            var expectedPostings = plan.SelectMany(d => new[] { (Asset.Pts, d.Lot.Id.Value, -d.Points.Value), (Asset.Co2, d.Lot.Id.Value, -d.Grams.Value) }).Where(p => p.Item3 != 0);
            var actualPostings = tx.Postings.Where(p => p.Account == person).Select(p => (p.Asset, p.Lot!.Value.Value, p.Amount));
            Assert.Equal(expectedPostings.Order(), actualPostings.Order());

            foreach (var d in plan)
            {
                model.Lots[d.Lot.Id.Value].Points -= d.Points.Value;
                model.Lots[d.Lot.Id.Value].Grams -= d.Grams.Value;
            }

            if (definition.IsSink) model.GramsRetired[w.Forest] = model.GramsRetired.GetValueOrDefault(w.Forest) + definition.SinkGrams;
            model.Redemptions.Add(new ModelRedemption(redemption.Id, who, offerIndex, requestKey, redemption.VoucherCode, redemption.RedeemedAt, plan));
            model.Transactions++;
        }
    }

    private static async Task CheckSequenceAsync(MallWorld w, AccountId[] persons, List<Offer> offers, HonourAccounts accounts, Model model)
    {
        var audit = await w.Store.AuditAsync();
        Assert.True(audit.Passed, string.Join("; ", audit.Problems));
        Assert.Equal(model.Transactions, audit.Transactions);

        // Points: issued = held by persons + redeemed sink + expired sink, each equal to the model's.
        var pts = audit.Totals.Where(t => t.Asset == Asset.Pts).ToList();
        var heldPoints = model.Lots.Values.Sum(l => l.Points);
        var redeemedPoints = model.Standing.Sum(r => Offers[r.Offer].Definition.Price);
        Assert.Equal(model.Earned.Sum(), pts.Sum(t => t.Issued));
        Assert.Equal(heldPoints, pts.Sum(t => t.Held));
        Assert.Equal(redeemedPoints, pts.Sum(t => t.Redeemed));
        Assert.Equal(model.PointsCleared.Sum(), pts.Sum(t => t.Expired));
        Assert.Equal(0, pts.Sum(t => t.Retired + t.Other));
        Assert.Equal(pts.Sum(t => t.Issued), heldPoints + redeemedPoints + model.PointsCleared.Sum());

        // Grams, batch by batch: issued = held by persons + held by providers + retired.
        var cafe = await w.Store.GetBalancesAsync(w.Cafe);
        var farm = await w.Store.GetBalancesAsync(w.Farm);
        foreach (var batch in new[] { w.Metro, w.Egov, w.Forest })
        {
            var byPersons = model.Lots.Values.Where(l => l.Lot.Batch == batch).Sum(l => l.Grams);
            var toProviders = model.Standing.SelectMany(r => r.Draws.Where(d => d.Lot.Batch == batch).Select(d => (Offers[r.Offer].ByFarm, d.Grams.Value))).ToList();
            var byCafe = toProviders.Where(g => !g.ByFarm).Sum(g => g.Value);
            var byFarm = toProviders.Where(g => g.ByFarm).Sum(g => g.Value) + (batch == w.Forest ? MallWorld.SinkGramsHeld - model.GramsRetired.GetValueOrDefault(w.Forest) : 0);
            var retired = model.GramsRetired.GetValueOrDefault(batch);
            Assert.Equal(byCafe, cafe.Where(b => b.Asset == Asset.Co2 && b.Batch == batch).Sum(b => b.Amount));
            Assert.Equal(byFarm, farm.Where(b => b.Asset == Asset.Co2 && b.Batch == batch).Sum(b => b.Amount));
            var totals = audit.Totals.SingleOrDefault(t => t.Asset == Asset.Co2 && t.Batch == batch) ?? new AssetTotals(Asset.Co2, batch, 0, 0, 0, 0, 0, 0);
            Assert.Equal(model.GramsIssued.GetValueOrDefault(batch), totals.Issued);
            Assert.Equal(byPersons + byCafe + byFarm, totals.Held);
            Assert.Equal(retired, totals.Retired);
            Assert.Equal(0, totals.Redeemed + totals.Expired + totals.Other);
            Assert.Equal(totals.Issued, byPersons + byCafe + byFarm + retired);
        }

        // Stock never negative, and what is left is the total less the redemptions that stand; per-person limits hold.
        for (var o = 0; o < offers.Count; o++)
        {
            var offer = (await w.Offers.GetAsync(offers[o].Id))!;
            Assert.True(offer.StockLeft >= 0);
            Assert.Equal(offer.StockTotal - model.Standing.Count(r => r.Offer == o), offer.StockLeft);
            for (var p = 0; p < Persons; p++)
                Assert.True(model.Standing.Count(r => r.Offer == o && r.Person == p) <= offer.Definition.PerPersonLimit);
        }

        // The store's redemptions are the model's, voucher status included.
        for (var p = 0; p < Persons; p++)
        {
            var stored = (await w.Mall.ListForPersonAsync(persons[p], null, PointsMall.PageMax)).Redemptions;
            Assert.Equal(
                model.Redemptions.Where(r => r.Person == p).OrderBy(r => r.Id).Select(r => $"{r.Id}:{offers[r.Offer].Id}:{r.Status}:{r.Grams}"),
                stored.OrderBy(r => r.Id).Select(r => $"{r.Id}:{r.OfferId}:{r.Status}:{r.Grams}"));
        }

        // Honour, summed over each person's journal transactions, equals the model's.
        for (var p = 0; p < Persons; p++)
        {
            var honour = Honour.None;
            long? before = null;
            do
            {
                var page = await w.Store.GetHistoryAsync(persons[p], before, LedgerStore.HistoryPageMax);
                foreach (var stored in page.Transactions) honour = honour.Add(stored.Transaction, persons[p], accounts);
                before = page.NextBefore;
            }
            while (before is not null);

            var mine = model.Standing.Where(r => r.Person == p).ToList();
            var expected = new Honour(
                model.Earned[p],
                mine.Sum(r => Offers[r.Offer].Definition.Price),
                model.PointsCleared[p],
                mine.Sum(r => r.Grams),
                model.GramsCleared[p],
                mine.Where(r => Offers[r.Offer].Definition.IsSink).Sum(r => Offers[r.Offer].Definition.SinkGrams));
            Assert.Equal(expected, honour);
        }
    }

    /// <summary>The one call of the expiry job, so that a change of its signature is a change of one line.</summary>
    private static Task<ExpiryReport> RunExpiryAsync(LedgerStore store, DateOnly asOf, DateTimeOffset at)
        => ExpiryClearing.RunAsync(store, asOf, "expiry", at);
}
