using System.Globalization;
using Puhui.Governance;
using Puhui.Ledger;
using Puhui.Storage;
using Puhui.Storage.Governance;
using Puhui.Tests.Access;

namespace Puhui.Tests.Governance;

/// <summary>The expert pool and its panel draws, one body run against SQLite and a real PostgreSQL.</summary>
public class ExpertStoreTests
{
    private const string Admin = "admin:bureau";

    private static NewExpert Wang(long? account = null) => new("王工", "深圳地铁", account, ["transport", "energy"], "高级工程师");

    [Theory, MemberData(nameof(TestStores.All), MemberType = typeof(TestStores))]
    public async Task An_added_expert_reads_back_active_and_every_change_is_recorded_with_its_actor_and_time(StoreKind kind)
    {
        await using var w = await CredentialWorld.CreateAsync(kind);
        var experts = new ExpertStore(w.Store, w.Clock);
        var added = await experts.AddAsync(Wang(w.Metro.Value), Admin);
        Assert.Equal(ExpertWriteStatus.Done, added.Status);
        var id = added.Expert!.Id;
        Assert.Equal(new Expert(id, "王工", "深圳地铁", w.Metro.Value, ["transport", "energy"], "高级工程师", ExpertStatus.Active, []), added.Expert);

        w.Clock.Advance(TimeSpan.FromHours(1));
        var deactivated = await experts.SetStatusAsync(id, ExpertStatus.Inactive, Admin, "退休 / retired");
        Assert.Equal(ExpertStatus.Inactive, deactivated.Expert!.Status);
        w.Clock.Advance(TimeSpan.FromHours(1));
        var conflict = new ExpertConflict(w.BikeShare.Value, "Bike share", "曾任顾问 / former adviser");
        var declared = await experts.DeclareConflictAsync(id, conflict, "expert:" + id.ToString(CultureInfo.InvariantCulture));
        Assert.Equal([conflict], declared.Expert!.Conflicts);

        Assert.Equal(declared.Expert, await experts.GetAsync(id));
        Assert.Equal([declared.Expert], await experts.ListAsync());
        var events = await experts.GetEventsAsync(id);
        Assert.Equal([(1, "added", Admin, ""), (2, "status", Admin, "退休 / retired"), (3, "conflict", "expert:" + id.ToString(CultureInfo.InvariantCulture), "")],
            events.Select(e => (e.Revision, e.Kind, e.Actor, e.Comment)));
        Assert.Equal([CredentialWorld.T0, CredentialWorld.T0.AddHours(1), CredentialWorld.T0.AddHours(2)], events.Select(e => e.At));
        Assert.Contains("\"to\":\"inactive\"", events[1].Detail, StringComparison.Ordinal);
        Assert.Contains("Bike share", events[2].Detail, StringComparison.Ordinal);
    }

    [Theory, MemberData(nameof(TestStores.All), MemberType = typeof(TestStores))]
    public async Task Invalid_experts_and_changes_are_refused_with_a_detail_and_write_nothing(StoreKind kind)
    {
        await using var w = await CredentialWorld.CreateAsync(kind);
        var experts = new ExpertStore(w.Store, w.Clock);
        var id = (await experts.AddAsync(Wang(), Admin)).Expert!.Id;
        var before = (await w.CountAsync("experts"), await w.CountAsync("expert_events"));

        async Task RefusedAsync(Task<ExpertWrite> write, ExpertWriteStatus status, string detail)
        {
            var result = await write;
            Assert.Equal(status, result.Status);
            Assert.Contains(detail, result.Problem, StringComparison.Ordinal);
            Assert.Equal(before, (await w.CountAsync("experts"), await w.CountAsync("expert_events")));
        }

        await RefusedAsync(experts.AddAsync(Wang() with { Fields = ["Transport"] }, Admin), ExpertWriteStatus.Invalid, "\"Transport\" is not a field code");
        await RefusedAsync(experts.AddAsync(Wang() with { Name = " " }, Admin), ExpertWriteStatus.Invalid, "name must be");
        await RefusedAsync(experts.AddAsync(Wang(999_999), Admin), ExpertWriteStatus.Invalid, "account 999999 does not exist");
        await RefusedAsync(experts.AddAsync(Wang(w.Alice.Value), Admin), ExpertWriteStatus.Invalid, "is not an organisation's");
        await RefusedAsync(experts.SetStatusAsync(id, ExpertStatus.Active, Admin), ExpertWriteStatus.Invalid, "already active");
        await RefusedAsync(experts.SetStatusAsync(id, (ExpertStatus)7, Admin), ExpertWriteStatus.Invalid, "status must be");
        await RefusedAsync(experts.SetStatusAsync(id, ExpertStatus.Inactive, Admin, new string('c', ExpertStore.CommentLengthMax + 1)), ExpertWriteStatus.Invalid, "comment");
        await RefusedAsync(experts.SetStatusAsync(id + 100, ExpertStatus.Inactive, Admin), ExpertWriteStatus.NotFound, "does not exist");
        await RefusedAsync(experts.DeclareConflictAsync(id + 100, new ExpertConflict(null, "X", "y"), Admin), ExpertWriteStatus.NotFound, "does not exist");
        await RefusedAsync(experts.DeclareConflictAsync(id, new ExpertConflict(null, "X", ""), Admin), ExpertWriteStatus.Invalid, "reason");
        await RefusedAsync(experts.DeclareConflictAsync(id, new ExpertConflict(w.Bob.Value, "Bob", "y"), Admin), ExpertWriteStatus.Invalid, "is not an organisation's");

        Assert.Equal(ExpertWriteStatus.Done, (await experts.DeclareConflictAsync(id, new ExpertConflict(null, "Green Energy Co", "consulting"), Admin)).Status);
        before = (await w.CountAsync("experts"), await w.CountAsync("expert_events"));
        await RefusedAsync(experts.DeclareConflictAsync(id, new ExpertConflict(null, " GREEN ENERGY CO", "again"), Admin), ExpertWriteStatus.Invalid,
            "already declared a conflict with Green Energy Co");
    }

