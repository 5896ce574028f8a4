using System.Net;
using System.Text;
using System.Text.Json;
using Puhui.Governance;
using Puhui.Storage;
using Puhui.Storage.Governance;

namespace Puhui.Tests.Governance;

/// <summary>
/// The expert pool over real HTTP on each store: the administrator keeps the pool and issues the tokens of experts
/// and of the platform operator's staff, an expert declares their own conflicts, anyone reads the pool and every
/// recorded draw and has it replayed, and every refusal is its documented problem with nothing changed.
/// </summary>
public class ExpertApiTests
{
    public static TheoryData<StoreKind> Stores => TestStores.All;

    private static readonly HttpMethod Get = HttpMethod.Get, Post = HttpMethod.Post;
    private const string Admin = ExpertHttpWorld.AdminToken;

    [Theory, MemberData(nameof(Stores))]
    public async Task The_administrator_keeps_the_pool_and_the_public_list_shows_it_without_conflicts(StoreKind kind)
    {
        await using var w = await ExpertHttpWorld.CreateAsync(kind);
        using (var response = await w.RawAsync(Post, "/api/v1/admin/experts", Admin,
            new { name = "王工", organisation = "深圳地铁", organisationAccount = w.Metro.Value, fields = new[] { "transport", "energy" }, title = "高级工程师" }))
        {
            Assert.Equal(HttpStatusCode.Created, response.StatusCode);
            var created = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement;
            Assert.Equal($"/api/v1/admin/experts/{created.GetProperty("id").GetInt64()}", response.Headers.Location!.OriginalString);
            Assert.Equal(("active", w.Metro.Value), (created.GetProperty("status").GetString(), created.GetProperty("organisationAccount").GetInt64()));
        }

        var li = (await w.AddExpertAsync("李教授", "南京林业大学", ["forestry"])).GetProperty("id").GetInt64();
        var status = await w.SendAsync(Post, $"/api/v1/admin/experts/{li}/status", Admin, new { status = "inactive", comment = "休假 / on leave" });
        Assert.Equal("inactive", status.GetProperty("status").GetString());
        var conflict = await w.SendAsync(Post, $"/api/v1/admin/experts/{li}/conflicts", Admin, new { organisation = "绿色能源公司", reason = "兼职顾问 / part-time adviser" });
        Assert.Equal("兼职顾问 / part-time adviser", conflict.GetProperty("conflicts")[0].GetProperty("reason").GetString());

        var all = (await w.SendAsync(Get, "/api/v1/admin/experts", Admin)).GetProperty("experts");
        Assert.Equal(["王工", "李教授"], all.EnumerateArray().Select(e => e.GetProperty("name").GetString()));
        var events = (await w.SendAsync(Get, $"/api/v1/admin/experts/{li}/events", Admin)).GetProperty("events");
        Assert.Equal(["added", "status", "conflict"], events.EnumerateArray().Select(e => e.GetProperty("kind").GetString()));
        Assert.All(events.EnumerateArray(), e => Assert.Equal("admin:configured administrator", e.GetProperty("actor").GetString()));

        var listed = (await w.SendAsync(Get, "/api/v1/public/experts", null)).GetProperty("experts");
        Assert.Equal(2, listed.GetArrayLength());
        var shown = listed[1];
        Assert.Equal(["id", "name", "organisation", "fields", "title", "status"], shown.EnumerateObject().Select(p => p.Name));
        Assert.Equal(("李教授", "南京林业大学", "inactive", "forestry"), (shown.GetProperty("name").GetString(), shown.GetProperty("organisation").GetString(),
            shown.GetProperty("status").GetString(), shown.GetProperty("fields")[0].GetString()));
    }

