using Puhui.Ingestion;
using Puhui.Ledger;
using Puhui.Storage;
using Puhui.Storage.Ingestion;
using Puhui.Storage.Governance;
using Puhui.Testing;
using static Puhui.Tests.Ingestion.IngestionWorld;

namespace Puhui.Tests.Ingestion;

/// <summary>The ingestion engine over each store, without HTTP.</summary>
public class BehaviourIngestionTests
{
    public static TheoryData<StoreKind> Stores => TestStores.All;

    private static readonly DateTimeOffset Ride = T0.AddMinutes(30);

    [Theory, MemberData(nameof(Stores))]
    public async Task Accepted_record_issues_points_and_grams_into_the_persons_lot_for_the_scenario_month_and_day(StoreKind kind)
    {
        await using var w = await CreateAsync(kind);
        var result = await w.Ingestion.SubmitAsync(w.MetroOperator, "pk_test", [Metro("m-1", "alice", Ride)]);

        var record = Assert.Single(result.Records);
        Assert.Equal(RecordStatus.Accepted, record.Status);
        Assert.Equal((574L, 57L), (record.Grams, record.Points));
        Assert.Equal(57, await w.BalanceAsync(w.Alice, Asset.Pts));
        Assert.Equal(574, await w.BalanceAsync(w.Alice, Asset.Co2));
        var lot = Assert.Single(await w.Store.GetLotsAsync(w.Alice));
        Assert.Equal(new DateOnly(2026, 11, 2), lot.Lot.Day);
        Assert.Equal(new DateOnly(2028, 11, 2), lot.Lot.ExpiresOn);
        var batch = await w.Store.FindBatchAsync(lot.Lot.Batch);
        Assert.Equal(("scn:sz-metro:2026-11", BatchOrigin.Scenario, "metro", "1.0.0", MethodologyClass.I, "440300"),
            (batch!.Code, batch.Origin, batch.MethodologyId, batch.MethodologyVersion, batch.Class, batch.Region));
        Assert.Empty((await w.Store.AuditAsync()).Problems);
    }

    [Theory, MemberData(nameof(Stores))]
    public async Task A_replayed_record_is_a_duplicate_with_its_original_outcome_and_changes_nothing(StoreKind kind)
    {
        await using var w = await CreateAsync(kind);
        var first = await w.Ingestion.SubmitAsync(w.MetroOperator, "pk_test", [Metro("m-1", "alice", Ride)]);
        var head = await w.Store.GetHeadAsync();
        w.Clock.Advance(TimeSpan.FromMinutes(10));

        var replay = await w.Ingestion.SubmitAsync(w.MetroOperator, "pk_test", [Metro("m-1", "alice", Ride), Metro("m-2", "alice", Ride.AddHours(1)), Metro("m-2", "alice", Ride.AddHours(1))]);

        var duplicate = replay.Records[0];
        Assert.Equal(RecordStatus.Duplicate, duplicate.Status);
        Assert.Equal(first.Records[0].AcceptedAt, duplicate.Original!.AcceptedAt);
        Assert.Equal((574L, 57L), (duplicate.Original.Grams, duplicate.Original.Points));
        Assert.Equal(RecordStatus.Accepted, replay.Records[1].Status);
        Assert.Equal(RecordStatus.Duplicate, replay.Records[2].Status);
        Assert.Equal(replay.Records[1], replay.Records[2].Original);
        Assert.Equal(114, await w.BalanceAsync(w.Alice, Asset.Pts));
        Assert.Equal(head.Sequence + 1, (await w.Store.GetHeadAsync()).Sequence);
    }

    [Theory, MemberData(nameof(Stores))]
    public async Task Every_rejection_reason_is_reported_per_record_and_credits_nothing(StoreKind kind)
    {
        await using var w = await CreateAsync(kind);
        var paused = await w.RunAsync(w.MetroOperator, new ScenarioDefinition { Code = "sz-metro-paused", TitleZh = "暂停", TitleEn = "Paused", MethodologyId = "metro", MethodologyVersion = "1.0.0" });
        await GovernanceSeeding.StepAsync(GovernanceSeeding.Workflows(w.Store, w.Scenarios, w.Clock), paused.ApplicationId!.Value,
            new Step("suspend", "rectify", RectificationDays: 10), GovernanceSeeding.PlatformOperator);
        var now = w.Clock.GetUtcNow();
        IncomingRecord[] records =
        [
            Metro("r-unknown", "nobody", Ride),
            Metro("r-bob-no-consent", "bob", Ride) with { Scenario = "sz-bus-qr", Inputs = null, Attributes = new Dictionary<string, string> { ["vehicle"] = "B1", ["stop"] = "S1" } },
            Metro("r-paused", "alice", Ride) with { Scenario = "sz-metro-paused" },
            Metro("r-old", "alice", now.AddDays(-31)),
            Metro("r-future", "alice", now.AddMinutes(6)),
            Metro("r-missing-input", "alice", Ride) with { Inputs = new Dictionary<string, decimal> { ["distance"] = 5 } },
            Metro("r-unknown-input", "alice", Ride) with { Inputs = new Dictionary<string, decimal> { ["distance"] = 5, ["duration"] = 10, ["speed"] = 1 } },
            Metro("", "alice", Ride),
            Metro("r-far", "alice", Ride, km: 200, minutes: 200),
            Metro("r-fast", "alice", Ride, km: 40, minutes: 20),
        ];
        var head = await w.Store.GetHeadAsync();

        var result = await w.Ingestion.SubmitAsync(w.MetroOperator, "pk_test", records);

        Assert.Equal(["unknown_user", "no_consent", "scenario_not_running", "too_old", "in_future", "malformed", "malformed", "malformed", "out_of_bounds", "implausible"],
            result.Records.Select(r => r.Reason!.Value.Code()));
        Assert.All(result.Records, r => Assert.False(string.IsNullOrEmpty(r.Detail)));
        Assert.Equal(head.Sequence, (await w.Store.GetHeadAsync()).Sequence);
        Assert.Equal(0, await w.BalanceAsync(w.Alice, Asset.Pts));
    }

