using System.Text;
using Puhui.Governance;
using Puhui.Holdings;
using Puhui.Storage;
using Puhui.Storage.Governance;
using Puhui.Storage.Holdings;
using Puhui.Storage.Ingestion;
using Puhui.Testing;

namespace Puhui.Tests.Holdings;

/// <summary>Neutrality claims and certificates on both stores: matching, certification, verification and every reason a certificate is refused.</summary>
public sealed class NeutralityClaimTests
{
    public static TheoryData<StoreKind> Stores => TestStores.All;

    private const long Kg = HoldingRules.GramsPerKilogram;
    private const string Expo = "2026 绿色博览会 / 2026 Green Expo";

    private static readonly Actor Admin = GovernanceSeeding.Administrator;

    private sealed class ClaimWorld : IAsyncDisposable
    {
        private ClaimWorld(HoldingsWorld holdings, WorkflowStore workflows, CertificateSigner signer)
        {
            H = holdings;
            Workflows = workflows;
            Signer = signer;
            Claims = new NeutralityClaims(workflows, holdings.Holdings, new Lazy<CertificateSigner>(signer), new CertificateIssuer("Test platform", "https://puhui.example"));
            Documents = new DocumentStore(holdings.Store.Dialect, holdings.Clock);
        }

        public HoldingsWorld H { get; }
        public WorkflowStore Workflows { get; }
        public CertificateSigner Signer { get; }
        public NeutralityClaims Claims { get; }
        public DocumentStore Documents { get; }
        public Actor Developer => new(WorkflowRole.Applicant, "staff:dev", H.Developer);
        public Actor Buyer => new(WorkflowRole.Applicant, "staff:buyer", H.Buyer);

        public static async Task<ClaimWorld> CreateAsync(StoreKind kind)
        {
            var holdings = await HoldingsWorld.CreateAsync(kind);
            var workflows = GovernanceSeeding.Workflows(holdings.Store, new ScenarioStore(holdings.Store, holdings.Clock), holdings.Clock);
            return new ClaimWorld(holdings, workflows, CertificateSigner.Generate());
        }

        /// <summary>The same store and workflows with another platform key: a rotation.</summary>
        public NeutralityClaims Rotated(CertificateSigner signer) => new(Workflows, H.Holdings, new Lazy<CertificateSigner>(signer), new CertificateIssuer("Test platform", "https://puhui.example"));

        public async Task<string> ReportAsync(string text)
            => (await Documents.StoreAsync("report.txt", "text/plain", Encoding.UTF8.GetBytes(text), "staff:dev", default)).Sha256;

        public async Task<long> FileAsync(Actor claimant, long emissionsGrams, NeutralityKind kind = NeutralityKind.Event, string beneficiary = Expo)
        {
            var result = await Claims.FileAsync(claimant, "claimant", new NeutralityClaimDefinition(kind, "绿色博览会碳中和 / Green Expo neutrality", beneficiary,
                new DateOnly(2026, 1, 20), new DateOnly(2026, 1, 22), emissionsGrams, "核算中心 / Accounting centre", "320100"), [await ReportAsync("report " + emissionsGrams)], "", default);
            Assert.True(result.Succeeded, result.Detail);
            return result.Application!.Id;
        }

        public async Task<Retirement> RetireAgainstAsync(long claim, long grams, string key)
        {
            var result = await Claims.RetireAgainstAsync(claim, H.Developer, H.Pv, grams, key, "staff:dev");
            Assert.True(result.Succeeded, result.Detail);
            return result.Value!;
        }

        public async Task StepAsync(long claim, string action, Actor actor, string comment = "ok")
        {
            var result = await Workflows.ActAsync(claim, new Step(action, comment), actor, default);
            Assert.True(result.Succeeded, result.Detail);
        }

        /// <summary>Files, covers, asks and certifies a claim; its certificate.</summary>
        public async Task<Certificate> CertifiedAsync(long emissionsGrams, string key)
        {
            var claim = await FileAsync(Developer, emissionsGrams);
            await RetireAgainstAsync(claim, (emissionsGrams + Kg - 1) / Kg * Kg, key);
            await StepAsync(claim, "request-certification", Developer);
            await StepAsync(claim, "certify", Admin);
            return (await Claims.GetAsync(claim))!.Certificate!;
        }

