using Puhui.Holdings;
using Puhui.Ledger;
using Puhui.Storage;
using Puhui.Storage.Holdings;

namespace Puhui.Tests.Holdings;

public class ReductionHoldingsTests
{
    public static TheoryData<StoreKind> Stores => TestStores.All;

    private const long Kg = HoldingRules.GramsPerKilogram;

    // ---- transfers ---------------------------------------------------------------------------------------

    [Theory, MemberData(nameof(Stores))]
    public async Task Transfer_moves_whole_kilograms_between_organisations_once_per_key(StoreKind kind)
    {
        await using var w = await HoldingsWorld.CreateAsync(kind);
        var done = await w.Holdings.TransferAsync(w.Developer, w.Buyer, w.Pv, 2_500 * Kg, "t-1", "staff:dev");
        Assert.Equal(HoldingStatus.Done, done.Status);
        Assert.Equal(HoldingsWorld.PvGrams - 2_500 * Kg, await w.BalanceAsync(w.Developer, w.Pv));
        Assert.Equal(2_500 * Kg, await w.BalanceAsync(w.Buyer, w.Pv));
        var stored = await w.Store.GetTransactionAsync(TransactionId.TryParse(done.Value!.TransactionId, out var id) ? id : default);
        Assert.Equal(TransactionKind.Transfer, stored!.Transaction.Kind);

        var before = await w.SnapshotAsync();
        var replay = await w.Holdings.TransferAsync(w.Developer, w.Buyer, w.Pv, 2_500 * Kg, "t-1", "staff:dev");
        Assert.Equal(HoldingStatus.Replayed, replay.Status);
        Assert.Equal(done.Value, replay.Value);
        Assert.Equal(before, await w.SnapshotAsync());

        await w.RefusedAsync(() => w.Holdings.TransferAsync(w.Developer, w.Buyer, w.Pv, 2_000 * Kg, "t-1", "staff:dev"), HoldingStatus.KeyConflict, "t-1");
        Assert.Single(await w.Holdings.TransfersAsync(w.Buyer));
    }

    [Theory, MemberData(nameof(Stores))]
    public async Task Transfer_refusals_change_nothing(StoreKind kind)
    {
        await using var w = await HoldingsWorld.CreateAsync(kind);
        await w.RefusedAsync(() => w.Holdings.TransferAsync(w.Developer, w.Buyer, w.Pv, 1_500, "frac", "staff:dev"), HoldingStatus.Invalid, "1 kg");
        await w.RefusedAsync(() => w.Holdings.TransferAsync(w.Developer, w.Buyer, w.Pv, 0, "zero", "staff:dev"), HoldingStatus.Invalid, "positive");
        await w.RefusedAsync(() => w.Holdings.TransferAsync(w.Developer, w.Buyer, w.Pv, -Kg, "neg", "staff:dev"), HoldingStatus.Invalid, "positive");
        await w.RefusedAsync(() => w.Holdings.TransferAsync(w.Developer, w.Person, w.Pv, Kg, "person-to", "staff:dev"), HoldingStatus.NotOrganisation, "persons never hold");
        await w.RefusedAsync(() => w.Holdings.TransferAsync(w.Person, w.Buyer, w.Pv, Kg, "person-from", "person:li"), HoldingStatus.NotOrganisation, "persons never hold");
        var system = await w.Store.SystemAccountAsync(SystemAccounts.Retired);
        await w.RefusedAsync(() => w.Holdings.TransferAsync(system, w.Buyer, w.Pv, Kg, "sys-from", "staff:dev"), HoldingStatus.NotOrganisation);
        await w.RefusedAsync(() => w.Holdings.TransferAsync(w.Developer, new AccountId(9_999), w.Pv, Kg, "nobody", "staff:dev"), HoldingStatus.NotFound, "9999");
        await w.RefusedAsync(() => w.Holdings.TransferAsync(w.Developer, w.Buyer, new BatchId(9_999), Kg, "no-batch", "staff:dev"), HoldingStatus.NotFound, "batch 9999");
        await w.RefusedAsync(() => w.Holdings.TransferAsync(w.Developer, w.Buyer, w.Pv, HoldingsWorld.PvGrams + Kg, "too-much", "staff:dev"),
            HoldingStatus.InsufficientHolding, "holds");
        await w.RefusedAsync(() => w.Holdings.TransferAsync(w.Buyer, w.Developer, w.Pv, Kg, "not-mine", "staff:buyer"), HoldingStatus.InsufficientHolding, "holds 0 g");
        await w.RefusedAsync(() => w.Holdings.TransferAsync(w.Developer, w.Developer, w.Pv, Kg, "self", "staff:dev"), HoldingStatus.Invalid, "itself");
        await w.RefusedAsync(() => w.Holdings.TransferAsync(w.Developer, w.Buyer, w.Pv, Kg, new string('k', HoldingRules.RequestKeyLengthMax + 1), "staff:dev"),
            HoldingStatus.Invalid, "requestKey");
        Assert.Equal(HoldingStatus.Done, (await w.Holdings.TransferAsync(w.Developer, w.Buyer, w.Pv, Kg, new string('k', HoldingRules.RequestKeyLengthMax), "staff:dev")).Status);
    }

