using System.Net;
using System.Net.Sockets;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Puhui.Host.Http;
using Puhui.Storage;
using Puhui.Storage.Access;
using Puhui.Storage.Ledger;
using Puhui.Tests.Http;

namespace Puhui.Tests.Governance;

/// <summary>
/// The calendar over HTTP on both stores: anyone reads days and deadlines; only the administrator edits; a refused
/// edit is a problem naming what was wrong and changes nothing.
/// </summary>
public sealed class CalendarApiTests
{
    public static TheoryData<StoreKind> Stores => TestStores.All;

    private const string AdminToken = IngestionHttpWorld.AdminToken;

    private sealed class World(LedgerStore store, WebApplication app, HttpClient http) : IAsyncDisposable
    {
        public HttpClient Http => http;

        public static async Task<World> CreateAsync(StoreKind kind)
        {
            var clock = new ManualClock(IngestionHttpWorld.T0);
            var store = await TestStores.CreateAsync(kind, clock);
            using var probe = new TcpListener(IPAddress.Loopback, 0);
            probe.Start();
            var port = ((IPEndPoint)probe.LocalEndpoint).Port;
            probe.Stop();
            var app = PuhuiHost.Build(store, [], $"http://127.0.0.1:{port}",
                new PuhuiHostOptions(clock, MasterKey.FromBytes(new byte[32]), AdminToken, ExpiryJob: false));
            await app.StartAsync();
            return new World(store, app, new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}") });
        }

        public Task<HttpResponseMessage> RawAsync(HttpMethod method, string path, string? token, object? body = null) => http.CallAsync(method, path, token, body);

        public async Task<JsonElement> OkAsync(HttpMethod method, string path, string? token, object? body = null)
        {
            using var response = await RawAsync(method, path, token, body);
            var text = await response.Content.ReadAsStringAsync();
            Assert.True(response.StatusCode == HttpStatusCode.OK, $"{method} {path}: {(int)response.StatusCode} {text}");
            return JsonDocument.Parse(text).RootElement.Clone();
        }

        public async Task RefusedAsync(HttpMethod method, string path, string? token, object? body, HttpStatusCode status, string code, string? detailNames = null)
        {
            using var response = await RawAsync(method, path, token, body);
            var text = await response.Content.ReadAsStringAsync();
            await IngestionHttpWorld.AssertProblemAsync(response, status, code, $"{method} {path}");
            if (detailNames is not null) Assert.Contains(detailNames, text, StringComparison.Ordinal);
        }

        public async Task<string> PersonTokenAsync() =>
            (await http.JsonAsync(HttpMethod.Post, "/api/v1/persons", null, new { displayName = "Alice" })).GetProperty("token").GetString()!;


        /// <summary>The public view of a range, as text, and the administrator's edit list: what a refused request must leave alone.</summary>
        public async Task<string> SnapshotAsync() =>
            (await OkAsync(HttpMethod.Get, "/api/v1/public/calendar?from=2026-01-01&to=2026-12-31", null)).GetRawText()
            + (await OkAsync(HttpMethod.Get, "/api/v1/admin/calendar/edits", AdminToken)).GetRawText();

        public async ValueTask DisposeAsync()
        {
            http.Dispose();
            await app.DisposeAsync();
            await store.DisposeAsync();
        }
    }

    [Theory, MemberData(nameof(Stores))]
    public async Task Anyone_reads_a_range_of_days_and_a_deadline(StoreKind kind)
    {
        await using var world = await World.CreateAsync(kind);
        var range = await world.OkAsync(HttpMethod.Get, "/api/v1/public/calendar?from=2026-02-13&to=2026-03-01", null);
        Assert.Equal(7, range.GetProperty("workingDays").GetInt32()); // Feb 13, 14 (worked), 24–27, 28 (worked)
        var days = range.GetProperty("days").EnumerateArray().ToList();
        Assert.Equal(17, days.Count);
        var saturday = days[1];
        Assert.Equal("2026-02-14", saturday.GetProperty("date").GetString());
        Assert.Equal("Saturday", saturday.GetProperty("weekday").GetString());
        Assert.True(saturday.GetProperty("working").GetBoolean());
        Assert.Equal("workday", saturday.GetProperty("kind").GetString());
        var festival = days[4];
        Assert.Equal(("2026-02-17", false, "holiday", "春节"), (festival.GetProperty("date").GetString(), festival.GetProperty("working").GetBoolean(),
            festival.GetProperty("kind").GetString(), festival.GetProperty("nameZh").GetString()));
        Assert.Equal(JsonValueKind.Null, days[^1].GetProperty("kind").ValueKind);
        Assert.True(range.GetProperty("covered").GetBoolean());
        Assert.False(range.GetProperty("provisional").GetBoolean());

        var provisional = await world.OkAsync(HttpMethod.Get, "/api/v1/public/calendar?from=2026-12-31&to=2027-01-04", null);
        Assert.True(provisional.GetProperty("provisional").GetBoolean());
        Assert.False((await world.OkAsync(HttpMethod.Get, "/api/v1/public/calendar?from=2028-01-01&to=2028-01-02", null)).GetProperty("covered").GetBoolean());

        var deadline = await world.OkAsync(HttpMethod.Get, "/api/v1/public/calendar/deadline?from=2026-09-28&workingDays=5", null);
        Assert.Equal("2026-10-10", deadline.GetProperty("deadline").GetString());
        Assert.True(deadline.GetProperty("covered").GetBoolean());
    }

