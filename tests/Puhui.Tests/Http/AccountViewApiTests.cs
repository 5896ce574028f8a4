using System.Net;
using Puhui.Storage;
using static Puhui.Tests.Http.IngestionHttpWorld;

namespace Puhui.Tests.Http;

public sealed class AccountViewApiTests
{
    [Theory]
    [MemberData(nameof(TestStores.All), MemberType = typeof(TestStores))]
    public async Task A_person_sees_their_points_lots_history_and_honour_and_no_one_elses(StoreKind kind)
    {
        await using var w = await CreateAsync(kind);
        var ride = w.Clock.GetUtcNow().AddHours(-2);
        var result = await w.Client().SubmitAsync([Metro("m-1", "alice", ride), Metro("m-2", "alice", ride.AddMinutes(40))]);
        Assert.All(result.Outcomes, r => Assert.Equal("accepted", r.Outcome));
        var points = result.Outcomes.Sum(r => r.Points!.Value);
        var grams = result.Outcomes.Sum(r => r.Grams!.Value);

        var summary = await w.SendAsync(HttpMethod.Get, "/api/v1/me/points", w.PersonToken);
        Assert.Equal(points, summary.GetProperty("spendable").GetInt64());
        Assert.Equal(grams, summary.GetProperty("grams").GetInt64());
        Assert.Equal(0, summary.GetProperty("expiringWithin30Days").GetInt64());
        Assert.Equal(points, summary.GetProperty("honour").GetProperty("pointsEarned").GetInt64());

        var lots = await w.SendAsync(HttpMethod.Get, "/api/v1/me/lots", w.PersonToken);
        var lot = Assert.Single(lots.EnumerateArray());
        Assert.Equal("深圳地铁出行", lot.GetProperty("sourceZh").GetString());
        Assert.Equal(DateOnly.FromDateTime(ride.ToOffset(TimeSpan.FromHours(8)).Date).AddYears(2).ToString("yyyy-MM-dd"), lot.GetProperty("expiresOn").GetString());
        Assert.Empty((await w.SendAsync(HttpMethod.Get, "/api/v1/me/lots?expiring=true", w.PersonToken)).EnumerateArray());

        var history = await w.SendAsync(HttpMethod.Get, "/api/v1/me/history?limit=10", w.PersonToken);
        var entry = Assert.Single(history.GetProperty("entries").EnumerateArray());
        Assert.Equal($"深圳地铁出行：获得 {points} 积分，含减排量 {grams} 克", entry.GetProperty("descriptionZh").GetString());
        Assert.Equal($"Shenzhen metro: earned {points} points carrying {grams} g CO2e of reductions", entry.GetProperty("descriptionEn").GetString());

        var honour = await w.SendAsync(HttpMethod.Get, "/api/v1/me/honour", w.PersonToken);
        Assert.Equal(0, honour.GetProperty("pointsRedeemed").GetInt64());

        await w.RefusedAsync(HttpMethod.Get, "/api/v1/me/points", null, null, HttpStatusCode.Unauthorized, "unauthenticated");
        await w.RefusedAsync(HttpMethod.Get, "/api/v1/me/history", w.OperatorToken, null, HttpStatusCode.Forbidden, "forbidden");
        await w.RefusedAsync(HttpMethod.Get, "/api/v1/me/history?limit=0", w.PersonToken, null, HttpStatusCode.BadRequest, "invalid-argument");
        await w.RefusedAsync(HttpMethod.Get, "/api/v1/provider/summary", w.PersonToken, null, HttpStatusCode.Forbidden, "forbidden");
        // An operator's staff are not a provider's.
        await w.RefusedAsync(HttpMethod.Get, "/api/v1/provider/summary", w.OperatorToken, null, HttpStatusCode.Forbidden, "forbidden");
    }
}
