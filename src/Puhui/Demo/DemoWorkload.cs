using Puhui.Ledger;
using Puhui.Storage.Ledger;

namespace Puhui.Host.Demo;

/// <summary>How a demo run is shaped. The same options and seed always give the same sequence of requests.</summary>
public sealed record DemoOptions(int Seed, int Persons, int Operations)
{
    public const int PersonsMax = 100_000;
    public const int OperationsMax = 10_000_000;
}

/// <summary>Counts of what the workload did, by operation.</summary>
public sealed class DemoTally
{
    public Dictionary<string, (int Committed, int Replayed, int Refused)> ByOperation { get; } = new(StringComparer.Ordinal);

    public void Count(string operation, LotOutcome outcome) => Count(operation, outcome switch
    {
        LotOutcome.Committed => 0,
        LotOutcome.Replayed => 1,
        LotOutcome.InsufficientPoints or LotOutcome.Refused => 2,
    });

    public void Count(string operation, AppendStatus status) => Count(operation, status switch
    {
        AppendStatus.Committed => 0,
        AppendStatus.Replayed => 1,
        AppendStatus.IdempotencyConflict or AppendStatus.InsufficientBalance or AppendStatus.UnknownReference or AppendStatus.RuleViolation => 2,
    });

    private void Count(string operation, int which)
    {
        var (c, r, f) = ByOperation.GetValueOrDefault(operation);
        ByOperation[operation] = which switch { 0 => (c + 1, r, f), 1 => (c, r + 1, f), _ => (c, r, f + 1) };
    }
}

/// <summary>
/// A small population — persons, providers, a developer — and a random but reproducible stream of issues,
/// redemptions, transfers, retirements and expiry runs driven through the real ledger. Every idempotency
/// key derives from the seed and the operation number, so a repeated run on the same store replays.
/// </summary>
public sealed class DemoWorkload(LedgerStore store, DemoOptions options)
{
    private static readonly DateOnly FirstDay = new(2024, 1, 1);
    private static readonly TimeSpan ChinaStandardTime = TimeSpan.FromHours(8);

    /// <summary>Called with each transaction that was committed (not replayed) as soon as the store acknowledged it.</summary>
    public Action<StoredTransaction>? OnCommitted { get; init; }

