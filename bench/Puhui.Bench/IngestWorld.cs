using System.Globalization;
using Microsoft.Data.Sqlite;
using Npgsql;
using Puhui.Client;
using Puhui.Ingestion;
using Puhui.Ledger;
using Puhui.Storage;
using Puhui.Storage.Access;
using Puhui.Storage.Ingestion;
using Puhui.Storage.Ledger;
using Puhui.Storage.Methodologies;
using Puhui.Testing;

namespace Puhui.Bench;

/// <summary>A clock standing at a fixed instant, or running with the system's at a fixed offset.</summary>
internal sealed class BenchClock : TimeProvider
{
    private readonly DateTimeOffset? _fixed;
    private readonly TimeSpan _offset;

    private BenchClock(DateTimeOffset? at, TimeSpan offset)
    {
        _fixed = at;
        _offset = offset;
    }

    public static BenchClock At(DateTimeOffset at) => new(at, TimeSpan.Zero);

    public static BenchClock SystemPlus(TimeSpan offset) => new(null, offset);

    public override DateTimeOffset GetUtcNow() => _fixed?.ToUniversalTime() ?? System.GetUtcNow() + _offset;
}

/// <summary>
/// A migrated store set up as a metro operator's would be before it sends anything: the library's metro
/// methodology, one operator with an API key, its running scenario, and persons each bound to the operator through a
/// one-time code and consenting to the scenario, all through the real classes. Set up once per store kind as a
/// template; each measurement runs on a fresh copy of it (SQLite <c>VACUUM INTO</c>, PostgreSQL <c>CREATE DATABASE
/// … TEMPLATE</c>), so no measurement sees another's rows.
/// </summary>
internal sealed class IngestWorld : IAsyncDisposable
{
    public const string ScenarioCode = "sz-metro";
    public const string OperatorCode = "org:sz-metro";

    /// <summary>How long before the clock's "now" the persons bind and consent; every record occurs after that.</summary>
    public static readonly TimeSpan SetUpBefore = TimeSpan.FromDays(29);

    /// <summary>The platform's master key in every benchmark store: fixed, so that copies of the template can unseal its API key.</summary>
    public static readonly MasterKey Master = MasterKey.FromBytes(Enumerable.Range(1, MasterKey.KeyBytes).Select(i => (byte)i).ToArray());

    private readonly string _dir;
    private readonly TemporaryPostgres? _server;
    private readonly string _template;
    private int _copies;

    private IngestWorld(StoreKind kind, string dir, TemporaryPostgres? server, string template, AccountId operatorAccount, long scenario, OperatorCredentials key, long[] persons)
    {
        ScenarioId = scenario;
        Kind = kind;
        _dir = dir;
        _server = server;
        _template = template;
        Operator = operatorAccount;
        Key = key;
        PersonAccounts = persons;
    }

    public StoreKind Kind { get; }
    public AccountId Operator { get; }
    public long ScenarioId { get; }
    public OperatorCredentials Key { get; }

    /// <summary>The account of person <c>i</c> at index <c>i</c>; their user reference is <see cref="UserRef"/>(i).</summary>
    public IReadOnlyList<long> PersonAccounts { get; }

    public int Persons => PersonAccounts.Count;

    public static string UserRef(int person) => "u" + person.ToString("D7", CultureInfo.InvariantCulture);

