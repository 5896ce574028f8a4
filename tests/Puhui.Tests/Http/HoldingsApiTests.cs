using System.Net;
using Puhui.Ledger;
using Puhui.Storage;
using Puhui.Storage.Holdings;

namespace Puhui.Tests.Http;

/// <summary>Reductions in motion over HTTP: holdings, transfer, pledge and release, retirement with serials found publicly, bridges, caps, and refusals that change nothing.</summary>
public sealed class HoldingsApiTests
{
    public static TheoryData<StoreKind> Stores => TestStores.All;

    private static readonly HttpMethod Get = HttpMethod.Get, Post = HttpMethod.Post, Put = HttpMethod.Put;

    [Theory, MemberData(nameof(Stores))]
    public async Task Holdings_move_pledge_retire_with_public_serials_and_refusals_change_nothing(StoreKind kind)
    {
        await using var w = await GovernanceHttpWorld.CreateAsync(kind, GovernanceHttpWorld.November);
        var farm = await w.AddOrganisationAsync("o:farm", "林场 / Forest farm", "ProjectDeveloper");
        var expo = await w.AddOrganisationAsync("o:expo", "博览中心 / Expo centre", "Buyer");
        var bank = await w.AddOrganisationAsync("o:bank", "绿色银行 / Green bank", "Buyer");

        // A batch of 10 t held by the farm, issued through the ledger.
        var batch = await w.Store.CreateBatchAsync(new NewBatch("PRJ9-20250101-20250630", BatchOrigin.ProjectPeriod, "project:9:application:1", "", "", MethodologyClass.I, 2025, "320117"));
        var issuance = await w.Store.SystemAccountAsync(SystemAccounts.ReductionIssuance);
        var issued = await w.Store.AppendAsync(new TransactionBuilder(TransactionKind.Issue, "test:issue", w.Clock.GetUtcNow(), "test")
            .MoveGrams(issuance, new AccountId(farm.Account), batch.Id, new Grams(10_000_000)).Build());
        Assert.True(issued.Succeeded, issued.Detail);

        await w.SendAsync(Post, "/api/v1/organisation/transfers", farm.Token, new { to = expo.Account, batch = batch.Id.Value, grams = 2_000_000, requestKey = "t1" });
        var pledge = await w.SendAsync(Post, "/api/v1/organisation/pledges", farm.Token, new { lender = bank.Account, batch = batch.Id.Value, grams = 3_000_000, requestKey = "p1" });
        var holdings = await w.SendAsync(Get, "/api/v1/organisation/holdings", farm.Token);
        var held = Assert.Single(holdings.GetProperty("holdings").EnumerateArray());
        Assert.Equal((5_000_000L, 3_000_000L), (held.GetProperty("heldGrams").GetInt64(), held.GetProperty("pledgedGrams").GetInt64()));

        // Pledged grams cannot be moved; only the lender releases. Refusals append nothing to the ledger.
        var headBeforeRefusals = await w.Store.GetHeadAsync();
        await w.RefusedAsync(Post, "/api/v1/organisation/transfers", farm.Token, new { to = expo.Account, batch = batch.Id.Value, grams = 6_000_000, requestKey = "t2" },
            HttpStatusCode.Conflict, "insufficient-holding");
        await w.RefusedAsync(Post, $"/api/v1/organisation/pledges/{pledge.GetProperty("id").GetInt64()}/release", expo.Token, new { }, HttpStatusCode.Forbidden, "not-lender");
        Assert.Equal(headBeforeRefusals.Sequence, (await w.Store.GetHeadAsync()).Sequence);
        var released = await w.SendAsync(Post, $"/api/v1/organisation/pledges/{pledge.GetProperty("id").GetInt64()}/release", bank.Token, new { });
        Assert.Equal("Released", released.GetProperty("status").GetString());

        // A retirement for an event: its serial range is public, and a serial finds it without a token.
        var retired = await w.SendAsync(Post, "/api/v1/organisation/retirements", expo.Token, new
        {
            batch = batch.Id.Value, grams = 1_500_000, purpose = "event-neutrality", beneficiary = "2026 绿色博览会 / 2026 Green Expo", usingEntity = "博览中心 / Expo centre",
            reason = "展会碳中和 / the expo's neutrality", jurisdiction = "320100", requestKey = "r1",
        });
        Assert.Equal(["320117-" + batch.Id.Value + "-1-1500"], retired.GetProperty("serials").EnumerateArray().Select(s => s.GetString()!).ToArray());
        var found = await w.SendAsync(Get, $"/api/v1/public/serials/320117-{batch.Id.Value}-750", null);
        Assert.Equal(retired.GetProperty("id").GetInt64(), found.GetProperty("id").GetInt64());
        await w.RefusedAsync(Get, $"/api/v1/public/serials/320117-{batch.Id.Value}-1501", null, null, HttpStatusCode.NotFound, "serial-not-found");
        var report = await w.SendAsync(Get, "/api/v1/public/retirements", null);
        Assert.Equal("event-neutrality", Assert.Single(report.GetProperty("retirements").EnumerateArray()).GetProperty("purpose").GetString());
        using (var csv = await w.RawAsync(Get, "/api/v1/public/retirements.csv", null))
            Assert.Contains("2026 绿色博览会 / 2026 Green Expo", await csv.Content.ReadAsStringAsync(), StringComparison.Ordinal);

        // A compliance offset beyond the cap, fractional kilograms, a person: refused, nothing changed.
        await w.SendAsync(Put, $"/api/v1/admin/compliance-caps/2026/{expo.Account}", GovernanceHttpWorld.AdminToken, new { kilograms = 100 });
        var headBeforeCaps = await w.Store.GetHeadAsync();
        var holdingsBeforeCaps = (await w.SendAsync(Get, "/api/v1/organisation/holdings", expo.Token)).ToString();
        await w.RefusedAsync(Post, "/api/v1/organisation/retirements", expo.Token, new
        {
            batch = batch.Id.Value, grams = 200_000, purpose = "compliance-offset", beneficiary = "博览中心", usingEntity = "博览中心", requestKey = "r2",
        }, HttpStatusCode.Conflict, "over-compliance-cap");
        await w.RefusedAsync(Post, "/api/v1/organisation/transfers", farm.Token, new { to = expo.Account, batch = batch.Id.Value, grams = 1_500, requestKey = "t3" },
            HttpStatusCode.BadRequest, "holding-invalid");
        await w.RefusedAsync(Post, "/api/v1/organisation/retirements", w.PersonToken, new
        {
            batch = batch.Id.Value, grams = 1_000, purpose = "donation", beneficiary = "我", usingEntity = "我", requestKey = "r3",
        }, HttpStatusCode.Forbidden, "forbidden");

        Assert.Equal(headBeforeCaps.Sequence, (await w.Store.GetHeadAsync()).Sequence);
        Assert.Equal(holdingsBeforeCaps, (await w.SendAsync(Get, "/api/v1/organisation/holdings", expo.Token)).ToString());

        // Bridged out: cancelled here with the destination.
        var bridge = await w.SendAsync(Post, "/api/v1/organisation/bridges", farm.Token,
            new { batch = batch.Id.Value, grams = 1_000_000, destinationRegistry = "广东碳普惠 / Guangdong", destinationReference = "GD-2026-0001", requestKey = "b1" });
        Assert.Equal("GD-2026-0001", bridge.GetProperty("destinationReference").GetString());
        var after = Assert.Single((await w.SendAsync(Get, "/api/v1/organisation/holdings", farm.Token)).GetProperty("holdings").EnumerateArray());
        Assert.Equal((7_000_000L, 0L), (after.GetProperty("heldGrams").GetInt64(), after.GetProperty("pledgedGrams").GetInt64()));

        // puhui audit's holdings check passes on this work and names a tampered serial range, cursor or pledge.
        var clean = await HoldingsAudit.RunAsync(w.Store);
        Assert.True(clean.Passed, string.Join('\n', clean.Problems));
        Assert.Equal((1L, 1L, 1L, 1L), (clean.Transfers, clean.Pledges, clean.Retirements, clean.Bridges));
        foreach (var (sql, expected, undo) in new[]
        {
            ("UPDATE retirements SET serial_to = serial_to + 1", "do not number", "UPDATE retirements SET serial_to = serial_to - 1"),
            ("UPDATE serial_cursors SET next_kg = next_kg + 5", "the serial cursor stands at", "UPDATE serial_cursors SET next_kg = next_kg - 5"),
            ("UPDATE pledges SET status = 'open'", "open pledges lock", "UPDATE pledges SET status = 'released'"),
            ("UPDATE bridges SET tx_id = 'forged'", "transaction forged is not in the journal", null),
        })
        {
            await ExecuteAsync(sql);
            var tampered = await HoldingsAudit.RunAsync(w.Store);
            Assert.True(tampered.Problems.Any(p => p.Contains(expected, StringComparison.Ordinal)), $"{sql}: expected \"{expected}\" among\n{string.Join('\n', tampered.Problems)}");
            if (undo is not null)
            {
                await ExecuteAsync(undo);
                Assert.True((await HoldingsAudit.RunAsync(w.Store)).Passed, undo);
            }
        }

        async Task ExecuteAsync(string sql)
        {
            await using var connection = await w.Store.Dialect.OpenAsync(CancellationToken.None);
            await using var cmd = connection.CreateCommand();
            cmd.CommandText = sql;
            await cmd.ExecuteNonQueryAsync();
        }
    }
}