        public async Task<string> SnapshotAsync()
            => await H.SnapshotAsync() + await StoreSnapshot.ReadAsync(H.Store,
                "SELECT id, state, revision FROM applications ORDER BY id",
                "SELECT retirement_id, claim_id FROM claim_retirements ORDER BY retirement_id",
                "SELECT code, revoked_us FROM certificates ORDER BY code",
                "SELECT COUNT(*) FROM governance_log");

        public ValueTask DisposeAsync()
        {
            Signer.Dispose();
            return H.DisposeAsync();
        }
    }

    [Theory, MemberData(nameof(Stores))]
    public async Task A_covered_claim_is_certified_and_its_certificate_verifies_with_every_serial(StoreKind kind)
    {
        await using var w = await ClaimWorld.CreateAsync(kind);
        var claim = await w.FileAsync(w.Developer, 1_500_500);
        var first = await w.RetireAgainstAsync(claim, 1_000 * Kg, "r1");
        Assert.Equal((RetirementPurpose.EventNeutrality, Expo), (first.Purpose, first.Beneficiary));

        // 1,000 kg do not cover 1,500.5 kg: the request is refused, naming the shortfall in whole kilograms, and nothing changes.
        var before = await w.SnapshotAsync();
        var early = await w.Workflows.ActAsync(claim, new Step("request-certification"), w.Developer, default);
        Assert.Equal(StepStatus.Conflict, early.Status);
        Assert.Contains("501 kg short", early.Detail, StringComparison.Ordinal);
        Assert.Equal(before, await w.SnapshotAsync());

        var second = await w.RetireAgainstAsync(claim, 501 * Kg, "r2");
        var replay = await w.Claims.RetireAgainstAsync(claim, w.H.Developer, w.H.Pv, 501 * Kg, "r2", "staff:dev");
        Assert.Equal((HoldingStatus.Replayed, second.Id), (replay.Status, replay.Value!.Id));
        var covered = (await w.Claims.GetAsync(claim))!;
        Assert.Equal((1_501_000L, true), (covered.MatchedGrams, covered.Covered));

        await w.StepAsync(claim, "request-certification", w.Developer);
        await w.StepAsync(claim, "certify", Admin);
        var certified = (await w.Claims.GetAsync(claim))!;
        Assert.Equal("certified", certified.Application.State);
        var certificate = certified.Certificate!;
        Assert.Equal(NeutralityClaims.CodeOf(2026, claim), certificate.Code);
        Assert.Equal(w.Signer.KeyId, certificate.KeyId);

        var check = await w.Claims.VerifyAsync(certificate.File);
        Assert.True(check.Valid, check.Detail);
        var payload = check.Payload!;
        Assert.Equal((certificate.Code, claim, 1_500_500L, 1_501_000L, Expo), (payload.Code, payload.ClaimId, payload.EmissionsGrams, payload.RetiredGrams, payload.Beneficiary));
        Assert.Equal(new[] { first, second }.Select(r => r.Serials[0].ToString()), payload.Retirements.Select(r => r.Serials));
        Assert.Equal("https://puhui.example/api/v1/public/certificates/" + certificate.Code, payload.VerifyUrl);
        Assert.Single(payload.Reports);
        Assert.True((await w.Claims.VerifyCodeAsync(certificate.Code)).Valid);

        // Certified, the claim takes no more retirements.
        await w.H.RefusedAsync(() => w.Claims.RetireAgainstAsync(claim, w.H.Developer, w.H.Pv, Kg, "r3", "staff:dev"), HoldingStatus.ClaimNotOpen, "certified");
    }