    /// <summary>
    /// Sets the template up with <paramref name="persons"/> persons on <paramref name="setUpClock"/>, which must stand
    /// at least a day before any record the benchmark sends. Not measured; concurrent on PostgreSQL.
    /// </summary>
    public static async Task<IngestWorld> CreateAsync(string kind, int persons, TimeProvider setUpClock)
    {
        var dir = Path.Combine(Path.GetTempPath(), "puhui-bench-" + Guid.NewGuid().ToString("N")[..8]);
        Directory.CreateDirectory(dir);
        TemporaryPostgres? server = null;
        string template;
        StoreKind storeKind;
        switch (kind)
        {
            case "sqlite":
                template = Path.Combine(dir, "template.db");
                storeKind = StoreKind.Sqlite;
                break;
            case "postgres":
                // A durable cluster: fsync on, as production would run.
                server = await TemporaryPostgres.StartAsync(durable: true);
                template = await server.CreateDatabaseAsync("tmpl");
                storeKind = StoreKind.Postgres;
                break;
            default:
                throw new ArgumentException($"unknown store {kind}: sqlite or postgres");
        }

        await using var store = await LedgerStore.OpenAsync(template, setUpClock);
        await store.MigrateAsync();
        var library = MethodologyBench.FindLibrary() ?? throw new InvalidOperationException("methodologies/ not found: run from the repository");
        var methodology = await new MethodologyStore(store.Dialect, setUpClock).RegisterAsync(await File.ReadAllTextAsync(Path.Combine(library, "metro.yaml")));
        if (!methodology.Succeeded) throw new InvalidOperationException("metro.yaml did not register: " + methodology.Problem);
        var operatorAccount = (await store.OpenAccountAsync(new NewAccount(AccountKind.Organisation, OperatorCode, "深圳地铁", OrganisationRoles.Operator))).Id;
        var scenarios = new ScenarioStore(store, setUpClock);
        var scenario = await GovernanceSeeding.RunScenarioAsync(store, scenarios, operatorAccount, new ScenarioDefinition
        {
            Code = ScenarioCode, TitleZh = "深圳地铁出行", TitleEn = "Shenzhen metro", MethodologyId = "metro", MethodologyVersion = "1.0.0", Region = "440300",
        }, setUpClock);
        var issued = await new ApiKeys(store, Master, setUpClock).IssueAsync(operatorAccount, "bench", default);

        var accounts = new long[persons];
        var bindings = new Bindings(store, setUpClock);
        var consents = new Consents(store, setUpClock);
        var next = -1;
        async Task WorkAsync()
        {
            for (var i = Interlocked.Increment(ref next); i < persons; i = Interlocked.Increment(ref next))
            {
                var person = (await store.OpenAccountAsync(new NewAccount(AccountKind.Person, "person:" + UserRef(i), "乘客 " + i.ToString(CultureInfo.InvariantCulture)))).Id;
                var code = await bindings.IssueCodeAsync(person, operatorAccount, default);
                var bound = await bindings.BindAsync(operatorAccount, code.Code, UserRef(i), default);
                if (bound.Outcome != BindOutcome.Bound) throw new InvalidOperationException($"person {i}: {bound.Outcome}");
                var granted = await consents.GrantAsync(person, ScenarioCode, default);
                if (granted.Outcome != GrantOutcome.Granted) throw new InvalidOperationException($"person {i}: {granted.Outcome}");
                accounts[i] = person.Value;
            }
        }

        // SQLite has one writer; PostgreSQL commits concurrent transactions together.
        await Task.WhenAll(Enumerable.Range(0, storeKind == StoreKind.Postgres ? 8 : 1).Select(_ => Task.Run(WorkAsync)));
        return new IngestWorld(storeKind, dir, server, template, operatorAccount, scenario.Id, new OperatorCredentials(issued.KeyId, issued.Secret), accounts);
    }

    /// <summary>A fresh copy of the template: its setting, to open with <see cref="LedgerStore.OpenAsync"/>.</summary>
    public async Task<string> CopyAsync()
    {
        var n = ++_copies;
        if (Kind == StoreKind.Sqlite)
        {
            var path = Path.Combine(_dir, $"copy{n}.db");
            await using var connection = new SqliteConnection($"Data Source={_template};Pooling=False");
            await connection.OpenAsync();
            await using var cmd = connection.CreateCommand();
            cmd.CommandText = "VACUUM INTO @path";
            cmd.Parameters.AddWithValue("@path", path);
            await cmd.ExecuteNonQueryAsync();
            return path;
        }

        // CREATE DATABASE … TEMPLATE needs the template to have no sessions.
        NpgsqlConnection.ClearAllPools();
        var name = $"copy{n}_{Guid.NewGuid():N}"[..24];
        await using (var connection = new NpgsqlConnection(_server!.ConnectionString("postgres")))
        {
            await connection.OpenAsync();
            await using var cmd = new NpgsqlCommand($"CREATE DATABASE \"{name}\" TEMPLATE \"{new NpgsqlConnectionStringBuilder(_template).Database}\"", connection);
            await cmd.ExecuteNonQueryAsync();
        }

        return _server.ConnectionString(name);
    }

    /// <summary>Server log lines, when <c>PUHUI_PG_OPTIONS</c> asked the server to log.</summary>
    public string? ServerLog => _server?.ReadLog();

    public async ValueTask DisposeAsync()
    {
        SqliteConnection.ClearAllPools();
        if (_server is not null) await _server.DisposeAsync();
        try
        {
            Directory.Delete(_dir, recursive: true);
        }
        catch (IOException)
        {
            // A leftover temporary directory is harmless.
        }
    }
}

