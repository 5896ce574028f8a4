using Puhui.Client;
using Puhui.Ledger;
using Puhui.Storage;
using static Puhui.Tests.Http.IngestionHttpWorld;

namespace Puhui.Tests.Http;

/// <summary>The signed ingestion API and the people's views, over real HTTP on each store.</summary>
public class IngestionApiTests
{
    public static TheoryData<StoreKind> Stores => TestStores.All;

    [Theory, MemberData(nameof(Stores))]
    public async Task A_ride_sent_with_the_sdk_earns_points_the_person_can_see_and_have_explained(StoreKind kind)
    {
        await using var w = await CreateAsync(kind);
        var ride = T0.AddMinutes(30);

        var result = await w.Client().SubmitAsync([Metro("m-1", "alice", ride), Metro("m-2", "nobody", ride)]);
        var replay = await w.Client().SubmitAsync([Metro("m-1", "alice", ride)]);

        Assert.Equal((1, 0, 1), (result.Accepted, result.Duplicates, result.Rejected));
        Assert.Equal((574L, 57L), (result.Outcomes[0].Grams, result.Outcomes[0].Points));
        Assert.Equal(RejectionReasons.UnknownUser, result.Outcomes[1].Reason);
        Assert.Equal(Outcomes.Duplicate, replay.Outcomes[0].Outcome);
        Assert.Equal(574, replay.Outcomes[0].Original!.Grams);
        Assert.Equal(57, (await w.Store.GetBalancesAsync(new AccountId(w.Person))).Where(b => b.Asset == Asset.Pts).Sum(b => b.Amount));

        var records = await w.SendAsync(HttpMethod.Get, "/api/v1/me/records", w.PersonToken);
        var id = records.GetProperty("records")[0].GetProperty("id").GetInt64();
        var why = await w.SendAsync(HttpMethod.Get, $"/api/v1/me/records/{id}", w.PersonToken);
        Assert.Equal(574, why.GetProperty("computedGrams").GetInt64());
        Assert.Contains(why.GetProperty("factors").EnumerateArray(), f => f.GetProperty("name").GetString() == "reduction_factor");
        var stats = await w.SendAsync(HttpMethod.Get, "/api/v1/operator/statistics?from=2026-11-01&to=2026-11-30", w.OperatorToken);
        Assert.Equal(3, stats.GetProperty("rows").GetArrayLength());
    }
}
