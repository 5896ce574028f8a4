using System.Buffers.Text;
using System.Globalization;
using System.Security.Cryptography;
using Puhui.Client;
using Puhui.Host.Cli;
using Puhui.Host.Http;
using Puhui.Ingestion;
using Puhui.Storage.Ledger;
using Puhui.Storage.Methodologies;

namespace Puhui.Host.Demo;

/// <summary>How a behaviour demo is shaped. The same seed, persons and days always give the same outcomes.</summary>
public sealed record BehaviourDemoOptions(int Seed = BehaviourDemoOptions.DefaultSeed, int Persons = BehaviourDemoOptions.DefaultPersons, int Days = BehaviourDemoOptions.DefaultDays)
{
    public const int DefaultSeed = 42;

    /// <summary>After the month of behaviour, run the points mall: providers, offers, redemptions, cancellations, vouchers, a sink.</summary>
    public bool Mall { get; init; } = true;

    /// <summary>After the mall, move the clock two years on and run the expiry job (JS 37). Off for <c>serve --demo</c>, which serves today.</summary>
    public bool ExpiryRun { get; init; } = true;

    public const int DefaultPersons = 200;
    public const int DefaultDays = 30;
    public const int PersonsMax = 10_000;

    /// <summary>The operator statistics the demo checks itself against cover at most 366 days, today included.</summary>
    public const int DaysMax = 365;

    /// <summary>Why the options cannot run, naming the command-line option, or null.</summary>
    public string? Problem() =>
        Persons is < 1 or > PersonsMax ? $"--persons must be 1–{PersonsMax}"
        : Days is < 1 or > DaysMax ? $"--days must be 1–{DaysMax}"
        : null;
}

/// <summary>Reports a behaviour demo's progress; called on the demo's own flow, one call at a time.</summary>
public interface IBehaviourDemoProgress
{
    void Planned(int persons, int days, long records);

    void PersonReady();

    void RecordsSent(int count);

    void DayDone();
}

public enum BehaviourDemoStatus
{
    Completed = 0,

    /// <summary>The store already holds the demo's organisations; the demo runs on a store without them.</summary>
    AlreadyLoaded = 1,

    /// <summary>No <c>methodologies/</c> folder beside the executable or above the current directory.</summary>
    LibraryMissing = 2,
}

/// <summary>What a behaviour demo did.</summary>
public sealed class BehaviourDemoResult
{
    public required BehaviourDemoStatus Status { get; init; }
    public string? Problem { get; init; }
    public BehaviourSummary Summary { get; init; } = new();

    /// <summary>Where the operators' statistics disagree with the SDK's outcomes; empty when the demo is consistent.</summary>
    public IReadOnlyList<string> Disagreements { get; init; } = [];
    public string? CredentialsPath { get; init; }
    public string Store { get; init; } = "";
    public int Persons { get; init; }
    public int Bindings { get; init; }
    public int Consents { get; init; }
    public int Requests { get; init; }
    public MallDemoSummary? Mall { get; init; }
    public GovernanceDemoResult? Governance { get; init; }
    public RegistryDemoResult? Registry { get; init; }
    public HoldingsDemoResult? Holdings { get; init; }
    public DateTimeOffset From { get; init; }
    public DateTimeOffset To { get; init; }
}

/// <summary>
/// <c>puhui demo</c>: a town's month of low-carbon behaviour, driven through the platform's real HTTP API. Before
/// the host starts, the methodology library is registered in the store (there is no endpoint for that yet); from
/// then on everything goes over HTTP on a loopback port: the administrator registers six operators and approves
/// their scenarios, each operator's staff take an API key, residents register, get a binding code per operator,
/// the operator binds it to its own reference through the SDK, and the residents consent. Then day by day the
/// simulated clock moves through the day and at each cut-off every operator sends what happened since the last
/// one with <see cref="PuhuiClient.SubmitAsync"/>, signed on the same clock. The outcomes the SDK returns are
/// tallied by scenario and checked against each operator's own statistics.
/// </summary>
public static class BehaviourDemo
{
    /// <summary>Self-registrations per minute the demo's host allows its one loopback client.</summary>
    private const int RegistrationsPerMinute = 1_000_000;

    /// <summary>How long before the behaviour month the governance walk starts: enough for two public notices of five working days.</summary>
    private const int GovernanceLeadDays = 35;

    public static async Task<BehaviourDemoResult> RunAsync(string storeSetting, BehaviourDemoOptions options, IBehaviourDemoProgress? progress, CancellationToken ct)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(storeSetting);
        if (options.Problem() is { } invalid) throw new ArgumentException(invalid, nameof(options));
        if (FindLibrary() is not { } library)
            return new BehaviourDemoResult { Status = BehaviourDemoStatus.LibraryMissing, Problem = "no methodologies/ folder beside the executable or above the current directory" };