    [Theory, MemberData(nameof(Stores))]
    public async Task The_daily_cap_leaves_the_remainder_then_rejects_and_resets_the_next_day(StoreKind kind)
    {
        await using var w = await CreateAsync(kind);
        // 150 km is capped at 7,000 g a record; the day's cap is 20,000 g.
        var day1 = await w.Ingestion.SubmitAsync(w.MetroOperator, "pk_test",
            [Metro("c-1", "alice", Ride, 150, 150), Metro("c-2", "alice", Ride.AddHours(3), 150, 150)]);
        var day1More = await w.Ingestion.SubmitAsync(w.MetroOperator, "pk_test",
            [Metro("c-3", "alice", Ride.AddHours(5), 150, 150), Metro("c-4", "alice", Ride.AddHours(6), 10, 25)]);
        w.Clock.Advance(TimeSpan.FromDays(1));
        var day2 = await w.Ingestion.SubmitAsync(w.MetroOperator, "pk_test", [Metro("c-5", "alice", Ride.AddDays(1), 10, 25)]);

        Assert.Equal([7000L, 7000L], day1.Records.Select(r => r.Grams));
        Assert.Equal(6000, day1More.Records[0].Grams);
        Assert.Equal(RejectionReason.DailyCapReached, day1More.Records[1].Reason);
        Assert.Equal(467, day2.Records[0].Grams);
        Assert.Equal(20467, await w.BalanceAsync(w.Alice, Asset.Co2));
        Assert.Equal(2, (await w.Store.GetLotsAsync(w.Alice)).Count);
        Assert.Empty((await w.Store.AuditAsync()).Problems);
        Assert.Empty((await IngestionAudit.RunAsync(w.Store)).Problems);
    }

    [Theory, MemberData(nameof(Stores))]
    public async Task The_same_bus_ride_reported_by_two_operators_earns_once(StoreKind kind)
    {
        await using var w = await CreateAsync(kind);
        var card = await w.Ingestion.SubmitAsync(w.BusOperator, "pk_bus", [Bus("sz-bus-card", "card-1", "card-alice", Ride)]);
        var qr = await w.Ingestion.SubmitAsync(w.MetroOperator, "pk_qr",
        [
            Bus("sz-bus-qr", "qr-1", "alice", Ride.AddSeconds(90)),
            Bus("sz-bus-qr", "qr-2", "alice", Ride.AddSeconds(121)),
            Bus("sz-bus-qr", "qr-3", "alice", Ride.AddMinutes(10), vehicle: "B124"),
        ]);

        Assert.Equal(RecordStatus.Accepted, card.Records[0].Status);
        Assert.Equal([RejectionReason.DuplicateElsewhere, null, null], qr.Records.Select(r => r.Reason));
        Assert.Equal(15, await w.BalanceAsync(w.Alice, Asset.Pts));
        Assert.Equal(0, await w.BalanceAsync(w.Alice, Asset.Co2));
    }

    [Theory, MemberData(nameof(Stores))]
    public async Task The_daily_record_cap_of_a_points_only_scenario_holds_across_batches(StoreKind kind)
    {
        await using var w = await CreateAsync(kind);
        var first = await w.Ingestion.SubmitAsync(w.BusOperator, "pk_bus",
            Enumerable.Range(0, 3).Select(i => Bus("sz-bus-card", $"b-{i}", "card-alice", Ride.AddMinutes(i * 10), vehicle: $"V{i}")).ToList());
        var second = await w.Ingestion.SubmitAsync(w.BusOperator, "pk_bus",
            Enumerable.Range(3, 3).Select(i => Bus("sz-bus-card", $"b-{i}", "card-alice", Ride.AddMinutes(i * 10), vehicle: $"V{i}")).ToList());

        Assert.All(first.Records, r => Assert.Equal(RecordStatus.Accepted, r.Status));
        Assert.Equal([null, RejectionReason.DailyCapReached, RejectionReason.DailyCapReached], second.Records.Select(r => r.Reason));
        Assert.Equal(20, await w.BalanceAsync(w.Alice, Asset.Pts));
    }

