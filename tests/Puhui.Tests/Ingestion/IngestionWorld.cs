using Puhui.Ingestion;
using Puhui.Ledger;
using Puhui.Storage;
using Puhui.Storage.Ingestion;
using Puhui.Testing;
using Puhui.Storage.Ledger;
using Puhui.Storage.Methodologies;
using Puhui.Tests.Methodologies;

namespace Puhui.Tests.Ingestion;

/// <summary>
/// A migrated store with the library's metro methodology, two operators (metro and bus-card) with running
/// scenarios, and people bound to them with consent, on a clock the test moves.
/// </summary>
public sealed class IngestionWorld : IAsyncDisposable
{
    /// <summary>09:00 in Shenzhen on 2026-11-02, when consents are given; the clock then stands at 21:00.</summary>
    public static readonly DateTimeOffset T0 = new(2026, 11, 2, 9, 0, 0, TimeSpan.FromHours(8));

    private IngestionWorld(LedgerStore store, ManualClock clock)
    {
        Store = store;
        Clock = clock;
        Scenarios = new ScenarioStore(store, clock);
        Ingestion = new BehaviourIngestion(store, Scenarios, null, clock);
    }

    public LedgerStore Store { get; }
    public ManualClock Clock { get; }
    public ScenarioStore Scenarios { get; }
    public BehaviourIngestion Ingestion { get; }
    public AccountId MetroOperator { get; private set; }
    public AccountId BusOperator { get; private set; }
    public AccountId Alice { get; private set; }
    public AccountId Bob { get; private set; }

    public static async Task<IngestionWorld> CreateAsync(StoreKind kind)
    {
        var clock = new ManualClock(T0);
        var store = await TestStores.CreateAsync(kind, clock);
        await store.MigrateAsync();
        var world = new IngestionWorld(store, clock);
        await world.SeedAsync();
        return world;
    }

    private async Task SeedAsync()
    {
        var methodologies = new MethodologyStore(Store.Dialect, Clock);
        var metro = await methodologies.RegisterAsync(await File.ReadAllTextAsync(Path.Combine(MethodologyText.LibraryDirectory(), "metro.yaml")));
        Assert.True(metro.Succeeded, metro.Problem);
        MetroOperator = (await Store.OpenAccountAsync(new NewAccount(AccountKind.Organisation, "org:sz-metro", "深圳地铁", OrganisationRoles.Operator))).Id;
        BusOperator = (await Store.OpenAccountAsync(new NewAccount(AccountKind.Organisation, "org:sz-bus", "深圳巴士", OrganisationRoles.Operator))).Id;
        Alice = (await Store.OpenAccountAsync(new NewAccount(AccountKind.Person, "person:alice", "Alice"))).Id;
        Bob = (await Store.OpenAccountAsync(new NewAccount(AccountKind.Person, "person:bob", "Bob"))).Id;

        await RunAsync(MetroOperator, new ScenarioDefinition
        {
            Code = "sz-metro", TitleZh = "深圳地铁出行", TitleEn = "Shenzhen metro", MethodologyId = "metro", MethodologyVersion = "1.0.0", Region = "440300",
        });
        var busCard = new ScenarioDefinition
        {
            Code = "sz-bus-card", TitleZh = "公交刷卡", TitleEn = "Bus by card", PointsPerAction = 5, DailyRecordsCap = 4,
            Attributes = ["vehicle", "stop"], Dedup = new DedupRule("sz-bus", ["vehicle", "stop"], 120), Region = "440300",
        };
        await RunAsync(BusOperator, busCard);
        await RunAsync(MetroOperator, busCard with { Code = "sz-bus-qr", TitleZh = "公交扫码", TitleEn = "Bus by QR code", DailyRecordsCap = null });

        foreach (var (person, reference) in new[] { (Alice, "alice"), (Bob, "bob") })
        {
            await BindAsync(MetroOperator, reference, person);
            await BindAsync(BusOperator, "card-" + reference, person);
        }
        foreach (var scenario in new[] { "sz-metro", "sz-bus-card", "sz-bus-qr" }) await ConsentAsync(Alice, scenario);
        await ConsentAsync(Bob, "sz-metro");
        Clock.Advance(TimeSpan.FromHours(12));
    }

    public async Task<Scenario> RunAsync(AccountId operatorAccount, ScenarioDefinition definition)
    {
        var scenario = await GovernanceSeeding.RunScenarioAsync(Store, Scenarios, operatorAccount, definition, Clock);
        Assert.Equal(ScenarioStatus.Running, scenario.Status);
        return scenario;
    }

    /// <summary>Binds through the real code flow: the person's one-time code, forwarded by the operator with its user reference.</summary>
    public async Task BindAsync(AccountId operatorAccount, string userRef, AccountId person)
    {
        var bindings = new Bindings(Store, Clock);
        var code = await bindings.IssueCodeAsync(person, operatorAccount, default);
        var bound = await bindings.BindAsync(operatorAccount, code.Code, userRef, default);
        Assert.Equal(BindOutcome.Bound, bound.Outcome);
    }

    public async Task ConsentAsync(AccountId person, string scenarioCode)
    {
        var granted = await new Consents(Store, Clock).GrantAsync(person, scenarioCode, default);
        Assert.Equal(GrantOutcome.Granted, granted.Outcome);
    }

    public static IncomingRecord Metro(string id, string user, DateTimeOffset at, decimal km = 12.3m, decimal minutes = 30) =>
        new("sz-metro", id, user, at, new Dictionary<string, decimal> { ["distance"] = km, ["duration"] = minutes });

    public static IncomingRecord Bus(string scenario, string id, string user, DateTimeOffset at, string vehicle = "B123", string stop = "S9") =>
        new(scenario, id, user, at, null, new Dictionary<string, string> { ["vehicle"] = vehicle, ["stop"] = stop });

    public async Task<long> BalanceAsync(AccountId account, Asset asset) =>
        (await Store.GetBalancesAsync(account)).Where(b => b.Asset == asset).Sum(b => b.Amount);

    public ValueTask DisposeAsync() => Store.DisposeAsync();
}
