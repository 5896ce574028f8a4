using Puhui.Ingestion;
using Puhui.Ledger;
using Puhui.Storage;
using Puhui.Storage.Ingestion;
using Puhui.Tests.Access;

namespace Puhui.Tests.Ingestion;

/// <summary>Persons' consents to scenarios, one body run against SQLite and a real PostgreSQL.</summary>
public class ConsentTests
{
    public static TheoryData<StoreKind> Stores => TestStores.All;

    private static async Task BindAsync(CredentialWorld w, AccountId person, AccountId operatorAccount, string userRef)
    {
        var bindings = new Bindings(w.Store, w.Clock);
        var result = await bindings.BindAsync(operatorAccount, (await bindings.IssueCodeAsync(person, operatorAccount, default)).Code, userRef, default);
        Assert.Equal(BindOutcome.Bound, result.Outcome);
    }

    [Theory, MemberData(nameof(Stores))]
    public async Task A_bound_person_grants_consent_once_and_a_second_grant_returns_it(StoreKind kind)
    {
        await using var w = await CredentialWorld.CreateAsync(kind);
        var scenario = await w.AddScenarioAsync("metro-ride", w.Metro, ScenarioStatus.Running);
        await BindAsync(w, w.Alice, w.Metro, "alice");
        var consents = new Consents(w.Store, w.Clock);

        var granted = await consents.GrantAsync(w.Alice, "metro-ride", default);
        Assert.Equal(GrantOutcome.Granted, granted.Outcome);
        var consent = granted.Consent!;
        Assert.Equal((w.Alice, scenario, "metro-ride", w.Metro, w.Clock.GetUtcNow(), (DateTimeOffset?)null),
            (consent.Person, consent.ScenarioId, consent.ScenarioCode, consent.Operator, consent.GrantedAt, consent.RevokedAt));

        w.Clock.Advance(TimeSpan.FromMinutes(5));
        var again = await consents.GrantAsync(w.Alice, "metro-ride", default);
        Assert.Equal(new GrantResult(GrantOutcome.AlreadyActive, consent), again);
        Assert.Equal([consent], await consents.ListAsync(w.Alice, includeRevoked: true, default));
        Assert.Equal(1, await w.CountAsync("consents"));
    }

    [Theory, MemberData(nameof(Stores))]
    public async Task A_consent_is_refused_for_an_unknown_or_closed_scenario_or_without_a_binding(StoreKind kind)
    {
        await using var w = await CredentialWorld.CreateAsync(kind);
        await w.AddScenarioAsync("metro-ride", w.Metro, ScenarioStatus.Running);
        await w.AddScenarioAsync("metro-old", w.Metro, ScenarioStatus.Terminated);
        await w.AddScenarioAsync("metro-refused", w.Metro, ScenarioStatus.Refused);
        await w.AddScenarioAsync("metro-next", w.Metro, ScenarioStatus.Applied);
        await w.AddScenarioAsync("metro-paused", w.Metro, ScenarioStatus.Suspended);
        await w.AddScenarioAsync("bike-ride", w.BikeShare, ScenarioStatus.Running);
        await BindAsync(w, w.Alice, w.Metro, "alice");
        var consents = new Consents(w.Store, w.Clock);

        Assert.Equal(new GrantResult(GrantOutcome.UnknownScenario, null), await consents.GrantAsync(w.Alice, "no-such", default));
        Assert.Equal(GrantOutcome.UnknownScenario, (await consents.GrantAsync(w.Alice, "", default)).Outcome);
        Assert.Equal(GrantOutcome.ScenarioClosed, (await consents.GrantAsync(w.Alice, "metro-old", default)).Outcome);
        Assert.Equal(GrantOutcome.ScenarioClosed, (await consents.GrantAsync(w.Alice, "metro-refused", default)).Outcome);
        Assert.Equal(GrantOutcome.NotBound, (await consents.GrantAsync(w.Alice, "bike-ride", default)).Outcome);
        Assert.Equal(GrantOutcome.NotBound, (await consents.GrantAsync(w.Bob, "metro-ride", default)).Outcome);
        Assert.Equal(0, await w.CountAsync("consents"));

        // A scenario waiting for approval or suspended can be consented to, so records flow when it runs.
        Assert.Equal(GrantOutcome.Granted, (await consents.GrantAsync(w.Alice, "metro-next", default)).Outcome);
        Assert.Equal(GrantOutcome.Granted, (await consents.GrantAsync(w.Alice, "metro-paused", default)).Outcome);
    }