    [Theory, MemberData(nameof(Stores))]
    public async Task Malformed_reads_are_refused_naming_the_parameter(StoreKind kind)
    {
        await using var world = await World.CreateAsync(kind);
        await world.RefusedAsync(HttpMethod.Get, "/api/v1/public/calendar?from=2026-02-30&to=2026-03-01", null, null, HttpStatusCode.BadRequest, "invalid-argument", "from");
        await world.RefusedAsync(HttpMethod.Get, "/api/v1/public/calendar?from=2026-03-01", null, null, HttpStatusCode.BadRequest, "invalid-argument", "to is a date");
        await world.RefusedAsync(HttpMethod.Get, "/api/v1/public/calendar?from=2026-03-02&to=2026-03-01", null, null, HttpStatusCode.BadRequest, "invalid-argument", "comes before");
        await world.RefusedAsync(HttpMethod.Get, "/api/v1/public/calendar?from=2026-01-01&to=2027-01-02", null, null, HttpStatusCode.BadRequest, "invalid-argument", "366");
        Assert.Equal(CalendarEndpoints.RangeDaysMax,
            (await world.OkAsync(HttpMethod.Get, "/api/v1/public/calendar?from=2026-01-01&to=2027-01-01", null)).GetProperty("days").GetArrayLength());
        await world.RefusedAsync(HttpMethod.Get, $"/api/v1/public/calendar/deadline?from=2026-01-05&workingDays={CalendarEndpoints.DeadlineWorkingDaysMax + 1}", null, null,
            HttpStatusCode.BadRequest, "invalid-argument", "workingDays");
        _ = await world.OkAsync(HttpMethod.Get, $"/api/v1/public/calendar/deadline?from=2026-01-05&workingDays={CalendarEndpoints.DeadlineWorkingDaysMax}", null);
        await world.RefusedAsync(HttpMethod.Get, "/api/v1/public/calendar/deadline?from=2026-01-05&workingDays=-1", null, null, HttpStatusCode.BadRequest, "invalid-argument");
    }

    [Theory, MemberData(nameof(Stores))]
    public async Task The_administrator_lists_a_day_and_makes_it_ordinary_again_with_a_history(StoreKind kind)
    {
        await using var world = await World.CreateAsync(kind);
        var set = await world.OkAsync(HttpMethod.Put, "/api/v1/admin/calendar/days/2026-03-09", AdminToken,
            new { kind = "holiday", nameZh = "临时假日", nameEn = "Extra holiday", comment = "通知 / notice" });
        Assert.True(set.GetProperty("changed").GetBoolean());
        Assert.False(set.GetProperty("day").GetProperty("working").GetBoolean());
        Assert.Equal("临时假日", set.GetProperty("edit").GetProperty("current").GetProperty("nameZh").GetString());

        var again = await world.OkAsync(HttpMethod.Put, "/api/v1/admin/calendar/days/2026-03-09", AdminToken,
            new { kind = "holiday", nameZh = "临时假日", nameEn = "Extra holiday", comment = "again" });
        Assert.False(again.GetProperty("changed").GetBoolean());
        Assert.Equal(JsonValueKind.Null, again.GetProperty("edit").ValueKind);

        var day = (await world.OkAsync(HttpMethod.Get, "/api/v1/public/calendar?from=2026-03-09&to=2026-03-09", null)).GetProperty("days")[0];
        Assert.Equal(("holiday", false), (day.GetProperty("kind").GetString(), day.GetProperty("working").GetBoolean()));
        Assert.Equal("2026-03-10", (await world.OkAsync(HttpMethod.Get, "/api/v1/public/calendar/deadline?from=2026-03-06&workingDays=1", null))
            .GetProperty("deadline").GetString());

        var reset = await world.OkAsync(HttpMethod.Delete, "/api/v1/admin/calendar/days/2026-03-09?comment=withdrawn", AdminToken);
        Assert.True(reset.GetProperty("changed").GetBoolean());
        Assert.True(reset.GetProperty("day").GetProperty("working").GetBoolean());

        var edits = (await world.OkAsync(HttpMethod.Get, "/api/v1/admin/calendar/edits", AdminToken)).GetProperty("edits").EnumerateArray().ToList();
        Assert.Equal(2, edits.Count);
        Assert.Equal(("withdrawn", "2026-03-09"), (edits[0].GetProperty("comment").GetString(), edits[0].GetProperty("date").GetString()));
        Assert.Equal(JsonValueKind.Null, edits[0].GetProperty("current").ValueKind);
        Assert.Equal("holiday", edits[0].GetProperty("previous").GetProperty("kind").GetString());
        Assert.StartsWith("admin:", edits[1].GetProperty("actor").GetString(), StringComparison.Ordinal);
    }