    public async Task<DemoTally> RunAsync(IProgress<int>? progress, CancellationToken ct)
    {
        if (options.Persons is < 1 or > DemoOptions.PersonsMax) throw new ArgumentOutOfRangeException(nameof(options), $"persons must be 1–{DemoOptions.PersonsMax}");
        if (options.Operations is < 0 or > DemoOptions.OperationsMax) throw new ArgumentOutOfRangeException(nameof(options), $"operations must be 0–{DemoOptions.OperationsMax}");

        var tally = new DemoTally();
        var random = new Random(options.Seed);
        var prefix = $"demo:{options.Seed}";
        var persons = new List<AccountId>(options.Persons);
        for (var i = 0; i < options.Persons; i++)
            persons.Add((await store.OpenAccountAsync(new NewAccount(AccountKind.Person, $"{prefix}:person:{i}", $"居民 {i} / Resident {i}"), ct)).Id);
        var providers = new List<AccountId>();
        string[] providerNames = ["地铁集团 / Metro Group", "绿色超市 / Green Market", "书店 / Bookshop"];
        for (var i = 0; i < providerNames.Length; i++)
            providers.Add((await store.OpenAccountAsync(new NewAccount(AccountKind.Organisation, $"{prefix}:provider:{i}", providerNames[i], OrganisationRoles.Provider), ct)).Id);
        var developer = (await store.OpenAccountAsync(new NewAccount(AccountKind.Organisation, $"{prefix}:developer", "屋顶光伏公司 / Rooftop PV Co.", OrganisationRoles.ProjectDeveloper), ct)).Id;
        var buyer = (await store.OpenAccountAsync(new NewAccount(AccountKind.Organisation, $"{prefix}:buyer", "会展中心 / Expo Centre", OrganisationRoles.Buyer), ct)).Id;
        var organisations = providers.Append(developer).Append(buyer).ToList();
        var retired = await store.SystemAccountAsync(SystemAccounts.Retired, ct);
        var redeemed = await store.SystemAccountAsync(SystemAccounts.Redeemed, ct);
        var reductionSource = await store.SystemAccountAsync(SystemAccounts.ReductionIssuance, ct);

        var project = await store.CreateBatchAsync(new NewBatch($"{prefix}:PV-2024-P1", BatchOrigin.ProjectPeriod, "demo rooftop PV, period 1", "pv-distributed", "1.0.0", MethodologyClass.I, 2024, "320100"), ct);
        var projectIssue = new TransactionBuilder(TransactionKind.Issue, $"{prefix}:issue-project", At(FirstDay, 0), "demo")
            { Reference = project.Code }
            .MoveGrams(reductionSource, developer, project.Id, Grams.FromKilograms(50_000))
            .Build();
        Report("project issuance", tally, await store.AppendAsync(projectIssue, ct));

        var opsPerDay = Math.Max(1, options.Operations / 900);
        var batches = new Dictionary<string, BatchId>(StringComparer.Ordinal);
        for (var op = 0; op < options.Operations; op++)
        {
            ct.ThrowIfCancellationRequested();
            var day = FirstDay.AddDays(op / opsPerDay);
            var at = At(day, op % opsPerDay);
            var key = $"{prefix}:op:{op}";
            var roll = random.NextDouble();
            if (roll < 0.55)
            {
                var metro = random.NextDouble() < 0.7;
                var batch = await ScenarioBatchAsync(batches, prefix, metro, day, ct);
                var points = random.Next(1, 31);
                var grams = metro ? points * 25L : 0;
                var result = await PointLotOperations.IssueAsync(store, persons[random.Next(persons.Count)], batch, day, day.AddYears(2),
                    new Points(points), new Grams(grams), key, "demo:operator", metro ? "metro ride" : "e-government online", at, ct);
                Report("issue", tally, result);
            }
            else if (roll < 0.75)
            {
                var request = new LotDrawRequest(persons[random.Next(persons.Count)], new Points(random.Next(20, 151)), LotOrder.ReductionBearingFirst, day,
                    redeemed, providers[random.Next(providers.Count)], TransactionKind.Redeem, key, "demo:person", "mall offer", at);
                Report("redeem", tally, await PointLotOperations.DrawAsync(store, request, ct));
            }
            else if (roll < 0.90)
            {
                var from = organisations[random.Next(organisations.Count)];
                var to = organisations[random.Next(organisations.Count)];
                var retire = roll >= 0.85;
                var holding = await PickHoldingAsync(from, random, ct);
                if (holding is null || (!retire && from == to))
                {
                    // Nothing to move: the draw is still consumed so the stream stays the same whatever the store holds.
                    random.Next();
                    continue;
                }

                var grams = new Grams(Math.Max(1, random.NextInt64(1, holding.Amount + 1) / 1000 * 1000));
                if (grams.Value > holding.Amount) grams = new Grams(holding.Amount);
                var tx = new TransactionBuilder(retire ? TransactionKind.Retire : TransactionKind.Transfer, key, at, "demo:organisation")
                    { Reference = retire ? "voluntary offset" : "bilateral transfer" }
                    .MoveGrams(from, retire ? retired : to, holding.Batch!.Value, grams)
                    .Build();
                Report(retire ? "retire" : "transfer", tally, await store.AppendAsync(tx, ct));
            }
            else
            {
                var report = await ExpiryClearing.RunAsync(store, day, "demo:expiry-job", at, ct);
                for (var i = 0; i < report.LotsCleared; i++) tally.Count("expire", AppendStatus.Committed);
            }

            progress?.Report(op + 1);
        }

        return tally;
    }

    private async Task<BatchId> ScenarioBatchAsync(Dictionary<string, BatchId> cache, string prefix, bool metro, DateOnly day, CancellationToken ct)
    {
        var code = $"{prefix}:{(metro ? "METRO" : "EGOV")}-{day:yyyyMM}";
        if (cache.TryGetValue(code, out var id)) return id;
        var batch = await store.CreateBatchAsync(new NewBatch(code, BatchOrigin.Scenario, metro ? "demo metro scenario" : "demo e-government scenario",
            metro ? "metro" : "", metro ? "1.0.0" : "", metro ? MethodologyClass.II : MethodologyClass.None, day.Year, "320100"), ct);
        cache[code] = batch.Id;
        return batch.Id;
    }

    private async Task<Balance?> PickHoldingAsync(AccountId account, Random random, CancellationToken ct)
    {
        var holdings = (await store.GetBalancesAsync(account, ct)).Where(b => b.Asset == Asset.Co2 && b.Amount > 0).ToList();
        return holdings.Count == 0 ? null : holdings[random.Next(holdings.Count)];
    }

    private void Report(string operation, DemoTally tally, LotResult result)
    {
        tally.Count(operation, result.Outcome);
        if (result.Outcome == LotOutcome.Committed) OnCommitted?.Invoke(result.Transaction!);
    }

    private void Report(string operation, DemoTally tally, AppendResult result)
    {
        tally.Count(operation, result.Status);
        if (result.Status == AppendStatus.Committed) OnCommitted?.Invoke(result.Transaction!);
    }

    private static DateTimeOffset At(DateOnly day, int second) => new DateTimeOffset(day.ToDateTime(new TimeOnly(9, 0)), ChinaStandardTime).AddSeconds(second);
}
