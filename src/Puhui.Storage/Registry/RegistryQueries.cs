using System.Data.Common;
using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;
using Puhui.Ledger;
using Puhui.Registry;
using Puhui.Storage.Governance;
using Puhui.Storage.Ledger;

namespace Puhui.Storage.Registry;

/// <summary>
/// Where a batch's grams are now, read from the ledger's balances. Every gram issued is in exactly one place, so
/// <c>Issued = Held + Pledged + Retired + Cancelled + Buffer</c> (DESIGN §4, invariant 2).
/// </summary>
/// <param name="Issued">Grams issued: minus the issuance source's balance of the batch.</param>
/// <param name="Held">Grams in organisations' and persons' accounts, and in custody (the trading escrow) on a seller's behalf.</param>
/// <param name="Pledged">Grams locked in a pledge (<see cref="RegistryQueries.PledgeAccount"/>).</param>
/// <param name="Retired">Grams retired with a purpose, expiry's voluntary cancellation included.</param>
/// <param name="Cancelled">Buffer grams cancelled for good to make a reversal good.</param>
/// <param name="Buffer">Grams in the platform's buffer pool.</param>
public sealed record BatchTotals(long Issued, long Held, long Pledged, long Retired, long Cancelled, long Buffer)
{
    public static readonly BatchTotals Zero = new(0, 0, 0, 0, 0, 0);

    /// <summary>Held + pledged + retired + cancelled + buffer: equal to <see cref="Issued"/> in a sound ledger.</summary>
    public long Accounted => checked(Held + Pledged + Retired + Cancelled + Buffer);
}

/// <summary>One issuance batch of a registered project's monitoring period, with its totals from the ledger.</summary>
/// <param name="PeriodApplicationId">The monitoring-period application the batch was issued for.</param>
/// <param name="TransactionId">The Issue transaction that created the batch's grams.</param>
public sealed record RegistryBatch(long Id, string Code, long ProjectId, string ProjectCode, string MethodologyId, string MethodologyVersion, MethodologyClass Class,
    int Vintage, string Region, DateOnly PeriodFrom, DateOnly PeriodTo, long PeriodApplicationId, string TransactionId, DateTimeOffset IssuedAt, BatchTotals Totals);

/// <summary>One step on an application's governance log, as the public sees it.</summary>
/// <param name="Hash">The entry's hash on the governance log's chain, lower-case hex.</param>
public sealed record RegistryStep(long Seq, DateTimeOffset At, string Action, string Role, string Actor, string From, string To, string Comment, int Documents, string Hash);

/// <summary>A document attached to an application, named by its SHA-256, listed once however many steps attached it.</summary>
/// <param name="AttachedBySeq">The governance log entry of the first step that attached it.</param>
public sealed record RegistryDocument(string Sha256, string Name, string MediaType, long SizeBytes, DateTimeOffset StoredAt, long AttachedBySeq);

/// <summary>A monitoring period: its claim, the verifier's figure and, once issued, how it was split and its batch.</summary>
/// <param name="BufferGrams">Grams of the issuance that went to the buffer pool: the project's share and any repayment of buffer debt.</param>
public sealed record RegistryPeriod(long ApplicationId, DateOnly From, DateOnly To, long ClaimedGrams, long? VerifiedGrams, long? IssuedGrams, long? DeveloperGrams,
    long? BufferGrams, string State, string? BatchCode, string? TransactionId, IReadOnlyList<RegistryStep> History, IReadOnlyList<RegistryDocument> Documents);

/// <summary>A reversal of a sink project: the grams lost and the buffer grams cancelled to make them good.</summary>
public sealed record RegistryReversal(long Id, long Grams, long CancelledGrams, string TransactionId, DateTimeOffset At);

/// <summary>
/// A registered project as the public registry shows it: its definition (which holds no personal data), its
/// developer organisation, the steps of its registration, its documents, monitoring periods, reversals and batches.
/// </summary>
/// <param name="BufferDebtGrams">Grams still withheld from later issuances to restore buffer grams cancelled for its reversals.</param>
public sealed record RegistryProject(long Id, string Code, long ApplicationId, long Developer, string DeveloperName, string State, ProjectDefinition Definition,
    long BufferDebtGrams, DateTimeOffset CreatedAt, IReadOnlyList<RegistryStep> History, IReadOnlyList<RegistryDocument> Documents, IReadOnlyList<RegistryPeriod> Periods,
    IReadOnlyList<RegistryReversal> Reversals, IReadOnlyList<RegistryBatch> Batches);

/// <summary>The whole public registry at once, as <see cref="RegistryQueries.ExportAsync"/> writes it in JSON.</summary>
public sealed record RegistryExport(DateTimeOffset GeneratedAt, IReadOnlyList<RegistryProject> Projects, IReadOnlyList<RegistryBatch> Batches);