/// <summary>
/// Metro trips as an operator's gates report them: each person makes two or three trips a day (every other person
/// three), of 2–15 km at a plausible speed, so no record meets a cap and every one is accepted. Trip <c>n</c> of a
/// person falls <c>1 + dayOffset + n / tripsPerDay</c> local days before <paramref name="now"/>, so every record
/// is in the past and within the scenario's 30 days. External ids are unique per (prefix, person, trip).
/// </summary>
internal sealed class Trips(DateTimeOffset now, IngestionPolicy policy)
{
    /// <summary>The most days back a record may fall: consents were given 29 days before now, and records older than 30 days are refused.</summary>
    public const int DaysBackMax = 27;

    private readonly DateOnly _today = policy.LocalDay(now);

    public static int TripsPerDay(int person) => 2 + person % 2;

    /// <summary>The local days that <paramref name="tripsPerPerson"/> trips of every person span.</summary>
    public static int DaysFor(int tripsPerPerson) => (tripsPerPerson + 1) / 2;

    /// <param name="slotOffset">Added to the trip's slot in its day (slots are two hours apart from 06:00); lets warm-up trips share days with measured ones.</param>
    public IncomingRecord Trip(string prefix, int person, int n, int dayOffset, int slotOffset = 0)
    {
        var perDay = TripsPerDay(person);
        var daysBack = 1 + dayOffset + n / perDay;
        if (daysBack > DaysBackMax) throw new ArgumentException($"trip {n} of person {person} would fall {daysBack} days back; use more persons or fewer records");
        var day = _today.AddDays(-daysBack);
        var slot = n % perDay + slotOffset;
        var at = new DateTimeOffset(day.Year, day.Month, day.Day, 6 + 2 * slot, person % 60, 0, policy.LocalOffset);
        // Deterministic spread of distances 2.0–15.0 km; the gate-to-gate time implies 15–33 km/h.
        var tenths = 20 + (int)(((long)person * 7_919 + (long)n * 104_729) % 131);
        var km = tenths / 10m;
        var minutes = (decimal)(5 + tenths * 15 / 100);
        return new IncomingRecord(IngestWorld.ScenarioCode, string.Create(CultureInfo.InvariantCulture, $"{prefix}-{person:D7}-{n:D4}"), IngestWorld.UserRef(person), at,
            new Dictionary<string, decimal>(2, StringComparer.Ordinal) { ["distance"] = km, ["duration"] = minutes });
    }

    /// <summary>
    /// <paramref name="count"/> records in batches of <paramref name="batch"/>, each batch holding one trip of
    /// <paramref name="batch"/> different persons (record <c>i</c> is trip <c>i / persons</c> of person <c>i % persons</c>).
    /// </summary>
    public List<List<IncomingRecord>> OnePerPerson(string prefix, int count, int batch, int persons, int dayOffset, int slotOffset = 0)
    {
        if (batch > persons) throw new ArgumentException($"a batch of {batch} one-per-person records needs at least {batch} persons");
        return Chunk(Enumerable.Range(0, count).Select(i => Trip(prefix, i % persons, i / persons, dayOffset, slotOffset)), batch);
    }

    /// <summary>
    /// <paramref name="count"/> records in batches of <paramref name="batch"/>, each batch holding
    /// <paramref name="batch"/> / <paramref name="perBatch"/> consecutive trips of each of <paramref name="perBatch"/> persons.
    /// </summary>
    public List<List<IncomingRecord>> ManyPerPerson(string prefix, int count, int batch, int persons, int perBatch, int dayOffset, int slotOffset = 0)
    {
        if (batch % perBatch != 0) throw new ArgumentException($"a batch of {batch} does not split evenly over {perBatch} persons");
        var trips = batch / perBatch;
        var records = new List<IncomingRecord>(count);
        for (var b = 0; records.Count < count; b++)
        {
            for (var t = 0; t < trips && records.Count < count; t++)
            {
                for (var j = 0; j < perBatch && records.Count < count; j++)
                {
                    // The k-th time a person comes round, they report trips k·trips … k·trips + trips − 1.
                    var slot = b * perBatch + j;
                    records.Add(Trip(prefix, slot % persons, slot / persons * trips + t, dayOffset, slotOffset));
                }
            }
        }

        return Chunk(records, batch);
    }

    private static List<List<IncomingRecord>> Chunk(IEnumerable<IncomingRecord> records, int batch) => records.Chunk(batch).Select(c => c.ToList()).ToList();

    /// <summary>The wire form the SDK sends.</summary>
    public static BehaviourRecord ToWire(IncomingRecord r) => new()
    {
        Scenario = r.Scenario, ExternalId = r.ExternalId, UserRef = r.UserRef, OccurredAt = r.OccurredAt, Inputs = r.Inputs!,
    };
}