    [Theory, MemberData(nameof(TestStores.All), MemberType = typeof(TestStores))]
    public async Task An_expert_declares_at_most_the_limit_of_conflicts(StoreKind kind)
    {
        await using var w = await CredentialWorld.CreateAsync(kind);
        var experts = new ExpertStore(w.Store, w.Clock);
        var id = (await experts.AddAsync(Wang(), Admin)).Expert!.Id;
        for (var i = 0; i < ExpertRules.ConflictsMax; i++)
            Assert.Equal(ExpertWriteStatus.Done, (await experts.DeclareConflictAsync(id, new ExpertConflict(null, $"Org {i}", "r"), Admin)).Status);
        var refused = await experts.DeclareConflictAsync(id, new ExpertConflict(null, "One more", "r"), Admin);
        Assert.Equal(ExpertWriteStatus.Invalid, refused.Status);
        Assert.Equal(ExpertRules.ConflictsMax, (await experts.GetAsync(id))!.Conflicts.Count);
    }

    [Theory, MemberData(nameof(TestStores.All), MemberType = typeof(TestStores))]
    public async Task The_pool_holds_at_most_its_limit_of_experts(StoreKind kind)
    {
        await using var w = await CredentialWorld.CreateAsync(kind);
        var experts = new ExpertStore(w.Store, w.Clock);
        await using (var connection = await w.Store.Dialect.OpenAsync(default))
        {
            // All but one place taken directly: adding thousands through the store would only be slower.
            await using var fill = Sql.Command(connection, null,
                "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < @count) "
                + "INSERT INTO experts (name, organisation, organisation_account, fields, title, status, conflicts, revision, created_us, updated_us) "
                + "SELECT 'e', 'o', NULL, '[\"energy\"]', '', 1, '[]', 1, 0, 0 FROM n").With("@count", ExpertRules.PoolMax - 1);
            await fill.ExecuteNonQueryAsync();
        }

        Assert.Equal(ExpertWriteStatus.Done, (await experts.AddAsync(Wang(), Admin)).Status);
        var refused = await experts.AddAsync(Wang(), Admin);
        Assert.Equal(ExpertWriteStatus.Invalid, refused.Status);
        Assert.Contains($"at most {ExpertRules.PoolMax}", refused.Problem, StringComparison.Ordinal);
        Assert.Equal(ExpertRules.PoolMax, (await experts.ListAsync()).Count);
    }