    [Theory, MemberData(nameof(Stores))]
    public async Task A_certificate_is_refused_with_its_reason_when_changed_signed_by_another_key_revoked_or_its_retirement_is_gone(StoreKind kind)
    {
        await using var w = await ClaimWorld.CreateAsync(kind);
        var certificate = await w.CertifiedAsync(2_000 * Kg, "r1");
        var file = certificate.File;
        Assert.True((await w.Claims.VerifyAsync(file)).Valid);

        // A changed byte of the payload, or of the signature.
        var changed = file.Replace("\\\"emissionsGrams\\\":2000000", "\\\"emissionsGrams\\\":2000001", StringComparison.Ordinal);
        Assert.NotEqual(file, changed);
        await AssertRefusedAsync(w, changed, CertificateProblem.BadSignature, "signature does not match");
        var signature = certificate.Signature;
        var flipped = signature[..10] + (signature[10] == 'A' ? 'B' : 'A') + signature[11..];
        await AssertRefusedAsync(w, file.Replace(signature, flipped, StringComparison.Ordinal), CertificateProblem.BadSignature, "signature");

        // The same payload signed by a key this platform never used: unknown under its own id, and wrong under the platform's.
        using var stranger = CertificateSigner.Generate();
        var forged = stranger.Sign(certificate.Payload);
        await AssertRefusedAsync(w, CertificateSigning.Serialize(forged), CertificateProblem.UnknownKey, stranger.KeyId);
        await AssertRefusedAsync(w, CertificateSigning.Serialize(forged with { KeyId = w.Signer.KeyId }), CertificateProblem.BadSignature, w.Signer.KeyId);

        // A payload the platform key signed but the platform never issued under that code.
        var invented = w.Signer.Sign(certificate.Payload.Replace("2000000", "9000000", StringComparison.Ordinal));
        await AssertRefusedAsync(w, CertificateSigning.Serialize(invented), CertificateProblem.NotIssued, certificate.Code);

        await AssertRefusedAsync(w, "not json", CertificateProblem.Malformed, "JSON");
        await AssertRefusedAsync(w, "{\"format\":\"puhui-certificate/1\"}", CertificateProblem.Malformed, "missing");

        // The retirement it rests on taken out of the registry behind the platform's back.
        var retirement = CertificateSigning.ReadPayload(certificate.Payload).Retirements[0].Id;
        await ExecuteAsync(w, $"DELETE FROM claim_retirements WHERE retirement_id = {retirement}");
        await AssertRefusedAsync(w, file, CertificateProblem.RetirementDetached, $"#{retirement}");
        await ExecuteAsync(w, $"DELETE FROM retirements WHERE id = {retirement}");
        await AssertRefusedAsync(w, file, CertificateProblem.RetirementMissing, $"#{retirement}");
    }

    [Theory, MemberData(nameof(Stores))]
    public async Task A_revoked_certificate_says_so_with_the_reason_and_a_changed_retirement_is_named(StoreKind kind)
    {
        await using var w = await ClaimWorld.CreateAsync(kind);
        var certificate = await w.CertifiedAsync(500 * Kg, "r1");
        var changed = CertificateSigning.ReadPayload(certificate.Payload).Retirements[0].Id;
        await ExecuteAsync(w, $"UPDATE retirements SET beneficiary = 'someone else' WHERE id = {changed}");
        await AssertRefusedAsync(w, certificate.File, CertificateProblem.RetirementChanged, "someone else");
        await ExecuteAsync(w, $"UPDATE retirements SET beneficiary = '{Expo}' WHERE id = {changed}");
        Assert.True((await w.Claims.VerifyAsync(certificate.File)).Valid);

        await w.StepAsync(certificate.ClaimId, "revoke", Admin, "核算报告有误 / the emissions report was wrong");
        var check = await w.Claims.VerifyCodeAsync(certificate.Code);
        Assert.Equal((CertificateProblem.Revoked, "revoked"), (check.Problem, check.Status));
        Assert.Contains("the emissions report was wrong", check.Detail, StringComparison.Ordinal);
        Assert.Equal("revoked", (await w.Claims.GetAsync(certificate.ClaimId))!.Application.State);
    }

    [Theory, MemberData(nameof(Stores))]
    public async Task Rotating_the_platform_key_keeps_old_certificates_verifiable(StoreKind kind)
    {
        await using var w = await ClaimWorld.CreateAsync(kind);
        var old = await w.CertifiedAsync(300 * Kg, "r1");
        using var next = CertificateSigner.Generate();
        var rotated = w.Rotated(next);
        var claim = await w.FileAsync(w.Developer, 200 * Kg);
        await w.RetireAgainstAsync(claim, 200 * Kg, "r2");
        await w.StepAsync(claim, "request-certification", w.Developer);
        // The last instance built registers the effects: certification signs with the rotated key.
        Assert.True((await w.Workflows.ActAsync(claim, new Step("certify"), Admin, default)).Succeeded);
        var fresh = (await rotated.GetAsync(claim))!.Certificate!;

        Assert.Equal((w.Signer.KeyId, next.KeyId), (old.KeyId, fresh.KeyId));
        Assert.Equal(new[] { w.Signer.KeyId, next.KeyId }.Order(StringComparer.Ordinal), (await rotated.KeysAsync()).Select(k => k.KeyId).Order(StringComparer.Ordinal));
        Assert.True((await rotated.VerifyAsync(old.File)).Valid);
        Assert.True((await rotated.VerifyAsync(fresh.File)).Valid);
    }

