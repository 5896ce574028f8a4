using System.Data.Common;
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;
using Puhui.Governance;
using Puhui.Storage.Methodologies;

namespace Puhui.Storage.Governance;

/// <summary>What a methodology application applies for: the methodology's text, and whether it revises a filed methodology.</summary>
public sealed record MethodologyApplicationPayload(string MethodologyId, string Version, string ContentHash, bool Revision, string Text);

/// <summary>
/// Methodology applications (JS 13–16, SZ 10–11): anyone may submit a methodology text with its documents; the
/// text must load and pass its own test vectors before the application is received. Filing stores the version,
/// usable from then on, and marks the methodology's earlier filed versions (and their applications) revised;
/// what used them keeps using them. Withdrawal stops new uses and leaves every record as it was.
/// </summary>
public sealed class MethodologyApplications(WorkflowStore workflows) : IApplicationEffects
{
    /// <summary>Submits a methodology text; the refusal's detail names what is wrong with it.</summary>
    public async Task<StepResult> SubmitAsync(Actor applicant, string text, IReadOnlyList<string> documents, string comment, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(applicant);
        ArgumentNullException.ThrowIfNull(text);
        if (text.Length > WorkflowStore.PayloadLengthMax / 2) return Refusal(StepStatus.Invalid, $"a methodology text is at most {WorkflowStore.PayloadLengthMax / 2 / 1024} KiB");
        var (methodology, problem) = MethodologyStore.Check(text);
        if (problem is not null) return Refusal(StepStatus.Invalid, "the methodology is not valid: " + problem);
        var subject = Subject(methodology!.Id, methodology.Version);
        var store = new MethodologyStore(workflows.Ledger.Dialect);
        if (await store.GetAsync(methodology.Id, methodology.Version, ct) is not null)
            return Refusal(StepStatus.Conflict, $"version {methodology.Version} of {methodology.Id} is already filed; apply with a new version");
        if ((await workflows.ListAsync(Workflows.Methodology.Kind, subject: subject, openOnly: true, ct: ct)).FirstOrDefault() is { } open)
            return Refusal(StepStatus.Conflict, $"application {open.Id} for {methodology.Id} {methodology.Version} is still {open.State}");
        var revision = (await store.ListAsync(ct)).Any(m => m.MethodologyId == methodology.Id);
        var applicantAccount = await workflows.Ledger.FindAccountAsync(applicant.Account ?? throw new ArgumentException("An applicant acts for an account.", nameof(applicant)), ct);
        if (applicantAccount is null) return Refusal(StepStatus.Invalid, $"account {applicant.Account} does not exist");
        var payload = JsonSerializer.Serialize(new MethodologyApplicationPayload(methodology.Id, methodology.Version, methodology.ContentHash, revision, text),
            MethodologyApplicationJson.Default.MethodologyApplicationPayload);
        var title = revision ? ("修订", "Revision") : ("新方法学", "New methodology");
        return await workflows.SubmitAsync(Workflows.Methodology, subject, $"{title.Item1}：{methodology.Title.Zh} {methodology.Version}",
            $"{title.Item2}: {methodology.Title.En} {methodology.Version}", applicant, applicantAccount.DisplayName, payload, documents, comment, NoOtherOpenAsync, ct);

        // Checked again holding the governance log's head: two submissions of one version racing past the check above
        // would otherwise both be received.
        async Task<string?> NoOtherOpenAsync(DbConnection connection, DbTransaction tx, long id, CancellationToken token)
        {
            var open = Workflows.Methodology.States.Where(s => !s.Final).Select(s => s.Code).ToList();
            await using var cmd = Sql.Command(connection, tx, "");
            var names = open.Select((state, i) => "@s" + i.ToString(CultureInfo.InvariantCulture)).ToList();
            for (var i = 0; i < open.Count; i++) cmd.With(names[i], open[i]);
            cmd.CommandText = $"SELECT id, state FROM applications WHERE kind = @kind AND subject = @subject AND id <> @id AND state IN ({string.Join(", ", names)}) ORDER BY id";
            cmd.With("@kind", Workflows.Methodology.Kind).With("@subject", subject).With("@id", id);
            await using var r = await cmd.ExecuteReaderAsync(token);
            return await r.ReadAsync(token)
                ? $"application {r.GetInt64(0)} for {methodology.Id} {methodology.Version} is still {r.GetString(1)}"
                : null;
        }
    }

    public static string Subject(string methodologyId, string version) => methodologyId + "@" + version;

    public static MethodologyApplicationPayload Payload(Application application)
    {
        ArgumentNullException.ThrowIfNull(application);
        return JsonSerializer.Deserialize(application.Payload, MethodologyApplicationJson.Default.MethodologyApplicationPayload)
            ?? throw new InvalidOperationException($"Application {application.Id} has no methodology payload.");
    }

    public async Task<string?> ApplyAsync(StepContext context, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(context);
        var payload = Payload(context.Application);
        switch (context.Transition.Action)
        {
            case "file":
            {
                var (methodology, problem) = MethodologyStore.Check(payload.Text);
                if (problem is not null) throw new InvalidOperationException($"Application {context.Application.Id}'s methodology no longer checks: {problem}");
                var at = Puhui.Ledger.CanonicalEncoding.ToUnixMicroseconds(context.At);
                if (!await MethodologyStore.FileWithinAsync(context.Connection, context.Transaction, methodology!, payload.Text, context.Application.Id, at, ct))
                    return $"version {payload.Version} of {payload.MethodologyId} is already in the store";

                // The applications whose versions this one revises move to revised on the same log, in the same transaction.
                var superseded = new List<long>();
                await using (var cmd = Sql.Command(context.Connection, context.Transaction,
                    "SELECT id, subject FROM applications WHERE kind = @kind AND state = 'filed' AND id <> @id ORDER BY id").With("@kind", Workflows.Methodology.Kind)
                    .With("@id", context.Application.Id))
                await using (var r = await cmd.ExecuteReaderAsync(ct))
                {
                    while (await r.ReadAsync(ct))
                    {
                        if (r.GetString(1).StartsWith(payload.MethodologyId + "@", StringComparison.Ordinal)) superseded.Add(r.GetInt64(0));
                    }
                }

                foreach (var id in superseded)
                {
                    var result = await context.Store.CascadeAsync(context, id,
                        new Step("supersede", $"由 {payload.Version} 替代 / superseded by {payload.Version} (application {context.Application.Id})"), ct);
                    if (!result.Succeeded) return $"application {id} cannot be superseded: {result.Detail}";
                }

                return null;
            }

            case "withdraw":
                return await MethodologyStore.SetStandingWithinAsync(context.Connection, context.Transaction, payload.MethodologyId, payload.Version, MethodologyStanding.Withdrawn, ct)
                    ? null
                    : $"version {payload.Version} of {payload.MethodologyId} is not in the store";
            default:
                return null;
        }
    }

    private static StepResult Refusal(StepStatus status, string detail) => new(status, null, null, null, detail);
}

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase)]
[JsonSerializable(typeof(MethodologyApplicationPayload))]
internal sealed partial class MethodologyApplicationJson : JsonSerializerContext;