    [Theory, MemberData(nameof(Stores))]
    public async Task Experts_and_the_platform_operators_staff_get_tokens_that_act_in_their_roles_only(StoreKind kind)
    {
        await using var w = await ExpertHttpWorld.CreateAsync(kind);
        var wang = (await w.AddExpertAsync("王工", "深圳地铁", ["transport"])).GetProperty("id").GetInt64();
        using (var response = await w.RawAsync(Post, "/api/v1/admin/tokens", Admin, new { role = "expert", expertId = wang, label = "王工" }))
            Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        var expertToken = await w.IssueTokenAsync("expert", wang, "王工的第二个令牌");
        var operatorToken = await w.IssueTokenAsync("platform-operator", null, "受理窗口");

        var me = await w.SendAsync(Get, "/api/v1/expert/me", expertToken);
        Assert.Equal((wang, "王工"), (me.GetProperty("id").GetInt64(), me.GetProperty("name").GetString()));
        var declared = await w.SendAsync(Post, "/api/v1/expert/conflicts", expertToken, new { account = w.Metro.Value, organisation = "深圳地铁运营集团", reason = "配偶任职 / spouse works there" });
        Assert.Equal(w.Metro.Value, declared.GetProperty("conflicts")[0].GetProperty("account").GetInt64());
        var events = (await w.SendAsync(Get, $"/api/v1/admin/experts/{wang}/events", Admin)).GetProperty("events");
        Assert.Equal($"expert:{wang}", events[1].GetProperty("actor").GetString());

        // Each role stays in its lane; no token is 401.
        await w.RefusedAsync(Post, "/api/v1/admin/experts", operatorToken, new { name = "x", organisation = "y", fields = new[] { "energy" } }, HttpStatusCode.Forbidden, "forbidden");
        await w.RefusedAsync(Post, "/api/v1/admin/experts", expertToken, new { name = "x", organisation = "y", fields = new[] { "energy" } }, HttpStatusCode.Forbidden, "forbidden");
        await w.RefusedAsync(Post, "/api/v1/admin/tokens", operatorToken, new { role = "platform-operator", label = "me too" }, HttpStatusCode.Forbidden, "forbidden");
        await w.RefusedAsync(Get, "/api/v1/admin/experts", expertToken, null, HttpStatusCode.Forbidden, "forbidden");
        await w.RefusedAsync(Get, "/api/v1/expert/me", operatorToken, null, HttpStatusCode.Forbidden, "forbidden");
        await w.RefusedAsync(Post, "/api/v1/expert/conflicts", Admin, new { organisation = "x", reason = "y" }, HttpStatusCode.Forbidden, "forbidden");
        await w.RefusedAsync(Post, $"/api/v1/admin/experts/{wang}/status", null, new { status = "inactive" }, HttpStatusCode.Unauthorized, "unauthenticated");
        await w.RefusedAsync(Get, "/api/v1/admin/experts", "pht_not-a-token", null, HttpStatusCode.Unauthorized, "unauthenticated");
    }