    [Theory, MemberData(nameof(Stores))]
    public async Task A_retirement_counts_towards_one_live_claim_only(StoreKind kind)
    {
        await using var w = await ClaimWorld.CreateAsync(kind);
        var first = await w.FileAsync(w.Developer, 100 * Kg);
        var second = await w.FileAsync(w.Developer, 100 * Kg);
        var retired = (await w.H.Holdings.RetireAsync(w.H.Developer, w.H.Pv, 100 * Kg, RetirementPurpose.EventNeutrality, Expo, "dev", "", "", "plain", "staff:dev")).Value!;

        Assert.True((await w.Claims.MatchAsync(first, retired.Id, w.Developer)).Succeeded);
        var before = await w.SnapshotAsync();
        await AssertMatchRefusedAsync(w, first, retired.Id, w.Developer, "already counts towards this claim");
        await AssertMatchRefusedAsync(w, second, retired.Id, w.Developer, "never counted twice");
        Assert.Equal(before, await w.SnapshotAsync());

        // Retracted, the first claim frees its retirement for the second.
        await w.StepAsync(first, "retract", w.Developer);
        Assert.True((await w.Claims.MatchAsync(second, retired.Id, w.Developer)).Succeeded);
        Assert.Equal(100 * Kg, (await w.Claims.GetAsync(second))!.MatchedGrams);
        Assert.Empty((await w.Claims.GetAsync(first))!.Retirements);
    }

    [Theory, MemberData(nameof(Stores))]
    public async Task Matching_and_retiring_against_a_claim_refuse_what_does_not_belong_to_it_and_change_nothing(StoreKind kind)
    {
        await using var w = await ClaimWorld.CreateAsync(kind);
        var claim = await w.FileAsync(w.Developer, 100 * Kg);
        Assert.True((await w.H.Holdings.TransferAsync(w.H.Developer, w.H.Buyer, w.H.Pv, 10 * Kg, "t", "staff:dev")).Succeeded);
        var donation = (await w.H.Holdings.RetireAsync(w.H.Developer, w.H.Pv, Kg, RetirementPurpose.Donation, Expo, "dev", "", "", "d", "staff:dev")).Value!;
        var elsewhere = (await w.H.Holdings.RetireAsync(w.H.Developer, w.H.Pv, Kg, RetirementPurpose.EventNeutrality, "另一活动 / another event", "dev", "", "", "e", "staff:dev")).Value!;
        var buyers = (await w.H.Holdings.RetireAsync(w.H.Buyer, w.H.Pv, Kg, RetirementPurpose.EventNeutrality, Expo, "buyer", "", "", "b", "staff:buyer")).Value!;

        await AssertMatchRefusedAsync(w, claim, donation.Id, w.Developer, "event-neutrality");
        await AssertMatchRefusedAsync(w, claim, elsewhere.Id, w.Developer, "beneficiary");
        await AssertMatchRefusedAsync(w, claim, buyers.Id, w.Developer, "not made by the claimant");
        await AssertMatchRefusedAsync(w, claim, 999_999, w.Developer, "does not exist");
        var other = await w.Workflows.ActAsync(claim, new Step("match", Retirement: buyers.Id), w.Buyer, default);
        Assert.Equal(StepStatus.NotApplicant, other.Status);

        await w.H.RefusedAsync(() => w.Claims.RetireAgainstAsync(claim, w.H.Buyer, w.H.Pv, Kg, "x", "staff:buyer"), HoldingStatus.NotClaimant, "claimant");
        await w.H.RefusedAsync(() => w.Claims.RetireAgainstAsync(claim, w.H.Developer, w.H.Pv, Kg + 1, "x", "staff:dev"), HoldingStatus.Invalid, "");
        await w.H.RefusedAsync(() => w.Claims.RetireAgainstAsync(claim, w.H.Developer, w.H.Pv, HoldingsWorld.PvGrams, "x", "staff:dev"), HoldingStatus.InsufficientHolding, "");
        await w.H.RefusedAsync(() => w.Claims.RetireAgainstAsync(424_242, w.H.Developer, w.H.Pv, Kg, "x", "staff:dev"), HoldingStatus.NotFound, "424242");
        Assert.Empty((await w.Claims.GetAsync(claim))!.Retirements);
    }