    // ---- pledges -----------------------------------------------------------------------------------------

    [Theory, MemberData(nameof(Stores))]
    public async Task Pledged_grams_are_locked_until_the_lender_releases_them(StoreKind kind)
    {
        await using var w = await HoldingsWorld.CreateAsync(kind);
        var pledged = await w.Holdings.PledgeAsync(w.Developer, w.Bank, w.Pv, 60_000 * Kg, "loan-1", "staff:dev");
        Assert.Equal(HoldingStatus.Done, pledged.Status);
        Assert.Equal(PledgeStatus.Open, pledged.Value!.Status);
        Assert.Equal(60_000 * Kg, await w.SystemBalanceAsync(SystemAccounts.Pledged, w.Pv));
        Assert.Equal(new Holding(w.Pv, "PRJ1-20250101-20250630", 40_000 * Kg, 60_000 * Kg), (await w.Holdings.HoldingsAsync(w.Developer)).Single(h => h.Batch == w.Pv));

        // Locked grams cannot be transferred, retired or bridged out.
        await w.RefusedAsync(() => w.Holdings.TransferAsync(w.Developer, w.Buyer, w.Pv, 50_000 * Kg, "t", "staff:dev"), HoldingStatus.InsufficientHolding);
        await w.RefusedAsync(() => w.Holdings.RetireAsync(w.Developer, w.Pv, 50_000 * Kg, RetirementPurpose.VoluntaryOffset, "开发商 / developer", "开发商", "", "CN-JS", "r",
            "staff:dev"), HoldingStatus.InsufficientHolding);
        await w.RefusedAsync(() => w.Holdings.BridgeOutAsync(w.Developer, w.Pv, 50_000 * Kg, "CCER", "X-1", "b", "staff:dev"), HoldingStatus.InsufficientHolding);
        await w.RefusedAsync(() => w.Holdings.PledgeAsync(w.Developer, w.Bank, w.Pv, 50_000 * Kg, "loan-2", "staff:dev"), HoldingStatus.InsufficientHolding);

        await w.RefusedAsync(() => w.Holdings.ReleaseAsync(pledged.Value.Id, w.Buyer, "staff:buyer"), HoldingStatus.NotLender, "lender");
        await w.RefusedAsync(() => w.Holdings.ReleaseAsync(9_999, w.Bank, "staff:bank"), HoldingStatus.NotFound);
        var released = await w.Holdings.ReleaseAsync(pledged.Value.Id, w.Bank, "staff:bank");
        Assert.Equal(HoldingStatus.Done, released.Status);
        Assert.Equal(PledgeStatus.Released, released.Value!.Status);
        Assert.Equal(HoldingsWorld.PvGrams, await w.BalanceAsync(w.Developer, w.Pv));
        Assert.Equal(0, await w.SystemBalanceAsync(SystemAccounts.Pledged, w.Pv));
        var stored = await w.Store.GetTransactionAsync(TransactionId.TryParse(released.Value.ClosedTransactionId, out var id) ? id : default);
        Assert.Equal(TransactionKind.Release, stored!.Transaction.Kind);

        var before = await w.SnapshotAsync();
        Assert.Equal(HoldingStatus.Replayed, (await w.Holdings.ReleaseAsync(pledged.Value.Id, w.Bank, "staff:bank")).Status);
        Assert.Equal(before, await w.SnapshotAsync());
        await w.RefusedAsync(() => w.Holdings.EnforceAsync(pledged.Value.Id, w.Bank, "staff:bank"), HoldingStatus.NotOpen, "released");
    }