    [Theory, MemberData(nameof(Stores))]
    public async Task A_revoked_consent_stays_in_the_history_and_a_new_grant_starts_a_new_interval(StoreKind kind)
    {
        await using var w = await CredentialWorld.CreateAsync(kind);
        var scenario = await w.AddScenarioAsync("metro-ride", w.Metro, ScenarioStatus.Running);
        await w.AddScenarioAsync("metro-bus", w.Metro, ScenarioStatus.Running);
        await BindAsync(w, w.Alice, w.Metro, "alice");
        await BindAsync(w, w.Bob, w.Metro, "bob");
        var consents = new Consents(w.Store, w.Clock);
        var t0 = w.Clock.GetUtcNow();
        var first = (await consents.GrantAsync(w.Alice, "metro-ride", default)).Consent!;
        var bus = (await consents.GrantAsync(w.Alice, "metro-bus", default)).Consent!;

        w.Clock.Advance(TimeSpan.FromHours(1));
        Assert.False(await consents.RevokeAsync(w.Bob, first.Id, default));
        Assert.True(await consents.RevokeAsync(w.Alice, first.Id, default));
        Assert.False(await consents.RevokeAsync(w.Alice, first.Id, default));
        Assert.False(await consents.RevokeAsync(w.Alice, 999_999, default));
        var t1 = w.Clock.GetUtcNow();

        w.Clock.Advance(TimeSpan.FromHours(1));
        var second = await consents.GrantAsync(w.Alice, "metro-ride", default);
        Assert.Equal(GrantOutcome.Granted, second.Outcome);
        Assert.NotEqual(first.Id, second.Consent!.Id);

        var all = await consents.ListAsync(w.Alice, includeRevoked: true, default);
        Assert.Equal([second.Consent.Id, bus.Id, first.Id], all.Select(c => c.Id));
        Assert.Equal(t1, all[2].RevokedAt);
        Assert.True(all[2].IsActiveAt(t0));
        Assert.False(all[2].IsActiveAt(t1));
        Assert.Equal([second.Consent.Id, bus.Id], (await consents.ListAsync(w.Alice, includeRevoked: false, default)).Select(c => c.Id));
        Assert.Empty(await consents.ListAsync(w.Bob, includeRevoked: true, default));

        var resolved = await consents.ResolveAsync([(w.Alice.Value, scenario), (w.Bob.Value, scenario), (w.Alice.Value, scenario)], default);
        var intervals = Assert.Single(resolved).Value.OrderBy(i => i.GrantedUs).ToList();
        Assert.Equal(
            [(CanonicalEncoding.ToUnixMicroseconds(t0), (long?)CanonicalEncoding.ToUnixMicroseconds(t1)), (CanonicalEncoding.ToUnixMicroseconds(second.Consent.GrantedAt), null)],
            intervals);
        Assert.False(Consents.CoversAt(intervals, CanonicalEncoding.ToUnixMicroseconds(t1.AddMinutes(30))));
        Assert.True(Consents.CoversAt(intervals, CanonicalEncoding.ToUnixMicroseconds(t0.AddMinutes(30))));
    }

    [Theory, MemberData(nameof(Stores))]
    public async Task Concurrent_grants_leave_one_active_consent(StoreKind kind)
    {
        await using var w = await CredentialWorld.CreateAsync(kind);
        await w.AddScenarioAsync("metro-ride", w.Metro, ScenarioStatus.Running);
        await BindAsync(w, w.Alice, w.Metro, "alice");
        var consents = new Consents(w.Store, w.Clock);
        var results = await Task.WhenAll(Enumerable.Range(0, 8).Select(_ => Task.Run(() => consents.GrantAsync(w.Alice, "metro-ride", default))));
        var granted = Assert.Single(results, r => r.Outcome == GrantOutcome.Granted);
        Assert.All(results, r => Assert.Equal(granted.Consent!.Id, r.Consent!.Id));
        Assert.Equal(1, await w.CountAsync("consents"));
    }

    [Fact]
    public void Consent_is_active_from_its_grant_until_its_revocation()
    {
        var granted = new DateTimeOffset(2026, 11, 2, 9, 0, 0, TimeSpan.Zero);
        var consent = new Consent(1, new AccountId(1), 1, "s", new AccountId(2), granted, granted.AddHours(1));
        Assert.False(consent.IsActiveAt(granted.AddTicks(-10)));
        Assert.True(consent.IsActiveAt(granted));
        Assert.True(consent.IsActiveAt(granted.AddHours(1).AddTicks(-10)));
        Assert.False(consent.IsActiveAt(granted.AddHours(1)));
        Assert.True((consent with { RevokedAt = null }).IsActiveAt(granted.AddYears(10)));
    }

    public static TheoryData<string, long, bool> Coverage => new()
    {
        // intervals as "granted-revoked" pairs, "-" for never revoked; the instant; covered?
        { "", 100, false },
        { "100-", 99, false },
        { "100-", 100, true },
        { "100-", long.MaxValue, true },
        { "100-200", 199, true },
        { "100-200", 200, false },
        { "100-100", 100, false },
        { "100-200 300-", 250, false },
        { "100-200 300-", 300, true },
        { "100-200 300-400", 150, true },
        { "100-200 300-400", 400, false },
        { "300-400 100-200", 150, true },
        { "100-300 200-", 250, true },
    };

    [Theory, MemberData(nameof(Coverage))]
    public void Covers_at_is_true_only_inside_a_consent_interval(string intervals, long occurredUs, bool covered)
    {
        var list = intervals.Split(' ', StringSplitOptions.RemoveEmptyEntries).Select(i =>
        {
            var parts = i.Split('-');
            return (long.Parse(parts[0], System.Globalization.CultureInfo.InvariantCulture),
                parts[1].Length == 0 ? (long?)null : long.Parse(parts[1], System.Globalization.CultureInfo.InvariantCulture));
        }).ToList();
        Assert.Equal(covered, Consents.CoversAt(list, occurredUs));
    }
}
