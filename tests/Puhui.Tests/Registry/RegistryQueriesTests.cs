using System.Text.Json;
using Puhui.Ledger;
using Puhui.Storage;
using Puhui.Storage.Governance;
using Puhui.Storage.Registry;

namespace Puhui.Tests.Registry;

/// <summary>
/// The public registry's read model: batch totals read from the ledger's balances, registered projects only, and
/// exports that carry each batch once with the same numbers.
/// </summary>
public class RegistryQueriesTests
{
    private static readonly DateOnly H1From = new(2025, 1, 1), H1To = new(2025, 6, 30), H2From = new(2025, 7, 1), H2To = new(2025, 12, 31);

    [Theory]
    [MemberData(nameof(TestStores.All), MemberType = typeof(TestStores))]
    public async Task Batch_totals_follow_transfers_retirements_and_reversals_and_equal_the_ledger(StoreKind kind)
    {
        await using var w = await PublicRegistryWorld.CreateAsync(kind);
        var pv = await w.RegisterAsync(w.Solar, w.Pv());
        var forest = await w.RegisterAsync(w.Forester, w.Forest());
        // 300 MWh × 0.5703 t/MWh = 171.09 t; the verifier deducts unmetered generation down to 170 t.
        var pv1 = await w.IssueAsync(pv, H1From, H1To, PublicRegistryWorld.Generation(300), adjustedGrams: 170_000_000);
        var pv2 = await w.IssueAsync(pv, H2From, H2To, PublicRegistryWorld.Generation(200));
        // 100 ha × 10 m3/ha: removals 1,443.75 t, of which the methodology sets 288.75 t aside for the buffer.
        var f1 = await w.IssueAsync(forest, H1From, H1To, PublicRegistryWorld.Growth(10));
        await w.AssertPublicTotalsMatchLedgerAsync();

        var batches = await w.Queries.BatchesAsync();
        Assert.Equal([pv1.Batch!.Value.Value, pv2.Batch!.Value.Value, f1.Batch!.Value.Value], batches.Select(b => b.Id));
        var b1 = batches[0];
        Assert.Equal(new BatchTotals(170_000_000, 170_000_000, 0, 0, 0, 0), b1.Totals);
        Assert.Equal((pv.Id, pv.Code, "distributed-pv", "1.0.0", MethodologyClass.I, 2025, "320115", H1From, H1To, pv1.ApplicationId, pv1.TransactionId),
            (b1.ProjectId, b1.ProjectCode, b1.MethodologyId, b1.MethodologyVersion, b1.Class, b1.Vintage, b1.Region, b1.PeriodFrom, b1.PeriodTo, b1.PeriodApplicationId,
                b1.TransactionId));
        Assert.Equal(new BatchTotals(1_443_750_000, 1_155_000_000, 0, 0, 0, 288_750_000), batches[2].Totals);

        // A transfer to the buyer, which retires part of it: held stays, retired grows.
        Assert.Equal(AppendStatus.Committed, (await w.MoveAsync(TransactionKind.Transfer, w.Solar, w.Buyer, b1.Id, 50_000_000, "t1")).Status);
        Assert.Equal(AppendStatus.Committed, (await w.MoveAsync(TransactionKind.Retire, w.Buyer, w.Retired, b1.Id, 20_000_000, "r1")).Status);
        Assert.Equal(AppendStatus.Committed, (await w.MoveAsync(TransactionKind.Retire, w.Forester, w.Retired, batches[2].Id, 5_000_000, "r2")).Status);
        batches = await w.Queries.BatchesAsync();
        Assert.Equal(new BatchTotals(170_000_000, 150_000_000, 0, 20_000_000, 0, 0), batches[0].Totals);
        Assert.Equal(new BatchTotals(1_443_750_000, 1_150_000_000, 0, 5_000_000, 0, 288_750_000), batches[2].Totals);

        // A fire: 100 t lost, made good from the buffer.
        var reversal = await w.Registry.ReportReversalAsync(forest.Id, 100_000_000, "fire-2026-03", PublicRegistryWorld.PlatformOperator, "山火 / forest fire", [w.Dossier],
            default);
        Assert.True(reversal.Succeeded, reversal.Detail);
        batches = await w.Queries.BatchesAsync();
        Assert.Equal(new BatchTotals(1_443_750_000, 1_150_000_000, 0, 5_000_000, 100_000_000, 188_750_000), batches[2].Totals);
        await w.AssertPublicTotalsMatchLedgerAsync();

        var shown = (await w.Queries.ProjectAsync(forest.Id))!;
        Assert.Equal(100_000_000, Assert.Single(shown.Reversals).CancelledGrams);
        Assert.Equal(100_000_000, shown.BufferDebtGrams);
        Assert.Equal(batches[2], Assert.Single(shown.Batches));
        Assert.Equal(["draft", "submit", "assign-validation", "validate", "accept", "opinion", "opinion", "opinion", "register", "report-reversal"],
            shown.History.Select(e => e.Action));
        Assert.All(shown.History, e => Assert.Matches("^[0-9a-f]{64}$", e.Hash));
        Assert.Equal(("expert-review", "registered", "administrator"), (shown.History[8].From, shown.History[8].To, shown.History[8].Role));
        Assert.Equal(w.Dossier, Assert.Single(shown.Documents).Sha256);
        var period = Assert.Single(shown.Periods);
        Assert.Equal((f1.ApplicationId, "issued", batches[2].Code, 1_443_750_000L, 288_750_000L), (period.ApplicationId, period.State, period.BatchCode, period.IssuedGrams!.Value,
            period.BufferGrams!.Value));
        Assert.Equal("紫金山林场 / Zijinshan Forest Farm", shown.DeveloperName);
    }