    [Theory, MemberData(nameof(Stores))]
    public async Task A_period_claim_counts_voluntary_offsets_and_a_returned_claim_matches_again(StoreKind kind)
    {
        await using var w = await ClaimWorld.CreateAsync(kind);
        var claim = await w.FileAsync(w.Developer, 50 * Kg, NeutralityKind.Period, "江宁光伏开发 2025 年度 / Jiangning PV 2025");
        var retired = await w.RetireAgainstAsync(claim, 40 * Kg, "r1");
        Assert.Equal((RetirementPurpose.VoluntaryOffset, "江宁光伏开发 2025 年度 / Jiangning PV 2025"), (retired.Purpose, retired.Beneficiary));
        var more = await w.Workflows.ActAsync(claim, new Step("amend", "补充核算说明 / more on the accounting", [await w.ReportAsync("more")]), w.Developer, default);
        Assert.True(more.Succeeded, more.Detail);
        var refused = await w.Workflows.ActAsync(claim, new Step("request-certification"), w.Developer, default);
        Assert.Contains("10 kg short", refused.Detail, StringComparison.Ordinal);
        await w.RetireAgainstAsync(claim, 10 * Kg, "r2");
        await w.StepAsync(claim, "request-certification", w.Developer);
        await w.StepAsync(claim, "return", Admin, "请补充报告签章页 / add the report's signed page");
        Assert.Equal("matching", (await w.Claims.GetAsync(claim))!.Application.State);
        await w.StepAsync(claim, "request-certification", w.Developer);
        await w.StepAsync(claim, "certify", Admin);
        var certificate = (await w.Claims.GetAsync(claim))!.Certificate!;
        Assert.Equal("period", CertificateSigning.ReadPayload(certificate.Payload).Kind);
        Assert.True((await w.Claims.VerifyAsync(certificate.File)).Valid);
    }

    [Theory, MemberData(nameof(Stores))]
    public async Task Filing_refuses_a_claim_without_its_report_or_with_impossible_figures(StoreKind kind)
    {
        await using var w = await ClaimWorld.CreateAsync(kind);
        var good = new NeutralityClaimDefinition(NeutralityKind.Event, "活动 / Event", Expo, new DateOnly(2026, 1, 1), new DateOnly(2026, 1, 2), Kg, "核算中心", "");
        var report = await w.ReportAsync("r");
        var before = await w.SnapshotAsync();
        foreach (var (definition, documents, expected) in new (NeutralityClaimDefinition, string[], string)[]
        {
            (good, [], "report"),
            (good with { EmissionsGrams = 0 }, [report], "emissionsGrams"),
            (good with { To = new DateOnly(2025, 12, 31) }, [report], "before"),
            (good with { To = new DateOnly(2027, 1, 2) }, [report], "366 days"),
            (good with { Beneficiary = " " }, [report], "beneficiary"),
            (good with { Accountant = "" }, [report], "accountant"),
        })
        {
            var result = await w.Claims.FileAsync(w.Developer, "dev", definition, documents, "", default);
            Assert.Equal(StepStatus.Invalid, result.Status);
            Assert.Contains(expected, result.Detail, StringComparison.Ordinal);
        }

        var missing = await w.Claims.FileAsync(w.Developer, "dev", good, [new string('a', 64)], "", default);
        Assert.Equal(StepStatus.DocumentMissing, missing.Status);
        Assert.Equal(before, await w.SnapshotAsync());
    }