public enum RegistryExportFormat
{
    Csv,
    Json,
}

/// <summary>
/// The public registry (DESIGN §8, §11): registered projects and the batches of their monitoring periods. A batch's
/// totals are computed from the ledger's balance projection — the rows accounts read their holdings from, kept in
/// the journal's own database transaction — in one statement, never from a counter kept beside it, so the public
/// pages cannot drift from the ledger. Projects that are not registered (drafts, applications under review, rejected
/// or retracted ones) and their periods are not public.
/// </summary>
public sealed class RegistryQueries
{
    /// <summary>
    /// The system account a pledge (SH 15, JL 3) locks grams in: a Pledge transaction moves the grams here, and a
    /// release or an enforcement moves them out; while here they count as pledged.
    /// </summary>
    public const string PledgeAccount = SystemAccounts.Pledged;

    /// <summary>The CSV export's columns, in order.</summary>
    public static readonly IReadOnlyList<string> CsvColumns =
    [
        "batch_id", "batch_code", "project_id", "project_code", "project_name_zh", "project_name_en", "project_type", "developer", "region", "methodology_id",
        "methodology_version", "class", "vintage", "period_from", "period_to", "issuance_transaction", "issued_at", "issued_g", "held_g", "pledged_g", "retired_g",
        "cancelled_g", "buffer_g",
    ];

    private readonly LedgerStore _store;
    private readonly ProjectRegistry _registry;
    private readonly WorkflowStore _workflows;
    private readonly TimeProvider _time;

    public RegistryQueries(LedgerStore store, ProjectRegistry registry, WorkflowStore workflows)
    {
        _store = store ?? throw new ArgumentNullException(nameof(store));
        _registry = registry ?? throw new ArgumentNullException(nameof(registry));
        _workflows = workflows ?? throw new ArgumentNullException(nameof(workflows));
        _time = workflows.Time;
    }

    /// <summary>Every registered project with its history, documents, periods, reversals and batches, by id.</summary>
    public async Task<IReadOnlyList<RegistryProject>> ProjectsAsync(CancellationToken ct = default)
    {
        var batches = await BatchesAsync(ct);
        var list = new List<RegistryProject>();
        foreach (var project in await _registry.ListProjectsAsync(includeUnregistered: false, ct))
            list.Add(await DescribeAsync(project, batches, ct));
        return list;
    }

    /// <summary>A registered project, or null when there is none with that id or it is not registered.</summary>
    public async Task<RegistryProject?> ProjectAsync(long id, CancellationToken ct = default)
    {
        var project = await _registry.GetProjectAsync(id, ct);
        if (project is null || !IsPublic(project)) return null;
        return await DescribeAsync(project, await BatchesAsync(id, ct), ct);
    }

    /// <summary>The batches of every registered project's issued periods, by batch id, with their totals from the ledger.</summary>
    public Task<IReadOnlyList<RegistryBatch>> BatchesAsync(CancellationToken ct = default) => BatchesAsync(null, ct);

    /// <summary>
    /// Writes the public registry: in CSV (RFC 4180: a header row of <see cref="CsvColumns"/>, then one row per batch
    /// joined with its project, CRLF line ends, fields quoted when they hold a comma, a quote or a line break), or in
    /// JSON (an object with <c>generatedAt</c>, <c>projects</c> and <c>batches</c>, in the API's shape).
    /// </summary>
    public async Task ExportAsync(RegistryExportFormat format, TextWriter writer, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(writer);
        var projects = await ProjectsAsync(ct);
        switch (format)
        {
            case RegistryExportFormat.Csv:
                await writer.WriteAsync(CsvLine(CsvColumns).AsMemory(), ct);
                foreach (var p in projects)
                {
                    foreach (var b in p.Batches)
                    {
                        var d = p.Definition;
                        await writer.WriteAsync(CsvLine(
                        [
                            N(b.Id), b.Code, N(p.Id), p.Code, d.NameZh, d.NameEn, d.Type.Code(), p.DeveloperName, b.Region, b.MethodologyId, b.MethodologyVersion,
                            b.Class.ToString(), N(b.Vintage), Day(b.PeriodFrom), Day(b.PeriodTo), b.TransactionId,
                            b.IssuedAt.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture), N(b.Totals.Issued), N(b.Totals.Held),
                            N(b.Totals.Pledged), N(b.Totals.Retired), N(b.Totals.Cancelled), N(b.Totals.Buffer),
                        ]).AsMemory(), ct);
                    }
                }

                break;
            case RegistryExportFormat.Json:
                var export = new RegistryExport(_time.GetUtcNow(), projects, projects.SelectMany(p => p.Batches).OrderBy(b => b.Id).ToList());
                // A file people open: Chinese names stay legible rather than \u-escaped (it is never embedded in a page).
                var options = new JsonSerializerOptions(RegistryExportJson.Default.Options) { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping };
                await writer.WriteAsync(JsonSerializer.Serialize(export, new RegistryExportJson(options).RegistryExport).AsMemory(), ct);
                break;
            default:
                throw new ArgumentOutOfRangeException(nameof(format), format, "The registry exports CSV or JSON.");
        }