    [Theory, MemberData(nameof(Stores))]
    public async Task A_batch_naming_another_operators_scenario_is_refused_whole(StoreKind kind)
    {
        await using var w = await CreateAsync(kind);
        var head = await w.Store.GetHeadAsync();
        var result = await w.Ingestion.SubmitAsync(w.BusOperator, "pk_bus", [Bus("sz-bus-card", "ok-1", "card-alice", Ride), Metro("m-1", "alice", Ride)]);
        var unknown = await w.Ingestion.SubmitAsync(w.BusOperator, "pk_bus", [Metro("m-1", "alice", Ride) with { Scenario = "no-such-scenario" }]);

        Assert.Equal(BatchRefusal.ScenarioForbidden, result.Refusal);
        Assert.Equal(BatchRefusal.ScenarioForbidden, unknown.Refusal);
        Assert.Equal(head.Sequence, (await w.Store.GetHeadAsync()).Sequence);
    }

    [Theory, MemberData(nameof(Stores))]
    public async Task Concurrent_batches_for_the_same_person_never_pass_the_daily_cap_together(StoreKind kind)
    {
        await using var w = await CreateAsync(kind);
        var batches = Enumerable.Range(0, 8).Select(b => w.Ingestion.SubmitAsync(w.MetroOperator, "pk_test",
            [Metro($"p-{b}", "alice", Ride.AddMinutes(b), 150, 150)])).ToList();
        await Task.WhenAll(batches);

        Assert.Equal(20_000, await w.BalanceAsync(w.Alice, Asset.Co2));
        Assert.Equal(3, batches.Count(b => b.Result.Records[0].Status == RecordStatus.Accepted));
        Assert.Empty((await w.Store.AuditAsync()).Problems);
        Assert.Empty((await IngestionAudit.RunAsync(w.Store)).Problems);
    }

    [Theory, MemberData(nameof(Stores))]
    public async Task A_person_sees_why_a_ride_earned_574_grams_and_an_operator_sees_its_statistics(StoreKind kind)
    {
        await using var w = await CreateAsync(kind);
        await w.Ingestion.SubmitAsync(w.MetroOperator, "pk_test", [Metro("m-1", "alice", Ride), Metro("m-2", "alice", Ride.AddHours(1), 40, 20), Metro("m-3", "nobody", Ride)]);
        await w.Ingestion.SubmitAsync(w.MetroOperator, "pk_test", [Metro("m-1", "alice", Ride)]);
        var queries = new IngestionQueries(w.Store, w.Scenarios);

        var page = await queries.GetRecordsAsync(w.Alice, null, 10);
        var record = Assert.Single(page.Records);
        var why = await queries.ExplainAsync(w.Alice, record.Id);
        var stats = await queries.GetStatisticsAsync(w.MetroOperator, new DateOnly(2026, 11, 1), new DateOnly(2026, 11, 30));

        Assert.Equal(("sz-metro", 574L, 57L, "metro", "1.0.0"), (record.ScenarioCode, record.Grams, record.Points, record.MethodologyId, record.MethodologyVersion));
        Assert.Equal(12.3m, record.Inputs["distance"]);
        Assert.Equal(46.7m, Assert.Single(why!.Factors, f => f.Name == "reduction_factor").Value);
        Assert.Equal(574.41m, Assert.Single(why.Formulas, f => f.Name == "reduction").Value);
        Assert.Equal(574, why.ComputedGrams);
        Assert.Equal("floor(accepted / 10[g])", why.PointsRule);
        Assert.Null(await queries.ExplainAsync(w.Bob, record.Id));
        Assert.Equal(
            [("accepted", 1L, 574L, 57L), ("duplicate", 1L, 0L, 0L), ("implausible", 1L, 0L, 0L), ("unknown_user", 1L, 0L, 0L)],
            stats.Select(s => (s.Outcome, s.Records, s.Grams, s.Points)));
    }

    [Theory, MemberData(nameof(Stores))]
    public async Task The_ingestion_audit_names_a_record_that_disagrees_with_its_issuance_and_a_tally_that_disagrees_with_its_records(StoreKind kind)
    {
        await using var w = await CreateAsync(kind);
        await w.Ingestion.SubmitAsync(w.MetroOperator, "pk_test", [Metro("m-1", "alice", Ride), Metro("m-2", "bob", Ride)]);
        Assert.Empty((await IngestionAudit.RunAsync(w.Store)).Problems);

        await using (var connection = await w.Store.Dialect.OpenAsync(default))
        await using (var cmd = connection.CreateCommand())
        {
            cmd.CommandText = "UPDATE behaviour_records SET points = points + 1 WHERE external_id = 'm-1'; UPDATE behaviour_days SET grams = 1 WHERE account_id = " + w.Bob.Value;
            await cmd.ExecuteNonQueryAsync();
        }

        var problems = (await IngestionAudit.RunAsync(w.Store)).Problems;
        Assert.Contains(problems, p => p.Contains("records credit 58 points and 574 g, the ledger paid 57 and 574", StringComparison.Ordinal));
        Assert.Contains(problems, p => p.Contains($"account {w.Bob}", StringComparison.Ordinal) && p.Contains("daily tally", StringComparison.Ordinal));
    }
}