    [Theory, MemberData(nameof(Stores))]
    public async Task Concurrent_matches_of_one_retirement_to_two_claims_count_it_once(StoreKind kind)
    {
        await using var w = await ClaimWorld.CreateAsync(kind);
        var claims = new[] { await w.FileAsync(w.Developer, Kg), await w.FileAsync(w.Developer, Kg) };
        var retired = (await w.H.Holdings.RetireAsync(w.H.Developer, w.H.Pv, Kg, RetirementPurpose.EventNeutrality, Expo, "dev", "", "", "plain", "staff:dev")).Value!;
        var results = await Task.WhenAll(Enumerable.Range(0, 8).Select(i => Task.Run(() => w.Claims.MatchAsync(claims[i % 2], retired.Id, w.Developer))));
        Assert.Single(results, r => r.Succeeded);
        var matched = 0L;
        foreach (var claim in claims) matched += (await w.Claims.GetAsync(claim))!.MatchedGrams;
        Assert.Equal(Kg, matched);
    }

    [Theory, MemberData(nameof(Stores))]
    public async Task The_holdings_audit_checks_every_match_and_certificate_and_names_each_tampered_row(StoreKind kind)
    {
        await using var w = await ClaimWorld.CreateAsync(kind);
        var certificate = await w.CertifiedAsync(300 * Kg, "r1");
        var open = await w.FileAsync(w.Developer, 100 * Kg);
        await w.RetireAgainstAsync(open, 100 * Kg, "r2");
        var clean = await HoldingsAudit.RunAsync(w.H.Store);
        Assert.True(clean.Passed, string.Join("\n", clean.Problems));
        Assert.Equal((2L, 1L), (clean.ClaimMatches, clean.Certificates));

        var retirement = CertificateSigning.ReadPayload(certificate.Payload).Retirements[0].Id;
        foreach (var (tamper, undo, named) in new (string, string, string)[]
        {
            ($"UPDATE claim_retirements SET claim_id = {open} WHERE retirement_id = {retirement}",
                $"UPDATE claim_retirements SET claim_id = {certificate.ClaimId} WHERE retirement_id = {retirement}", "is not the step that matched it"),
            ($"UPDATE retirements SET beneficiary = 'x' WHERE id = {retirement}", $"UPDATE retirements SET beneficiary = '{Expo}' WHERE id = {retirement}", "on behalf of x"),
            ($"UPDATE certificates SET payload = REPLACE(payload, '300000', '300001') WHERE code = '{certificate.Code}'",
                $"UPDATE certificates SET payload = REPLACE(payload, '300001', '300000') WHERE code = '{certificate.Code}'", "bad-signature"),
            ($"UPDATE certificates SET revoked_us = 1 WHERE code = '{certificate.Code}'", $"UPDATE certificates SET revoked_us = NULL WHERE code = '{certificate.Code}'",
                "revoked, but its claim is certified"),
            ($"UPDATE applications SET state = 'certified' WHERE id = {open}", $"UPDATE applications SET state = 'matching' WHERE id = {open}", "certified without a certificate"),
        })
        {
            await ExecuteAsync(w, tamper);
            var report = await HoldingsAudit.RunAsync(w.H.Store);
            Assert.Contains(report.Problems, p => p.Contains(named, StringComparison.Ordinal));
            await ExecuteAsync(w, undo);
        }

        Assert.True((await HoldingsAudit.RunAsync(w.H.Store)).Passed);
    }

    private static async Task AssertRefusedAsync(ClaimWorld w, string file, CertificateProblem problem, string detailContains)
    {
        var check = await w.Claims.VerifyAsync(file);
        Assert.False(check.Valid);
        Assert.Equal(problem, check.Problem);
        Assert.Contains(detailContains, check.Detail, StringComparison.Ordinal);
    }

    private static async Task AssertMatchRefusedAsync(ClaimWorld w, long claim, long retirement, Actor actor, string detailContains)
    {
        var before = await w.SnapshotAsync();
        var result = await w.Claims.MatchAsync(claim, retirement, actor);
        Assert.Equal(StepStatus.Conflict, result.Status);
        Assert.Contains(detailContains, result.Detail, StringComparison.Ordinal);
        Assert.Equal(before, await w.SnapshotAsync());
    }

    private static async Task ExecuteAsync(ClaimWorld w, string sql)
    {
        await using var connection = await w.H.Store.Dialect.OpenAsync(default);
        await using var cmd = Sql.Command(connection, null, sql);
        Assert.Equal(1, await cmd.ExecuteNonQueryAsync());
    }
}