        await writer.FlushAsync(ct);
    }

    /// <summary>Parses <c>csv</c> or <c>json</c>; null for anything else.</summary>
    public static RegistryExportFormat? ParseFormat(string? text) => text?.ToLowerInvariant() switch
    {
        "csv" => RegistryExportFormat.Csv,
        "json" => RegistryExportFormat.Json,
        _ => null,
    };

    /// <summary>One CSV record, RFC 4180: fields joined by commas, quoted (quotes doubled) when needed, ended by CRLF.</summary>
    public static string CsvLine(IEnumerable<string> fields)
    {
        ArgumentNullException.ThrowIfNull(fields);
        var line = new StringBuilder();
        var first = true;
        foreach (var field in fields)
        {
            if (!first) line.Append(',');
            first = false;
            if (field.AsSpan().IndexOfAny(",\"\r\n") >= 0) line.Append('"').Append(field.Replace("\"", "\"\"", StringComparison.Ordinal)).Append('"');
            else line.Append(field);
        }

        return line.Append("\r\n").ToString();
    }

    private static bool IsPublic(Project project) => project.State == "registered";

    private async Task<RegistryProject> DescribeAsync(Project project, IReadOnlyList<RegistryBatch> batches, CancellationToken ct)
    {
        var developer = await _store.FindAccountAsync(project.Developer, ct);
        var periods = new List<RegistryPeriod>();
        var codes = batches.ToDictionary(b => b.PeriodApplicationId, b => b.Code);
        foreach (var m in await _registry.PeriodsAsync(project.Id, ct))
        {
            periods.Add(new RegistryPeriod(m.ApplicationId, m.From, m.To, m.ClaimedGrams, m.VerifiedGrams, m.IssuedGrams, m.DeveloperGrams, m.BufferGrams, m.State,
                codes.GetValueOrDefault(m.ApplicationId), m.TransactionId, await HistoryAsync(m.ApplicationId, ct), await DocumentsAsync(m.ApplicationId, ct)));
        }

        var reversals = (await _registry.ReversalsAsync(project.Id, ct)).Select(r => new RegistryReversal(r.Id, r.Grams, r.CancelledGrams, r.TransactionId, r.At)).ToList();
        return new RegistryProject(project.Id, project.Code, project.ApplicationId, project.Developer.Value, developer?.DisplayName ?? "", project.State, project.Definition,
            project.BufferDebt, project.CreatedAt, await HistoryAsync(project.ApplicationId, ct), await DocumentsAsync(project.ApplicationId, ct), periods, reversals,
            batches.Where(b => b.ProjectId == project.Id).ToList());
    }

    private async Task<IReadOnlyList<RegistryStep>> HistoryAsync(long applicationId, CancellationToken ct)
        => (await _workflows.HistoryAsync(applicationId, ct))
            .Select(e => new RegistryStep(e.Seq, e.At, e.Action, e.Role, e.Actor, e.From, e.To, e.Comment, e.Documents.Count, Convert.ToHexStringLower(e.Hash))).ToList();

    private async Task<IReadOnlyList<RegistryDocument>> DocumentsAsync(long applicationId, CancellationToken ct)
        => (await _workflows.DocumentsAsync(applicationId, ct)).DistinctBy(d => d.Document.Sha256)
            .Select(d => new RegistryDocument(d.Document.Sha256, d.Document.Name, d.Document.MediaType, d.Document.SizeBytes, d.Document.StoredAt, d.Seq)).ToList();

    /// <summary>
    /// The batches of registered projects' periods (of one project when <paramref name="projectId"/> is given) and
    /// their totals, read from the balances in one statement so every total is of the same moment.
    /// </summary>
    private async Task<IReadOnlyList<RegistryBatch>> BatchesAsync(long? projectId, CancellationToken ct)
    {
        await using var connection = await _store.Dialect.OpenAsync(ct);
        var projectFilter = projectId is null ? "" : " AND m.project_id = @p";
        var rows = new List<(RegistryBatch Batch, long Project)>();
        await using (var cmd = Sql.Command(connection, null, $"""
            SELECT b.id, b.code, b.methodology_id, b.methodology_version, b.class, b.vintage, b.region, b.created_us, m.project_id, m.period_from, m.period_to,
                m.application_id, m.tx_id, p.region
            FROM batches b JOIN monitoring_periods m ON m.batch_id = b.id JOIN projects p ON p.id = m.project_id JOIN applications a ON a.id = p.application_id
            WHERE b.origin = @origin AND a.state = 'registered'{projectFilter}
            ORDER BY b.id
            """).With("@origin", (int)BatchOrigin.ProjectPeriod))
        {
            if (projectId is { } p) cmd.With("@p", p);
            await using var r = await cmd.ExecuteReaderAsync(ct);
            while (await r.ReadAsync(ct))
            {
                var project = r.GetInt64(8);
                var code = "PRJ-" + r.GetString(13) + "-" + project.ToString("D4", CultureInfo.InvariantCulture);
                rows.Add((new RegistryBatch(r.GetInt64(0), r.GetString(1), project, code, r.GetString(2), r.GetString(3), (MethodologyClass)r.GetInt32(4), r.GetInt32(5),
                    r.GetString(6), WorkflowStore.ParseDay(r.GetString(9)), WorkflowStore.ParseDay(r.GetString(10)), r.GetInt64(11), r.IsDBNull(12) ? "" : r.GetString(12),
                    CanonicalEncoding.FromUnixMicroseconds(r.GetInt64(7)), BatchTotals.Zero), project));
            }
        }

        if (rows.Count == 0) return [];
        var totals = await TotalsAsync(connection, projectId, ct);
        return rows.Select(row => row.Batch with { Totals = totals.GetValueOrDefault(row.Batch.Id, BatchTotals.Zero) }).ToList();
    }

    /// <summary>Each project batch's grams by where they are, from the balance projection: one statement, one snapshot.</summary>
    private static async Task<Dictionary<long, BatchTotals>> TotalsAsync(DbConnection connection, long? projectId, CancellationToken ct)
    {
        var projectFilter = projectId is null ? "" : " AND b.batch_id IN (SELECT m.batch_id FROM monitoring_periods m WHERE m.project_id = @p AND m.batch_id IS NOT NULL)";
        var sums = new Dictionary<long, long[]>();
        await using var cmd = Sql.Command(connection, null, $"""
            SELECT b.batch_id, a.kind, a.is_source, a.code, SUM(b.amount)
            FROM balances b JOIN accounts a ON a.id = b.account_id JOIN batches t ON t.id = b.batch_id
            WHERE b.asset = @co2 AND t.origin = @origin{projectFilter}
            GROUP BY b.batch_id, a.id, a.kind, a.is_source, a.code
            """).With("@co2", (int)Asset.Co2).With("@origin", (int)BatchOrigin.ProjectPeriod);
        if (projectId is { } p) cmd.With("@p", p);
        await using var r = await cmd.ExecuteReaderAsync(ct);
        while (await r.ReadAsync(ct))
        {
            var batch = r.GetInt64(0);
            if (!sums.TryGetValue(batch, out var t)) sums[batch] = t = new long[6];
            var amount = r.GetInt64(4);
            var slot = Slot((AccountKind)r.GetInt32(1), r.GetBoolean(2), r.GetString(3));
            t[slot] = checked(t[slot] + (slot == 0 ? -amount : amount));
        }

        return sums.ToDictionary(s => s.Key, s => new BatchTotals(s.Value[0], s.Value[1], s.Value[2], s.Value[3], s.Value[4], s.Value[5]));
    }

    /// <summary>Which total an account's grams count in: 0 issued, 1 held, 2 pledged, 3 retired, 4 cancelled, 5 buffer.</summary>
    private static int Slot(AccountKind kind, bool isSource, string code)
    {
        if (isSource) return 0;
        if (kind != AccountKind.System) return 1;
        return code switch
        {
            PledgeAccount => 2,
            // Expiry clears a lot's grams as a voluntary cancellation (JS 37): a retirement.
            SystemAccounts.Retired or SystemAccounts.Expired => 3,
            SystemAccounts.Cancelled => 4,
            SystemAccounts.Buffer => 5,
            // The trading escrow, and any other custody account, keeps grams on a holder's behalf until settlement.
            _ => 1,
        };
    }

    private static string N(long value) => value.ToString(CultureInfo.InvariantCulture);

    private static string Day(DateOnly day) => day.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);
}

[JsonSourceGenerationOptions(JsonSerializerDefaults.Web, UseStringEnumConverter = true)]
[JsonSerializable(typeof(RegistryExport))]
internal sealed partial class RegistryExportJson : JsonSerializerContext;