    [Theory, MemberData(nameof(Stores))]
    public async Task Enforcement_passes_the_pledged_grams_to_the_lender(StoreKind kind)
    {
        await using var w = await HoldingsWorld.CreateAsync(kind);
        var pledged = (await w.Holdings.PledgeAsync(w.Developer, w.Bank, w.Pv, 30_000 * Kg, "loan-1", "staff:dev")).Value!;
        await w.RefusedAsync(() => w.Holdings.PledgeAsync(w.Developer, w.Person, w.Pv, Kg, "loan-p", "staff:dev"), HoldingStatus.NotOrganisation);
        await w.RefusedAsync(() => w.Holdings.PledgeAsync(w.Developer, w.Bank, w.Pv, 1, "loan-f", "staff:dev"), HoldingStatus.Invalid);
        var enforced = await w.Holdings.EnforceAsync(pledged.Id, w.Bank, "staff:bank");
        Assert.Equal(HoldingStatus.Done, enforced.Status);
        Assert.Equal(PledgeStatus.Enforced, enforced.Value!.Status);
        Assert.Equal(30_000 * Kg, await w.BalanceAsync(w.Bank, w.Pv));
        Assert.Equal(70_000 * Kg, await w.BalanceAsync(w.Developer, w.Pv));
        Assert.Equal(0, await w.SystemBalanceAsync(SystemAccounts.Pledged, w.Pv));
        await w.RefusedAsync(() => w.Holdings.ReleaseAsync(pledged.Id, w.Bank, "staff:bank"), HoldingStatus.NotOpen, "enforced");
        Assert.Equal([pledged.Id], (await w.Holdings.PledgesAsync(w.Bank, PledgeStatus.Enforced)).Select(p => p.Id));
        Assert.Empty(await w.Holdings.PledgesAsync(w.Developer, PledgeStatus.Open));
    }

    // ---- retirements -------------------------------------------------------------------------------------

