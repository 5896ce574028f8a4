using System.Net;
using System.Net.Sockets;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Puhui.Host.Http;
using Puhui.Ledger;
using Puhui.Storage;
using Puhui.Storage.Access;
using Puhui.Storage.Registry;

namespace Puhui.Tests.Registry;

/// <summary>The public registry over HTTP, without logging in: the same projects, batches and totals as the read model.</summary>
public class RegistryPublicApiTests
{
    [Theory]
    [MemberData(nameof(TestStores.All), MemberType = typeof(TestStores))]
    public async Task Anyone_reads_registered_projects_batches_and_exports_without_credentials(StoreKind kind)
    {
        await using var w = await PublicRegistryWorld.CreateAsync(kind);
        var pv = await w.RegisterAsync(w.Solar, w.Pv());
        var forest = await w.RegisterAsync(w.Forester, w.Forest());
        var draft = await w.RegisterAsync(w.Solar, w.Pv("草稿光伏"), until: "draft");
        var period = await w.IssueAsync(pv, new DateOnly(2025, 1, 1), new DateOnly(2025, 6, 30), PublicRegistryWorld.Generation(300));
        await w.IssueAsync(forest, new DateOnly(2025, 1, 1), new DateOnly(2025, 12, 31), PublicRegistryWorld.Growth(10));
        Assert.Equal(AppendStatus.Committed, (await w.MoveAsync(TransactionKind.Retire, w.Solar, w.Retired, period.Batch!.Value.Value, 1_000_000, "r")).Status);
        var reversal = await w.Registry.ReportReversalAsync(forest.Id, 2_000_000, "fire", PublicRegistryWorld.PlatformOperator, "山火 / fire", [w.Dossier], default);
        Assert.True(reversal.Succeeded, reversal.Detail);

        await using var host = await HostAsync(w);
        using var http = new HttpClient { BaseAddress = host.Urls.Select(u => new Uri(u)).First() };
        Assert.Null(http.DefaultRequestHeaders.Authorization);

        using var projects = await GetJsonAsync(http, "/api/v1/public/registry/projects");
        Assert.Equal([pv.Id, forest.Id], projects.RootElement.GetProperty("projects").EnumerateArray().Select(p => p.GetProperty("id").GetInt64()));

        using var one = await GetJsonAsync(http, $"/api/v1/public/registry/projects/{forest.Id}");
        Assert.Equal(forest.Code, one.RootElement.GetProperty("code").GetString());
        Assert.Equal("registered", one.RootElement.GetProperty("state").GetString());
        Assert.Equal(2_000_000, one.RootElement.GetProperty("reversals")[0].GetProperty("cancelledGrams").GetInt64());
        Assert.Equal(w.Dossier, one.RootElement.GetProperty("documents")[0].GetProperty("sha256").GetString());
        Assert.Equal("register", one.RootElement.GetProperty("history")[8].GetProperty("action").GetString());

        foreach (var hidden in new[] { draft.Id, 999_999 })
        {
            using var response = await http.GetAsync(new Uri($"/api/v1/public/registry/projects/{hidden}", UriKind.Relative));
            Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
            using var problem = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
            Assert.Equal("project-not-found", problem.RootElement.GetProperty("code").GetString());
            Assert.Equal(Problems.TypePrefix + "project-not-found", problem.RootElement.GetProperty("type").GetString());
        }

        var expected = await w.Queries.BatchesAsync();
        using var batches = await GetJsonAsync(http, "/api/v1/public/registry/batches");
        var listed = batches.RootElement.GetProperty("batches").EnumerateArray().ToList();
        Assert.Equal(expected.Select(b => (b.Id, b.Code)), listed.Select(b => (b.GetProperty("id").GetInt64(), b.GetProperty("code").GetString()!)));
        foreach (var (b, e) in expected.Zip(listed))
            Assert.Equal(b.Totals, JsonSerializer.Deserialize<BatchTotals>(e.GetProperty("totals").GetRawText(), JsonSerializerOptions.Web));
        Assert.Equal(new BatchTotals(171_090_000, 170_090_000, 0, 1_000_000, 0, 0), expected[0].Totals);
        Assert.Equal(2_000_000, expected[1].Totals.Cancelled);

        using var csv = await http.GetAsync(new Uri("/api/v1/public/registry/export.csv", UriKind.Relative));
        Assert.Equal(HttpStatusCode.OK, csv.StatusCode);
        Assert.Equal("text/csv; charset=utf-8", csv.Content.Headers.ContentType!.ToString());
        var local = new StringWriter();
        await w.Queries.ExportAsync(RegistryExportFormat.Csv, local);
        Assert.Equal(local.ToString(), await csv.Content.ReadAsStringAsync());
        Assert.Equal(3, RegistryQueriesTests.ParseCsv(local.ToString()).Count);

        using var json = await http.GetAsync(new Uri("/api/v1/public/registry/export.json", UriKind.Relative));
        Assert.Equal(HttpStatusCode.OK, json.StatusCode);
        Assert.Equal("application/json; charset=utf-8", json.Content.Headers.ContentType!.ToString());
        using var exported = JsonDocument.Parse(await json.Content.ReadAsStringAsync());
        Assert.Equal(expected.Select(b => b.Id), exported.RootElement.GetProperty("batches").EnumerateArray().Select(b => b.GetProperty("id").GetInt64()));
        Assert.Equal(listed[1].GetProperty("totals").GetRawText(), exported.RootElement.GetProperty("batches")[1].GetProperty("totals").GetRawText());
    }

    private static async Task<JsonDocument> GetJsonAsync(HttpClient http, string path)
    {
        using var response = await http.GetAsync(new Uri(path, UriKind.Relative));
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK, $"{path}: {(int)response.StatusCode} {body}");
        return JsonDocument.Parse(body);
    }

    private static async Task<WebApplication> HostAsync(PublicRegistryWorld w)
    {
        using var probe = new TcpListener(IPAddress.Loopback, 0);
        probe.Start();
        var port = ((IPEndPoint)probe.LocalEndpoint).Port;
        probe.Stop();
        var app = PuhuiHost.Build(w.Store, [], $"http://127.0.0.1:{port}", new PuhuiHostOptions(w.Clock, MasterKey.FromBytes(new byte[32]), ExpiryJob: false));
        await app.StartAsync();
        return app;
    }
}