    [Theory, MemberData(nameof(Stores))]
    public async Task A_recorded_draw_is_disclosed_whole_and_its_verification_replays_it(StoreKind kind)
    {
        await using var w = await ExpertHttpWorld.CreateAsync(kind);
        var ids = new List<long>();
        foreach (var (name, organisation, account, fields) in new (string, string, long?, string[])[]
        {
            ("王工", "深圳地铁", w.Metro.Value, ["transport"]), ("李教授", "南京林业大学", null, ["energy"]), ("张研究员", "市环科院", null, ["transport", "energy"]),
            ("赵博士", "清华大学", null, ["transport"]), ("陈工", "绿色能源公司", null, ["waste"]),
        })
            ids.Add((await w.AddExpertAsync(name, organisation, fields, account)).GetProperty("id").GetInt64());
        await w.SendAsync(Post, $"/api/v1/admin/experts/{ids[3]}/conflicts", Admin, new { organisation = " 深圳地铁 ", reason = "项目合作 / joint project" });

        var draws = new PanelDraws(w.Store, w.Clock);
        var outcome = await draws.DrawAsync("application:42", new PanelRequest(["energy", "transport"], 2, w.Metro.Value, "深圳地铁"), "platform-operator:受理窗口");
        Assert.Equal(PanelDrawStatus.Drawn, outcome.Status);

        var draw = await w.SendAsync(Get, $"/api/v1/public/panel-draws/{outcome.DrawId}", null);
        Assert.Equal(("application:42", "v1", outcome.Record!.SeedHex), (draw.GetProperty("subject").GetString(), draw.GetProperty("algorithm").GetString(),
            draw.GetProperty("seed").GetString()));
        Assert.Equal(2, draw.GetProperty("request").GetProperty("size").GetInt32());
        Assert.Equal(ids, draw.GetProperty("candidates").EnumerateArray().Select(c => c.GetProperty("id").GetInt64()));
        var conflicted = draw.GetProperty("candidates")[3];
        Assert.Equal(" 深圳地铁 ", conflicted.GetProperty("conflicts")[0].GetProperty("organisation").GetString());
        Assert.False(conflicted.GetProperty("conflicts")[0].TryGetProperty("reason", out _), "a conflict's reason is the expert's, not the public's");
        Assert.Equal([(ids[0], "same-organisation"), (ids[3], "declared-conflict"), (ids[4], "no-required-field")],
            draw.GetProperty("excluded").EnumerateArray().Select(x => (x.GetProperty("expert").GetInt64(), x.GetProperty("reason").GetString())));
        Assert.Equal([ids[1], ids[2]], draw.GetProperty("panel").EnumerateArray().Select(p => p.GetInt64()).Order());
        Assert.Equal("platform-operator:受理窗口", draw.GetProperty("drawnBy").GetString());

        var verification = await w.SendAsync(Get, $"/api/v1/public/panel-draws/{outcome.DrawId}/verification", null);
        Assert.True(verification.GetProperty("replays").GetBoolean());
        Assert.Equal(outcome.Record.Panel, verification.GetProperty("panel").EnumerateArray().Select(p => p.GetInt64()));
        var listed = await w.SendAsync(Get, "/api/v1/public/panel-draws?subject=application:42", null);
        Assert.Equal(outcome.DrawId, Assert.Single(listed.GetProperty("draws").EnumerateArray()).GetProperty("id").GetInt64());

        // Someone rewrites the stored panel: the verification says so.
        await using (var connection = await w.Store.Dialect.OpenAsync(default))
        {
            var forged = JsonSerializer.Serialize(outcome.Record with { Panel = [.. outcome.Record.Panel.Reverse()] }, ExpertJson.Default.PanelDrawRecord);
            Assert.NotEqual(forged, JsonSerializer.Serialize(outcome.Record, ExpertJson.Default.PanelDrawRecord));
            await using var cmd = Sql.Command(connection, null, "UPDATE panel_draws SET record = @r WHERE id = @id").With("@r", forged).With("@id", outcome.DrawId);
            Assert.Equal(1, await cmd.ExecuteNonQueryAsync());
        }

        var forgedCheck = await w.SendAsync(Get, $"/api/v1/public/panel-draws/{outcome.DrawId}/verification", null);
        Assert.False(forgedCheck.GetProperty("replays").GetBoolean());
        Assert.Equal(outcome.Record.Panel, forgedCheck.GetProperty("panel").EnumerateArray().Select(p => p.GetInt64()));

        await w.RefusedAsync(Get, $"/api/v1/public/panel-draws/{outcome.DrawId + 1}", null, null, HttpStatusCode.NotFound, "panel-draw-not-found");
        await w.RefusedAsync(Get, $"/api/v1/public/panel-draws/{outcome.DrawId + 1}/verification", null, null, HttpStatusCode.NotFound, "panel-draw-not-found");
        await w.RefusedAsync(Get, "/api/v1/public/panel-draws", null, null, HttpStatusCode.BadRequest, "invalid-argument");
    }