    [Theory, MemberData(nameof(Stores))]
    public async Task Retirements_take_consecutive_serials_that_can_be_looked_up(StoreKind kind)
    {
        await using var w = await HoldingsWorld.CreateAsync(kind);
        var first = await w.Holdings.RetireAsync(w.Developer, w.Pv, 1_200 * Kg, RetirementPurpose.EventNeutrality, "2026 南京马拉松 / Nanjing Marathon 2026", "南京会展公司",
            "赛事碳中和 / event neutrality", "CN-JS", "r-1", "staff:dev");
        Assert.Equal(HoldingStatus.Done, first.Status);
        Assert.Equal("320115-" + w.Pv + "-1-1200", first.Value!.Serials.Single().ToString());
        Assert.Equal(1_200 * Kg, await w.SystemBalanceAsync(SystemAccounts.Retired, w.Pv));
        Assert.Equal(TransactionKind.Retire, (await w.Store.GetTransactionAsync(TransactionId.TryParse(first.Value.TransactionId, out var id) ? id : default))!.Transaction.Kind);

        var second = await w.Holdings.RetireAsync(w.Developer, w.Pv, 3 * Kg, RetirementPurpose.Donation, "李明 / Li Ming", "江宁光伏开发", "", "", "r-2", "staff:dev");
        Assert.Equal("320115-" + w.Pv + "-1201-1203", second.Value!.Serials.Single().ToString());
        var plain = await w.Holdings.RetireAsync(w.Developer, w.Plain, 5 * Kg, RetirementPurpose.VoluntaryCancellation, "江宁光伏开发", "江宁光伏开发", "", "", "r-3", "staff:dev");
        Assert.Equal("CN-" + w.Plain + "-1-5", plain.Value!.Serials.Single().ToString());

        Assert.Equal(first.Value.Id, (await w.Holdings.FindSerialAsync("320115-" + w.Pv + "-1200"))!.Id);
        Assert.Equal(second.Value.Id, (await w.Holdings.FindSerialAsync("320115-" + w.Pv + "-1201"))!.Id);
        Assert.Equal(second.Value.Id, (await w.Holdings.FindSerialAsync(second.Value.Serials[0].ToString()))!.Id);
        Assert.Null(await w.Holdings.FindSerialAsync("320115-" + w.Pv + "-1204"));
        Assert.Null(await w.Holdings.FindSerialAsync("320115-" + w.Pv + "-1200-1201"));
        Assert.Null(await w.Holdings.FindSerialAsync("320116-" + w.Pv + "-1"));
        Assert.Null(await w.Holdings.FindSerialAsync("not a serial"));

        var before = await w.SnapshotAsync();
        var replay = await w.Holdings.RetireAsync(w.Developer, w.Pv, 3 * Kg, RetirementPurpose.Donation, "李明 / Li Ming", "江宁光伏开发", "", "", "r-2", "staff:dev");
        Assert.Equal(HoldingStatus.Replayed, replay.Status);
        Assert.Equal(second.Value.Id, replay.Value!.Id);
        Assert.Equal(before, await w.SnapshotAsync());
        await w.RefusedAsync(() => w.Holdings.RetireAsync(w.Developer, w.Pv, 3 * Kg, RetirementPurpose.Donation, "王芳 / Wang Fang", "江宁光伏开发", "", "", "r-2", "staff:dev"),
            HoldingStatus.KeyConflict);

        var page = await w.Holdings.RetirementsAsync(w.Developer, limit: 2);
        Assert.Equal([first.Value.Id, second.Value.Id], page.Retirements.Select(r => r.Id));
        Assert.Equal(second.Value.Id, page.NextAfter);
        Assert.Equal([plain.Value.Id], (await w.Holdings.RetirementsAsync(afterId: page.NextAfter)).Retirements.Select(r => r.Id));
    }

    [Theory, MemberData(nameof(Stores))]
    public async Task A_retirement_is_never_edited_only_noted(StoreKind kind)
    {
        await using var w = await HoldingsWorld.CreateAsync(kind);
        var retired = (await w.Holdings.RetireAsync(w.Developer, w.Pv, 10 * Kg, RetirementPurpose.VoluntaryOffset, "误填受益人 / wrong beneficiary", "江宁光伏开发", "", "",
            "r-1", "staff:dev")).Value!;
        var note = await w.Holdings.NoteAsync(retired.Id, "受益人应为南京会展公司 / the beneficiary should have been Nanjing Expo Co.", "staff:dev");
        Assert.Equal(HoldingStatus.Done, note.Status);
        await w.Holdings.NoteAsync(retired.Id, "已告知受益人 / beneficiary informed", "staff:dev");
        var read = (await w.Holdings.GetRetirementAsync(retired.Id))!;
        Assert.Equal("误填受益人 / wrong beneficiary", read.Beneficiary);
        Assert.Equal(2, read.Notes.Count);
        Assert.Equal(note.Value, read.Notes[0]);
        await w.RefusedAsync(() => w.Holdings.NoteAsync(9_999, "x", "staff:dev"), HoldingStatus.NotFound);
        await w.RefusedAsync(() => w.Holdings.NoteAsync(retired.Id, "", "staff:dev"), HoldingStatus.Invalid);
        await w.RefusedAsync(() => w.Holdings.NoteAsync(retired.Id, new string('x', HoldingRules.NoteLengthMax + 1), "staff:dev"), HoldingStatus.Invalid);
    }