        // The month before today, in China time: day 0 starts at midnight `Days` days ago, the last day ends at today's midnight.
        var policy = IngestionPolicy.Default;
        var firstDay = policy.LocalDay(TimeProvider.System.GetUtcNow()).AddDays(-options.Days);
        var start = new DateTimeOffset(firstDay.ToDateTime(TimeOnly.MinValue), policy.LocalOffset);
        // Governance comes first: the methodology application's notices and the scenarios' reviews take working days.
        var clock = new SimulatedClock(start.AddDays(-GovernanceLeadDays));

        await using var store = await LedgerStore.OpenAsync(storeSetting, clock, ct);
        foreach (var op in DemoTown.Operators)
        {
            if (await store.FindAccountByCodeAsync(op.Code, ct) is not null)
                return new BehaviourDemoResult
                {
                    Status = BehaviourDemoStatus.AlreadyLoaded, Store = store.Description,
                    Problem = $"the store already holds the demo's organisation {op.Code}; run the demo on a new database (--db)",
                };
        }

        var methodologies = new MethodologyStore(store.Dialect, clock);
        foreach (var file in MethodologyCommand.MethodologyFiles(library))
        {
            var registration = await methodologies.RegisterAsync(await File.ReadAllTextAsync(file, ct), ct);
            // A version already in use keeps its stored text, which is the one scenarios compute with.
            if (registration.Status == RegistrationStatus.Invalid)
                throw new InvalidOperationException($"The methodology file {file} does not load: {registration.Problem}");
        }

        var people = DemoTown.Populate(options.Seed, options.Persons);
        var behaviour = new DemoBehaviour(options.Seed, people, options.Days);
        long planned = 0;
        for (var day = 0; day < options.Days; day++) planned += behaviour.Plan(day, start.AddDays(day)).RecordCount;
        progress?.Planned(options.Persons, options.Days, planned);