    [Theory, MemberData(nameof(TestStores.All), MemberType = typeof(TestStores))]
    public async Task A_draw_inside_the_callers_transaction_is_stored_whole_and_reads_back_verified(StoreKind kind)
    {
        await using var w = await CredentialWorld.CreateAsync(kind);
        var experts = new ExpertStore(w.Store, w.Clock);
        var draws = new PanelDraws(w.Store, w.Clock);
        var ids = new List<long>();
        for (var i = 0; i < 6; i++)
            ids.Add((await experts.AddAsync(new NewExpert($"专家{i}", i == 0 ? "Metro" : $"大学{i}", i == 0 ? w.Metro.Value : null, i % 2 == 0 ? ["energy"] : ["transport"], ""), Admin)).Expert!.Id);
        await experts.SetStatusAsync(ids[5], ExpertStatus.Inactive, Admin, CancellationToken.None);
        await experts.DeclareConflictAsync(ids[4], new ExpertConflict(null, " 深圳地铁 ", "曾任顾问"), Admin);
        var request = new PanelRequest(["energy", "transport"], 2, w.Metro.Value, "深圳地铁");

        var at = CanonicalEncoding.ToUnixMicroseconds(w.Clock.GetUtcNow());
        PanelDrawOutcome outcome;
        await using (var connection = await w.Store.Dialect.OpenAsync(default))
        {
            await using var tx = await connection.BeginTransactionAsync();
            outcome = await PanelDraws.DrawAsync(connection, tx, "application:42", request, "platform-operator:desk", at, default);
            await tx.CommitAsync();
        }

        Assert.Equal(PanelDrawStatus.Drawn, outcome.Status);
        var record = outcome.Record!;
        Assert.Equal(2, record.Panel.Count);
        Assert.DoesNotContain(ids[0], record.Panel);
        Assert.Equal([(ids[0], ExclusionReason.SameOrganisation), (ids[4], ExclusionReason.DeclaredConflict), (ids[5], ExclusionReason.Inactive)],
            record.Excluded.Select(x => (x.ExpertId, x.Reason)));
        Assert.Equal(await experts.ListAsync(), record.Candidates);
        Assert.Equal(64, record.SeedHex.Length);

        var stored = await draws.GetDrawAsync(outcome.DrawId);
        Assert.Equal(new StoredPanelDraw(outcome.DrawId, "application:42", record, "platform-operator:desk", CredentialWorld.T0), stored);
        Assert.True(PanelDraw.Verify(stored!.Record));
        Assert.Equal(record.Panel, PanelDraw.Replay(stored.Record));

        // Another draw for the same subject adds a draw, with its own seed.
        var again = await draws.DrawAsync("application:42", request, "platform-operator:desk");
        Assert.NotEqual(record.SeedHex, again.Record!.SeedHex);
        Assert.Equal([outcome.DrawId, again.DrawId], (await draws.ListDrawsAsync("application:42")).Select(d => d.Id));
        Assert.Empty(await draws.ListDrawsAsync("application:43"));
        Assert.Null(await draws.GetDrawAsync(again.DrawId + 1));
    }

    [Theory, MemberData(nameof(TestStores.All), MemberType = typeof(TestStores))]
    public async Task A_draw_rolls_back_with_its_transaction_and_a_shortfall_or_invalid_request_stores_nothing(StoreKind kind)
    {
        await using var w = await CredentialWorld.CreateAsync(kind);
        var experts = new ExpertStore(w.Store, w.Clock);
        var draws = new PanelDraws(w.Store, w.Clock);
        await experts.AddAsync(Wang(), Admin);
        await experts.AddAsync(Wang() with { Organisation = "南京林业大学", Fields = ["forestry"] }, Admin);
        var request = new PanelRequest(["transport"], 1, null, "Applicant Co");

        await using (var connection = await w.Store.Dialect.OpenAsync(default))
        {
            await using var tx = await connection.BeginTransactionAsync();
            var drawn = await PanelDraws.DrawAsync(connection, tx, "application:1", request, "platform-operator:desk", 0, default);
            Assert.Equal(PanelDrawStatus.Drawn, drawn.Status);
            await tx.RollbackAsync();
        }

        var shortfall = await draws.DrawAsync("application:1", request with { Fields = ["transport", "finance"], Size = 3 }, "platform-operator:desk");
        Assert.Equal(PanelDrawStatus.Shortfall, shortfall.Status);
        Assert.Equal((1, 3, "finance"), (shortfall.Shortfall!.Eligible, shortfall.Shortfall.Size, Assert.Single(shortfall.Shortfall.UncoveredFields)));
        Assert.Equal(0, shortfall.DrawId);

        var invalid = await draws.DrawAsync("application:1", request with { Size = 0 }, "platform-operator:desk");
        Assert.Equal((PanelDrawStatus.Invalid, "size must be 1–15 seats"), (invalid.Status, invalid.Problem));
        var badSubject = await draws.DrawAsync("application 1", request, "platform-operator:desk");
        Assert.Equal(PanelDrawStatus.Invalid, badSubject.Status);
        Assert.Equal(PanelDrawStatus.Invalid, (await draws.DrawAsync(new string('s', PanelDraws.SubjectLengthMax + 1), request, "x")).Status);
        Assert.Equal(0, await w.CountAsync("panel_draws"));

        Assert.Equal(PanelDrawStatus.Drawn, (await draws.DrawAsync(new string('s', PanelDraws.SubjectLengthMax), request, "x")).Status);
        Assert.Equal(1, await w.CountAsync("panel_draws"));
    }
}