    [Theory, MemberData(nameof(Stores))]
    public async Task Invalid_requests_are_refused_with_their_problem_and_change_nothing(StoreKind kind)
    {
        await using var w = await ExpertHttpWorld.CreateAsync(kind);
        var wang = (await w.AddExpertAsync("王工", "深圳地铁", ["transport"])).GetProperty("id").GetInt64();
        var retired = (await w.AddExpertAsync("周工", "深圳地铁", ["energy"])).GetProperty("id").GetInt64();
        await w.SendAsync(Post, $"/api/v1/admin/experts/{retired}/status", Admin, new { status = "inactive" });
        await w.SendAsync(Post, $"/api/v1/admin/experts/{wang}/conflicts", Admin, new { organisation = "Green Energy Co", reason = "consulting" });
        const string experts = "/api/v1/admin/experts";

        var problem = await w.RefusedAsync(Post, experts, Admin, new { name = "赵博士", organisation = "清华大学", fields = new[] { "Transport" } }, HttpStatusCode.BadRequest, "expert-invalid");
        Assert.Contains("Transport", problem.GetProperty("detail").GetString(), StringComparison.Ordinal);
        await w.RefusedAsync(Post, experts, Admin, new { organisation = "清华大学", fields = new[] { "energy" } }, HttpStatusCode.BadRequest, "expert-invalid");
        await w.RefusedAsync(Post, experts, Admin, new { name = "赵博士", organisation = "清华大学" }, HttpStatusCode.BadRequest, "expert-invalid");
        await w.RefusedAsync(Post, experts, Admin, new { name = new string('名', ExpertRules.NameLengthMax + 1), organisation = "清华大学", fields = new[] { "energy" } },
            HttpStatusCode.BadRequest, "expert-invalid");
        await w.RefusedAsync(Post, experts, Admin, new { name = "赵博士", organisation = "清华大学", organisationAccount = 999_999, fields = new[] { "energy" } },
            HttpStatusCode.BadRequest, "expert-invalid");
        await w.RefusedAsync(Post, experts, Admin, new StringContent("{not json", Encoding.UTF8, "application/json"), HttpStatusCode.BadRequest, "invalid-argument");

        await w.RefusedAsync(Post, $"{experts}/{wang}/status", Admin, new { status = "retired" }, HttpStatusCode.BadRequest, "expert-invalid");
        await w.RefusedAsync(Post, $"{experts}/{wang}/status", Admin, new { status = "active" }, HttpStatusCode.BadRequest, "expert-invalid");
        await w.RefusedAsync(Post, $"{experts}/{wang + 100}/status", Admin, new { status = "inactive" }, HttpStatusCode.NotFound, "expert-not-found");
        await w.RefusedAsync(Post, $"{experts}/{wang}/conflicts", Admin, new { organisation = "green energy co", reason = "again" }, HttpStatusCode.BadRequest, "expert-invalid");
        await w.RefusedAsync(Post, $"{experts}/{wang}/conflicts", Admin, new { organisation = "Another Co" }, HttpStatusCode.BadRequest, "expert-invalid");
        await w.RefusedAsync(Post, $"{experts}/{wang + 100}/conflicts", Admin, new { organisation = "Another Co", reason = "r" }, HttpStatusCode.NotFound, "expert-not-found");
        await w.RefusedAsync(Get, $"{experts}/{wang + 100}", Admin, null, HttpStatusCode.NotFound, "expert-not-found");

        const string tokens = "/api/v1/admin/tokens";
        await w.RefusedAsync(Post, tokens, Admin, new { role = "auditor", label = "x" }, HttpStatusCode.BadRequest, "invalid-argument");
        await w.RefusedAsync(Post, tokens, Admin, new { role = "expert", label = "x" }, HttpStatusCode.BadRequest, "invalid-argument");
        await w.RefusedAsync(Post, tokens, Admin, new { role = "expert", expertId = wang + 100, label = "x" }, HttpStatusCode.NotFound, "expert-not-found");
        await w.RefusedAsync(Post, tokens, Admin, new { role = "expert", expertId = retired, label = "x" }, HttpStatusCode.BadRequest, "expert-invalid");
        await w.RefusedAsync(Post, tokens, Admin, new { role = "platform-operator", expertId = wang, label = "x" }, HttpStatusCode.BadRequest, "invalid-argument");
        await w.RefusedAsync(Post, tokens, Admin, new { role = "platform-operator", label = " " }, HttpStatusCode.BadRequest, "invalid-argument");

        var expertToken = await w.IssueTokenAsync("expert", wang, "王工");
        await w.RefusedAsync(Post, "/api/v1/expert/conflicts", expertToken, new { organisation = "GREEN ENERGY CO", reason = "again" }, HttpStatusCode.BadRequest, "expert-invalid");
        await w.RefusedAsync(Post, "/api/v1/expert/conflicts", expertToken, new { organisation = "X", reason = new string('r', ExpertConflict.ReasonLengthMax + 1) },
            HttpStatusCode.BadRequest, "expert-invalid");
    }
}