    [Theory]
    [MemberData(nameof(TestStores.All), MemberType = typeof(TestStores))]
    public async Task Unregistered_projects_and_their_periods_are_not_public(StoreKind kind)
    {
        await using var w = await PublicRegistryWorld.CreateAsync(kind);
        var registered = await w.RegisterAsync(w.Solar, w.Pv());
        var hidden = new List<long>();
        foreach (var state in new[] { "draft", "submitted", "validation", "expert-review" })
            hidden.Add((await w.RegisterAsync(w.Solar, w.Pv("未登记光伏 " + state), until: state)).Id);
        var rejected = await w.RegisterAsync(w.Forester, w.Forest(), until: "submitted");
        await w.StepAsync(rejected.ApplicationId, new Step("retract"), PublicRegistryWorld.Staff(w.Forester));
        hidden.Add(rejected.Id);

        var projects = await w.Queries.ProjectsAsync();
        Assert.Equal([registered.Id], projects.Select(p => p.Id));
        Assert.Empty(projects[0].Batches);
        foreach (var id in hidden) Assert.Null(await w.Queries.ProjectAsync(id));
        Assert.Null(await w.Queries.ProjectAsync(999));
        Assert.Empty(await w.Queries.BatchesAsync());

        var json = new StringWriter();
        await w.Queries.ExportAsync(RegistryExportFormat.Json, json);
        using var doc = JsonDocument.Parse(json.ToString());
        Assert.Equal([registered.Id], doc.RootElement.GetProperty("projects").EnumerateArray().Select(p => p.GetProperty("id").GetInt64()));
        Assert.DoesNotContain("未登记光伏", json.ToString(), StringComparison.Ordinal);
        var csv = new StringWriter();
        await w.Queries.ExportAsync(RegistryExportFormat.Csv, csv);
        Assert.Equal(RegistryQueries.CsvLine(RegistryQueries.CsvColumns), csv.ToString());
    }

    [Theory]
    [MemberData(nameof(TestStores.All), MemberType = typeof(TestStores))]
    public async Task Csv_and_json_exports_carry_each_batch_once_with_the_ledgers_numbers(StoreKind kind)
    {
        await using var w = await PublicRegistryWorld.CreateAsync(kind);
        // A name that needs quoting in CSV: a comma, a quote and a line break.
        var pv = await w.RegisterAsync(w.Solar, w.Pv("金陵,\"阳光\"\n屋顶光伏"));
        var forest = await w.RegisterAsync(w.Forester, w.Forest());
        await w.IssueAsync(pv, H1From, H1To, PublicRegistryWorld.Generation(300));
        await w.IssueAsync(forest, H1From, H1To, PublicRegistryWorld.Growth(8));
        await w.IssueAsync(forest, H2From, H2To, PublicRegistryWorld.Growth(2.5m));
        var batch = (await w.Queries.BatchesAsync())[1];
        Assert.Equal(AppendStatus.Committed, (await w.MoveAsync(TransactionKind.Retire, w.Forester, w.Retired, batch.Id, 1_234_567, "r")).Status);
        var batches = await w.Queries.BatchesAsync();
        await w.AssertPublicTotalsMatchLedgerAsync();

        var csvText = new StringWriter();
        await w.Queries.ExportAsync(RegistryExportFormat.Csv, csvText);
        var rows = ParseCsv(csvText.ToString());
        Assert.Equal(RegistryQueries.CsvColumns, rows[0]);
        var records = rows.Skip(1).Select(r => RegistryQueries.CsvColumns.Zip(r).ToDictionary(c => c.First, c => c.Second)).ToList();
        Assert.Equal(batches.Select(b => b.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)), records.Select(r => r["batch_id"]));
        foreach (var (b, r) in batches.Zip(records))
        {
            Assert.Equal(b.Code, r["batch_code"]);
            Assert.Equal([b.Totals.Issued, b.Totals.Held, b.Totals.Pledged, b.Totals.Retired, b.Totals.Cancelled, b.Totals.Buffer],
                new[] { "issued_g", "held_g", "pledged_g", "retired_g", "cancelled_g", "buffer_g" }.Select(c => long.Parse(r[c], System.Globalization.CultureInfo.InvariantCulture)));
        }