    [Theory, MemberData(nameof(Stores))]
    public async Task Anyone_but_the_administrator_is_refused_and_nothing_changes(StoreKind kind)
    {
        await using var world = await World.CreateAsync(kind);
        var before = await world.SnapshotAsync();
        var person = await world.PersonTokenAsync();
        var body = new { kind = "holiday", nameZh = "临时假日", nameEn = "Extra holiday", comment = "" };
        await world.RefusedAsync(HttpMethod.Put, "/api/v1/admin/calendar/days/2026-03-09", null, body, HttpStatusCode.Unauthorized, "unauthenticated");
        await world.RefusedAsync(HttpMethod.Put, "/api/v1/admin/calendar/days/2026-03-09", person, body, HttpStatusCode.Forbidden, "forbidden");
        await world.RefusedAsync(HttpMethod.Delete, "/api/v1/admin/calendar/days/2026-02-17", person, null, HttpStatusCode.Forbidden, "forbidden");
        await world.RefusedAsync(HttpMethod.Get, "/api/v1/admin/calendar/edits", person, null, HttpStatusCode.Forbidden, "forbidden");
        await world.RefusedAsync(HttpMethod.Get, "/api/v1/admin/calendar/edits", "not-a-token", null, HttpStatusCode.Unauthorized, "unauthenticated");
        Assert.Equal(before, await world.SnapshotAsync());
    }

    [Theory, MemberData(nameof(Stores))]
    public async Task An_invalid_edit_is_a_problem_naming_what_was_wrong_and_changes_nothing(StoreKind kind)
    {
        await using var world = await World.CreateAsync(kind);
        var before = await world.SnapshotAsync();
        const string Path = "/api/v1/admin/calendar/days/";
        await world.RefusedAsync(HttpMethod.Put, Path + "2026-03-04", AdminToken, new { kind = "workday", nameZh = "调休", nameEn = "Adjusted", comment = "" },
            HttpStatusCode.BadRequest, "calendar-day-invalid", "Saturday or Sunday");
        await world.RefusedAsync(HttpMethod.Put, Path + "2026-03-09", AdminToken, new { kind = "off", nameZh = "假", nameEn = "Off" },
            HttpStatusCode.BadRequest, "calendar-day-invalid", "holiday or workday");
        await world.RefusedAsync(HttpMethod.Put, Path + "2026-03-09", AdminToken, new { kind = "holiday", nameZh = "假" },
            HttpStatusCode.BadRequest, "calendar-day-invalid", "nameEn");
        await world.RefusedAsync(HttpMethod.Put, Path + "2026-03-09", AdminToken, new { kind = "holiday", nameZh = "假", nameEn = new string('x', 101) },
            HttpStatusCode.BadRequest, "calendar-day-invalid", "100");
        await world.RefusedAsync(HttpMethod.Put, Path + "2026-3-9", AdminToken, new { kind = "holiday", nameZh = "假", nameEn = "Off" },
            HttpStatusCode.BadRequest, "invalid-argument", "yyyy-MM-dd");
        await world.RefusedAsync(HttpMethod.Delete, Path + "tomorrow", AdminToken, null, HttpStatusCode.BadRequest, "invalid-argument", "yyyy-MM-dd");
        Assert.Equal(before, await world.SnapshotAsync());
    }
}