    [Theory, MemberData(nameof(Stores))]
    public async Task Retirement_refusals_change_nothing(StoreKind kind)
    {
        await using var w = await HoldingsWorld.CreateAsync(kind);
        Task<HoldingResult<Retirement>> Retire(AccountId holder, BatchId batch, long grams, string beneficiary = "受益人 / beneficiary") =>
            w.Holdings.RetireAsync(holder, batch, grams, RetirementPurpose.VoluntaryOffset, beneficiary, "使用方 / user", "", "", "r", "staff");
        await w.RefusedAsync(() => Retire(w.Developer, w.Pv, 999), HoldingStatus.Invalid, "1 kg");
        await w.RefusedAsync(() => Retire(w.Developer, w.Pv, Kg + 1), HoldingStatus.Invalid, "1 kg");
        await w.RefusedAsync(() => Retire(w.Developer, w.Pv, Kg, ""), HoldingStatus.Invalid, "beneficiary");
        await w.RefusedAsync(() => Retire(w.Developer, w.Pv, Kg, new string('x', HoldingRules.NameLengthMax + 1)), HoldingStatus.Invalid, "beneficiary");
        await w.RefusedAsync(() => Retire(w.Buyer, w.Pv, Kg), HoldingStatus.InsufficientHolding, "holds 0 g");
        await w.RefusedAsync(() => Retire(w.Developer, w.Pv, HoldingsWorld.PvGrams + Kg), HoldingStatus.InsufficientHolding);
        await w.RefusedAsync(() => Retire(w.Person, w.Pv, Kg), HoldingStatus.NotOrganisation);
        await w.RefusedAsync(() => Retire(w.Developer, new BatchId(9_999), Kg), HoldingStatus.NotFound);
        await w.RefusedAsync(() => w.Holdings.RetireAsync(w.Developer, w.Pv, Kg, (RetirementPurpose)99, "b", "u", "", "", "r", "staff"), HoldingStatus.Invalid, "purpose");
        Assert.Equal(HoldingStatus.Done, (await Retire(w.Developer, w.Pv, HoldingsWorld.PvGrams)).Status);
        // Retired grams are never held, transferred or retired again.
        await w.RefusedAsync(() => w.Holdings.RetireAsync(w.Developer, w.Pv, Kg, RetirementPurpose.VoluntaryOffset, "b", "u", "", "", "r-again", "staff"),
            HoldingStatus.InsufficientHolding);
        await w.RefusedAsync(() => w.Holdings.TransferAsync(w.Developer, w.Buyer, w.Pv, Kg, "after", "staff"), HoldingStatus.InsufficientHolding);
    }