        Assert.Equal("金陵,\"阳光\"\n屋顶光伏", records[0]["project_name_zh"]);
        Assert.Equal(("forestry-sink", "紫金山林场 / Zijinshan Forest Farm", "2025-07-01"), (records[2]["project_type"], records[2]["developer"], records[2]["period_from"]));

        var jsonText = new StringWriter();
        await w.Queries.ExportAsync(RegistryExportFormat.Json, jsonText);
        using var json = JsonDocument.Parse(jsonText.ToString());
        var exported = json.RootElement.GetProperty("batches").EnumerateArray().ToList();
        Assert.Equal(batches.Select(b => b.Id), exported.Select(e => e.GetProperty("id").GetInt64()));
        foreach (var (b, e) in batches.Zip(exported))
        {
            var t = e.GetProperty("totals");
            Assert.Equal([b.Totals.Issued, b.Totals.Held, b.Totals.Pledged, b.Totals.Retired, b.Totals.Cancelled, b.Totals.Buffer],
                new[] { "issued", "held", "pledged", "retired", "cancelled", "buffer" }.Select(n => t.GetProperty(n).GetInt64()));
        }

        // Within projects, each batch appears under its own project only.
        var nested = json.RootElement.GetProperty("projects").EnumerateArray()
            .SelectMany(p => p.GetProperty("batches").EnumerateArray().Select(b => (Project: p.GetProperty("id").GetInt64(), Batch: b.GetProperty("id").GetInt64()))).ToList();
        Assert.Equal(batches.Select(b => (b.ProjectId, b.Id)), nested);
        Assert.Equal("ForestrySink", json.RootElement.GetProperty("projects")[1].GetProperty("definition").GetProperty("type").GetString());
    }

    [Fact]
    public void Csv_lines_quote_only_what_rfc_4180_requires()
    {
        Assert.Equal("a,b c,\"d,e\",\"say \"\"hi\"\"\",\"x\r\ny\",\r\n", RegistryQueries.CsvLine(["a", "b c", "d,e", "say \"hi\"", "x\r\ny", ""]));
        Assert.Equal(RegistryExportFormat.Csv, RegistryQueries.ParseFormat("CSV"));
        Assert.Null(RegistryQueries.ParseFormat("xml"));
    }

    /// <summary>A strict RFC 4180 reader: CRLF ends a record, quoted fields may hold anything.</summary>
    public static List<List<string>> ParseCsv(string text)
    {
        var rows = new List<List<string>>();
        var row = new List<string>();
        var field = new System.Text.StringBuilder();
        var i = 0;
        while (i < text.Length)
        {
            if (text[i] == '"')
            {
                i++;
                while (true)
                {
                    if (text[i] == '"' && i + 1 < text.Length && text[i + 1] == '"') { field.Append('"'); i += 2; }
                    else if (text[i] == '"') { i++; break; }
                    else field.Append(text[i++]);
                }
            }

            while (i < text.Length && text[i] != ',' && text[i] != '\r') field.Append(text[i++]);
            row.Add(field.ToString());
            field.Clear();
            if (i < text.Length && text[i] == ',') { i++; continue; }
            Assert.True(text[i] == '\r' && text[i + 1] == '\n', "a record ends with CRLF");
            i += 2;
            rows.Add(row);
            row = [];
        }

        return rows;
    }
}