        var adminToken = Base64Url.EncodeToString(RandomNumberGenerator.GetBytes(32));
        var app = PuhuiHost.Build(store, ["--Logging:LogLevel:Default=Warning"], "http://127.0.0.1:0",
            new PuhuiHostOptions(Time: clock, AdministratorToken: adminToken, RegistrationsPerMinute: RegistrationsPerMinute, ExpiryJob: false,
                // Certificates point at where `puhui serve` answers, not at this walk's throw-away port.
                PublicBaseUrl: Environment.GetEnvironmentVariable(PuhuiHostOptions.PublicUrlVariable) is { Length: > 0 } url ? url : PuhuiHostOptions.PublicUrlDefault));
        await app.StartAsync(ct);
        try
        {
            using var http = new HttpClient { BaseAddress = new Uri(app.Urls.First()), Timeout = TimeSpan.FromMinutes(5) };
            var api = new DemoApi(http);
            var (governance, runScenario, actors) = await GovernanceDemo.RunMethodologyAsync(api, adminToken, clock, library, ct);
            var operators = await SetUpOperatorsAsync(api, adminToken, clock, runScenario, ct);
            governance = governance with { ScenariosRunning = await GovernanceDemo.RunningScenariosAsync(api, ct) };
            var registry = await RegistryDemo.RunAsync(api, actors, clock, ct);
            var holdings = await HoldingsDemo.RunAsync(api, adminToken, registry, ct);
            if (clock.GetUtcNow() > start) throw new InvalidOperationException($"The governance walk ran past the behaviour month's start {start:yyyy-MM-dd}.");
            clock.AdvanceTo(start);
            var (bindings, consents) = await SetUpPeopleAsync(api, people, operators, progress, ct);

            var summary = new BehaviourSummary();
            var requests = 0;
            for (var day = 0; day < options.Days; day++)
            {
                var plan = behaviour.Plan(day, start.AddDays(day));
                for (var wave = 0; wave < DemoBehaviour.Cutoffs.Count; wave++)
                {
                    clock.AdvanceTo(plan.Start + DemoBehaviour.Cutoffs[wave]);
                    foreach (var send in plan.Sends.Where(s => s.Wave == wave))
                    {
                        var result = await operators[send.Operator].Client.SubmitAsync(send.Records, ct);
                        summary.Add(result);
                        requests += result.Attempts;
                        progress?.RecordsSent(send.Records.Count);
                    }
                }

                progress?.DayDone();
            }

            clock.AdvanceTo(Later(clock.GetUtcNow(), TimeProvider.System.GetUtcNow()));
            var lastDay = policy.LocalDay(clock.GetUtcNow());
            var disagreements = new List<string>();
            for (var op = 0; op < operators.Count; op++)
            {
                var statistics = await api.GetAsync<StatisticsDto>(string.Create(CultureInfo.InvariantCulture,
                    $"/api/v1/operator/statistics?from={firstDay:yyyy-MM-dd}&to={lastDay:yyyy-MM-dd}"), operators[op].StaffToken, ct);
                disagreements.AddRange(summary.Disagreements(op, statistics));
            }

            var mall = options.Mall ? await MallDemo.RunAsync(store, api, adminToken, people, clock, options.Seed, options.ExpiryRun, ct) : null;
            var credentials = new DemoCredentials(
                "Puhui demo credentials: secrets for trying the API on the demo's data with puhui serve on the same database. Delete this file when done.",
                store.Description, adminToken,
                operators.Select(o => new DemoOperatorCredentials(o.Spec.Code, o.Spec.DisplayName, o.Account, o.Spec.Scenario.Code, o.StaffToken, new DemoApiKey(o.KeyId, o.Secret))).ToList(),
                people.Take(DemoCredentials.PersonsListed).Select(p => new DemoPersonCredentials(p.DisplayName, p.Account, p.Token,
                    Enumerable.Range(0, operators.Count).Where(p.Uses).ToDictionary(op => operators[op].Spec.Code, op => p.UserRefs[op]!, StringComparer.Ordinal),
                    Enumerable.Range(0, operators.Count).Where(p.Consents).Select(op => operators[op].Spec.Scenario.Code).ToList())).ToList(),
                mall?.Credentials, governance.PlatformOperatorToken);
            var path = credentials.Write(DemoCredentials.PathFor(storeSetting));

            return new BehaviourDemoResult
            {
                Status = BehaviourDemoStatus.Completed, Summary = summary, Disagreements = disagreements, CredentialsPath = path, Store = store.Description,
                Persons = people.Count, Bindings = bindings, Consents = consents, Requests = requests, Mall = mall, Governance = governance, Registry = registry, Holdings = holdings, From = start, To = clock.GetUtcNow(),
            };
        }
        finally
        {
            await app.StopAsync(CancellationToken.None);
            await app.DisposeAsync();
        }
    }

    /// <summary>The library shipped beside the executable, else the nearest <c>methodologies/</c> above the current directory.</summary>
    public static string? FindLibrary()
    {
        var shipped = Path.Combine(AppContext.BaseDirectory, "methodologies");
        return Directory.Exists(shipped) && Directory.EnumerateFiles(shipped, "*.yaml").Any() ? shipped : MethodologyCommand.FindLibrary();
    }

    private sealed record LiveOperator(DemoOperator Spec, long Account, string StaffToken, string KeyId, string Secret, PuhuiClient Client);

    private static async Task<List<LiveOperator>> SetUpOperatorsAsync(DemoApi api, string adminToken, SimulatedClock clock,
        Func<string, ScenarioDefinition, bool, CancellationToken, Task> runScenario, CancellationToken ct)
    {
        var live = new List<LiveOperator>();
        foreach (var spec in DemoTown.Operators)
        {
            var organisation = await api.PostAsync<OrganisationCreatedDto>("/api/v1/organisations", adminToken,
                new OrganisationRequest(spec.Code, spec.DisplayName, ["Operator"]), ct);
            // The metro scenario is reviewed with experts (JS 19: complex scenarios); the others by the operating body alone.
            await runScenario(organisation.StaffToken, spec.Scenario, live.Count == 0, ct);
            var key = await api.PostAsync<ApiKeyCreatedDto>("/api/v1/organisation/api-keys", organisation.StaffToken, new ApiKeyRequest(spec.KeyLabel), ct);
            var client = new PuhuiClient(api.Http, new OperatorCredentials(key.KeyId, key.Secret), new PuhuiClientOptions { Time = clock });
            live.Add(new LiveOperator(spec, organisation.Account, organisation.StaffToken, key.KeyId, key.Secret, client));
        }

        return live;
    }

    private static async Task<(int Bindings, int Consents)> SetUpPeopleAsync(DemoApi api, IReadOnlyList<DemoPerson> people, List<LiveOperator> operators,
        IBehaviourDemoProgress? progress, CancellationToken ct)
    {
        int bindings = 0, consents = 0;
        foreach (var person in people)
        {
            var created = await api.PostAsync<PersonCreatedDto>("/api/v1/persons", null, new PersonRegistration(person.DisplayName), ct);
            person.Account = created.Account;
            person.Token = created.Token;
            for (var op = 0; op < operators.Count; op++)
            {
                if (!person.Uses(op)) continue;
                // The person asks for a code in their account and gives it to the operator, which binds it to its own reference.
                var code = await api.PostAsync<BindingCodeDto>("/api/v1/me/binding-codes", person.Token, new BindingCodeRequest(operators[op].Spec.Code), ct);
                await operators[op].Client.BindAsync(code.Code, person.UserRefs[op]!, ct);
                bindings++;
                if (!person.Consents(op)) continue;
                await api.PostAsync<ConsentDto>("/api/v1/me/consents", person.Token, new ConsentRequest(operators[op].Spec.Scenario.Code), ct);
                consents++;
            }

            progress?.PersonReady();
        }

        return (bindings, consents);
    }

    private static DateTimeOffset Later(DateTimeOffset a, DateTimeOffset b) => a >= b ? a : b;
}