    [Theory, MemberData(nameof(Stores))]
    public async Task Compliance_offsets_stay_within_the_annual_cap_of_the_covered_entity(StoreKind kind)
    {
        await using var w = await HoldingsWorld.CreateAsync(kind);
        Task<HoldingResult<Retirement>> Offset(long kg, string key) => w.Holdings.RetireAsync(w.Developer, w.Pv, kg * Kg, RetirementPurpose.ComplianceOffset,
            "江宁光伏开发 / developer", "江宁光伏开发", "2025 年度履约 / 2025 compliance", "CN-GD-SZ", key, "staff:dev");
        await w.RefusedAsync(() => Offset(1, "c-0"), HoldingStatus.OverComplianceCap, "no compliance-offset cap");
        Assert.Equal(HoldingStatus.Done, (await w.Holdings.SetComplianceCapAsync(2026, w.Developer, 500, "admin")).Status);
        await w.RefusedAsync(() => w.Holdings.SetComplianceCapAsync(2026, w.Person, 500, "admin"), HoldingStatus.NotOrganisation);
        await w.RefusedAsync(() => w.Holdings.SetComplianceCapAsync(2026, w.Developer, -1, "admin"), HoldingStatus.Invalid);

        var first = await Offset(300, "c-1");
        Assert.Equal(2026, first.Value!.ComplianceYear);
        await w.RefusedAsync(() => Offset(201, "c-2"), HoldingStatus.OverComplianceCap, "300 kg used");
        Assert.Equal(HoldingStatus.Done, (await Offset(200, "c-3")).Status);
        await w.RefusedAsync(() => Offset(1, "c-4"), HoldingStatus.OverComplianceCap);
        // Other purposes do not count against the cap.
        Assert.Equal(HoldingStatus.Done, (await w.Holdings.RetireAsync(w.Developer, w.Pv, 1_000 * Kg, RetirementPurpose.VoluntaryOffset, "b", "u", "", "", "v-1", "staff")).Status);
        // A new year has a new cap; 16:00 UTC on 31 December is already the new year in China.
        w.Clock.Set(new DateTimeOffset(2026, 12, 31, 16, 0, 0, TimeSpan.Zero));
        await w.RefusedAsync(() => Offset(1, "c-5"), HoldingStatus.OverComplianceCap, "2027");
        await w.Holdings.SetComplianceCapAsync(2027, w.Developer, 1, "admin");
        Assert.Equal(2027, (await Offset(1, "c-6")).Value!.ComplianceYear);
    }

    // ---- bridges -----------------------------------------------------------------------------------------

    [Theory, MemberData(nameof(Stores))]
    public async Task Bridged_grams_are_cancelled_here_for_good(StoreKind kind)
    {
        await using var w = await HoldingsWorld.CreateAsync(kind);
        var bridged = await w.Holdings.BridgeOutAsync(w.Developer, w.Plain, HoldingsWorld.PlainGrams, "上海碳普惠登记簿 / Shanghai registry", "SH-2026-000123", "bridge-1",
            "staff:dev");
        Assert.Equal(HoldingStatus.Done, bridged.Status);
        Assert.Equal(HoldingsWorld.PlainGrams, await w.SystemBalanceAsync(SystemAccounts.Cancelled, w.Plain));
        Assert.Equal(0, await w.BalanceAsync(w.Developer, w.Plain));
        Assert.Equal([bridged.Value!], await w.Holdings.BridgesAsync(w.Developer));
        Assert.DoesNotContain(await w.Holdings.HoldingsAsync(w.Developer), h => h.Batch == w.Plain);
        await w.RefusedAsync(() => w.Holdings.TransferAsync(w.Developer, w.Buyer, w.Plain, Kg, "t", "staff:dev"), HoldingStatus.InsufficientHolding);
        await w.RefusedAsync(() => w.Holdings.RetireAsync(w.Developer, w.Plain, Kg, RetirementPurpose.VoluntaryOffset, "b", "u", "", "", "r", "staff"), HoldingStatus.InsufficientHolding);
        await w.RefusedAsync(() => w.Holdings.BridgeOutAsync(w.Developer, w.Pv, Kg, "", "ref", "bridge-2", "staff:dev"), HoldingStatus.Invalid, "destinationRegistry");
        await w.RefusedAsync(() => w.Holdings.BridgeOutAsync(w.Person, w.Pv, Kg, "CCER", "ref", "bridge-3", "person:li"), HoldingStatus.NotOrganisation);
    }
}
