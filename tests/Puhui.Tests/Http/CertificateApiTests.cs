using System.Globalization;
using System.Net;
using System.Text;
using System.Text.Json;
using Puhui.Ledger;
using Puhui.Storage;

namespace Puhui.Tests.Http;

/// <summary>
/// Carbon-neutrality claims and certificates over HTTP (JS 28–29, SZ 26): filing with the accounting report,
/// retiring against a claim or matching earlier retirements, certification, the public check of the signed
/// certificate by code and by file, revocation, and refusals that change neither the ledger nor the claim.
/// </summary>
public sealed class CertificateApiTests
{
    public static TheoryData<StoreKind> Stores => TestStores.All;

    private static readonly HttpMethod Get = HttpMethod.Get, Post = HttpMethod.Post;

    private const string Expo = "2026 绿色博览会 / 2026 Green Expo";

    [Theory, MemberData(nameof(Stores))]
    public async Task A_claim_is_covered_certified_checked_publicly_and_revoked(StoreKind kind)
    {
        await using var w = await GovernanceHttpWorld.CreateAsync(kind, GovernanceHttpWorld.November);
        var expo = await w.AddOrganisationAsync("o:expo", "博览中心 / Expo centre", "Buyer");
        var batch = await IssueAsync(w, expo, 10_000_000);
        var report = await w.UploadAsync(expo.Token, "核算报告.pdf", "博览会碳排放核算报告 1.5005 tCO2e");

        // Filed with the third party's report: 1,500,500 g of emissions need 1,501 whole kilograms.
        long id;
        using (var filed = await w.RawAsync(Post, "/api/v1/organisation/neutrality-claims", expo.Token, Claim("event", Expo, 1_500_500, [report])))
        {
            var text = await filed.Content.ReadAsStringAsync();
            Assert.True(filed.StatusCode == HttpStatusCode.Created, $"{(int)filed.StatusCode} {text}");
            var claim = JsonDocument.Parse(text).RootElement;
            id = claim.GetProperty("id").GetInt64();
            Assert.Equal($"/api/v1/neutrality-claims/{id}", filed.Headers.Location!.OriginalString);
            Assert.Equal(("matching", "event", Expo), (claim.GetProperty("state").GetString(), claim.GetProperty("kind").GetString(), claim.GetProperty("beneficiary").GetString()));
            Assert.Equal((1_500_500L, 1_501_000L, 0L, false),
                (claim.GetProperty("emissionsGrams").GetInt64(), claim.GetProperty("requiredGrams").GetInt64(), claim.GetProperty("matchedGrams").GetInt64(), claim.GetProperty("covered").GetBoolean()));
            Assert.Equal(JsonValueKind.Null, claim.GetProperty("certificate").ValueKind);
        }

        // The accounting report stays private until the claim is certified.
        await w.RefusedAsync(Get, $"/api/v1/public/documents/{report}", null, null, HttpStatusCode.NotFound, "document-not-found");

        // 1,000 kg retired against it: the serial range starts at the batch's first kilogram.
        var first = await RetireAgainstAsync(w, expo, id, batch, 1_000_000, "c1", HttpStatusCode.Created);
        Assert.Equal([$"320117-{batch}-1-1000"], Serials(first));
        Assert.Equal(("event-neutrality", Expo), (first.GetProperty("purpose").GetString(), first.GetProperty("beneficiary").GetString()));

        // Not covered yet: asking for certification is refused and nothing changes.
        var shortfall = await RefusedOnClaimAsync(w, Post, $"/api/v1/applications/{id}/steps", expo.Token, new { action = "request-certification", comment = "请认定" },
            HttpStatusCode.Conflict, "application-conflict", id);
        Assert.Contains("501 kg short", shortfall.GetProperty("detail").GetString(), StringComparison.Ordinal);

        // 501 kg more; the same request key replayed returns the same retirement and appends nothing.
        var second = await RetireAgainstAsync(w, expo, id, batch, 501_000, "c2", HttpStatusCode.Created);
        Assert.Equal([$"320117-{batch}-1001-1501"], Serials(second));
        var head = await w.Store.GetHeadAsync();
        var replayed = await RetireAgainstAsync(w, expo, id, batch, 501_000, "c2", HttpStatusCode.OK);
        Assert.Equal(second.GetProperty("id").GetInt64(), replayed.GetProperty("id").GetInt64());
        Assert.Equal(Serials(second), Serials(replayed));
        Assert.Equal(head.Sequence, (await w.Store.GetHeadAsync()).Sequence);

        var covered = await w.SendAsync(Get, $"/api/v1/neutrality-claims/{id}", expo.Token);
        Assert.Equal((1_501_000L, true), (covered.GetProperty("matchedGrams").GetInt64(), covered.GetProperty("covered").GetBoolean()));
        Assert.Equal([first.GetProperty("id").GetInt64(), second.GetProperty("id").GetInt64()],
            covered.GetProperty("retirements").EnumerateArray().Select(r => r.GetProperty("id").GetInt64()).ToArray());

        Assert.Equal("review", State(await w.StepAsync(id, expo.Token, new { action = "request-certification", comment = "已足额注销 / fully matched" })));
        Assert.Equal("certified", State(await w.StepAsync(id, GovernanceHttpWorld.AdminToken, new { action = "certify", comment = "予以认定" })));

        var certified = await w.SendAsync(Get, $"/api/v1/neutrality-claims/{id}", GovernanceHttpWorld.AdminToken);
        var code = certified.GetProperty("certificate").GetString()!;
        Assert.Matches(@"^PHCN-\d{4}-\d{6}$", code);
        Assert.Equal(string.Create(CultureInfo.InvariantCulture, $"PHCN-2026-{id:D6}"), code);

        // Anyone checks it by its code, without a token.
        var check = await w.SendAsync(Get, $"/api/v1/public/certificates/{code}", null);
        Assert.Equal(("valid", true, JsonValueKind.Null), (check.GetProperty("status").GetString(), check.GetProperty("valid").GetBoolean(), check.GetProperty("problem").ValueKind));
        Assert.Equal((code, w.Signer.KeyId), (check.GetProperty("code").GetString(), check.GetProperty("keyId").GetString()));
        var payload = check.GetProperty("certificate");
        Assert.Equal((code, id, Expo, 1_500_500L, 1_501_000L),
            (payload.GetProperty("code").GetString(), payload.GetProperty("claimId").GetInt64(), payload.GetProperty("beneficiary").GetString(),
                payload.GetProperty("emissionsGrams").GetInt64(), payload.GetProperty("retiredGrams").GetInt64()));
        Assert.Equal([report], payload.GetProperty("reports").EnumerateArray().Select(r => r.GetString()!).ToArray());
        using (var disclosed = await w.RawAsync(Get, $"/api/v1/public/documents/{report}", null))
            Assert.Equal(HttpStatusCode.OK, disclosed.StatusCode);
        var stated = payload.GetProperty("retirements").EnumerateArray().ToList();
        Assert.Equal(2, stated.Count);
        Assert.Equal([Serials(first)[0], Serials(second)[0]], stated.Select(r => r.GetProperty("serials").GetString()!).ToArray());
        Assert.Equal([1_000_000L, 501_000L], stated.Select(r => r.GetProperty("grams").GetInt64()).ToArray());
        Assert.Equal($"/api/v1/public/certificates/{code}/signed", check.GetProperty("signed").GetString());

        // The signed file names a published key.
        string file;
        using (var signed = await w.RawAsync(Get, $"/api/v1/public/certificates/{code}/signed", null))
        {
            Assert.Equal(HttpStatusCode.OK, signed.StatusCode);
            Assert.Equal("application/json", signed.Content.Headers.ContentType?.MediaType);
            file = await signed.Content.ReadAsStringAsync();
        }

        var keyId = JsonDocument.Parse(file).RootElement.GetProperty("keyId").GetString();
        Assert.Equal(w.Signer.KeyId, keyId);
        var key = Assert.Single((await w.SendAsync(Get, "/api/v1/public/certificate-keys", null)).EnumerateArray());
        Assert.Equal((keyId, "ES256", Convert.ToBase64String(w.Signer.PublicKey)),
            (key.GetProperty("keyId").GetString(), key.GetProperty("algorithm").GetString(), key.GetProperty("publicKey").GetString()));

        using (var pdf = await w.RawAsync(Get, $"/api/v1/public/certificates/{code}/pdf", null))
        {
            Assert.Equal(HttpStatusCode.OK, pdf.StatusCode);
            Assert.Equal("application/pdf", pdf.Content.Headers.ContentType?.MediaType);
            var bytes = await pdf.Content.ReadAsByteArrayAsync();
            Assert.Equal("%PDF-1.7", Encoding.ASCII.GetString(bytes, 0, 8));
        }

        var listed = Assert.Single((await w.SendAsync(Get, "/api/v1/public/certificates", null)).GetProperty("certificates").EnumerateArray());
        Assert.Equal((code, id, "issued", 1_501_000L),
            (listed.GetProperty("code").GetString(), listed.GetProperty("claim").GetInt64(), listed.GetProperty("status").GetString(), listed.GetProperty("retiredGrams").GetInt64()));
        using (var csv = await w.RawAsync(Get, "/api/v1/public/certificates.csv", null))
        {
            Assert.Equal("text/csv", csv.Content.Headers.ContentType?.MediaType);
            var rows = (await csv.Content.ReadAsStringAsync()).Split("\r\n", StringSplitOptions.RemoveEmptyEntries);
            Assert.Equal(2, rows.Length);
            Assert.StartsWith(code + "," + id.ToString(System.Globalization.CultureInfo.InvariantCulture) + ",issued,", rows[1], StringComparison.Ordinal);
            Assert.Contains($"320117-{batch}-1-1000 320117-{batch}-1001-1501", rows[1], StringComparison.Ordinal);
        }

        // The file as received: valid; one digit changed in the payload: a bad signature; not JSON: malformed.
        var verified = await VerifyFileAsync(w, file);
        Assert.Equal(("valid", true, code), (verified.GetProperty("status").GetString(), verified.GetProperty("valid").GetBoolean(), verified.GetProperty("code").GetString()));
        var tampered = file.Replace("\\\"emissionsGrams\\\":1500500", "\\\"emissionsGrams\\\":1500400", StringComparison.Ordinal);
        Assert.NotEqual(file, tampered);
        var bad = await VerifyFileAsync(w, tampered);
        Assert.Equal(("invalid", false, "bad-signature"), (bad.GetProperty("status").GetString(), bad.GetProperty("valid").GetBoolean(), bad.GetProperty("problem").GetString()));
        var malformed = await VerifyFileAsync(w, "not json");
        Assert.Equal((false, "malformed"), (malformed.GetProperty("valid").GetBoolean(), malformed.GetProperty("problem").GetString()));

        foreach (var path in new[] { "/api/v1/public/certificates/PHCN-2026-999999", "/api/v1/public/certificates/PHCN-2026-999999/signed", "/api/v1/public/certificates/PHCN-2026-999999/pdf" })
            await w.RefusedAsync(Get, path, null, null, HttpStatusCode.NotFound, "certificate-not-found");

        // Revoking needs a reason; with one, the public check says revoked and why.
        await RefusedOnClaimAsync(w, Post, $"/api/v1/applications/{id}/steps", GovernanceHttpWorld.AdminToken, new { action = "revoke" },
            HttpStatusCode.BadRequest, "step-input-missing", id);
        const string Reason = "核算报告经复核存在重大遗漏 / the accounting report left out the exhibitors' travel";
        Assert.Equal("revoked", State(await w.StepAsync(id, GovernanceHttpWorld.AdminToken, new { action = "revoke", comment = Reason })));
        var revoked = await w.SendAsync(Get, $"/api/v1/public/certificates/{code}", null);
        Assert.Equal(("revoked", false, "revoked", Reason),
            (revoked.GetProperty("status").GetString(), revoked.GetProperty("valid").GetBoolean(), revoked.GetProperty("problem").GetString(), revoked.GetProperty("revokedReason").GetString()));
        Assert.Contains(Reason, revoked.GetProperty("reason").GetString(), StringComparison.Ordinal);
        Assert.NotEqual(JsonValueKind.Null, revoked.GetProperty("revokedAt").ValueKind);
        Assert.Equal("revoked", (await VerifyFileAsync(w, file)).GetProperty("problem").GetString());
        Assert.Equal("revoked", Assert.Single((await w.SendAsync(Get, "/api/v1/public/certificates", null)).GetProperty("certificates").EnumerateArray())
            .GetProperty("status").GetString());
    }

    [Theory, MemberData(nameof(Stores))]
    public async Task Claims_refuse_bad_filings_strangers_late_retirements_and_the_wrong_role_changing_nothing(StoreKind kind)
    {
        await using var w = await GovernanceHttpWorld.CreateAsync(kind, GovernanceHttpWorld.November);
        var expo = await w.AddOrganisationAsync("o:expo", "博览中心 / Expo centre", "Buyer");
        var batch = await IssueAsync(w, expo, 10_000_000);
        var rivalBatch = await IssueAsync(w, w.Rival, 1_000_000);
        var report = await w.UploadAsync(expo.Token, "核算报告.pdf", "博览会碳排放核算报告");

        // Bad filings: nothing filed, nothing appended.
        var head = await w.Store.GetHeadAsync();
        await w.RefusedAsync(Post, "/api/v1/organisation/neutrality-claims", expo.Token, Claim("other", Expo, 1_000_000, [report]), HttpStatusCode.BadRequest, "claim-invalid");
        await w.RefusedAsync(Post, "/api/v1/organisation/neutrality-claims", expo.Token, Claim("event", Expo, 1_000_000, []), HttpStatusCode.BadRequest, "claim-invalid");
        await w.RefusedAsync(Post, "/api/v1/organisation/neutrality-claims", w.PersonToken, Claim("event", Expo, 1_000_000, [report]), HttpStatusCode.Forbidden, "forbidden");
        Assert.Equal(0, (await w.SendAsync(Get, "/api/v1/organisation/neutrality-claims", expo.Token)).GetArrayLength());
        Assert.Equal(head.Sequence, (await w.Store.GetHeadAsync()).Sequence);

        var id = (await w.SendAsync(Post, "/api/v1/organisation/neutrality-claims", expo.Token, Claim("event", Expo, 1_000_000, [report]))).GetProperty("id").GetInt64();
        var retireAgainst = $"/api/v1/organisation/neutrality-claims/{id}/retirements";

        // Strangers neither retire against the claim nor read it; its claimant does not certify it.
        await RefusedOnClaimAsync(w, Post, retireAgainst, w.Rival.Token, new { batch = rivalBatch, grams = 1_000_000, requestKey = "x1" },
            HttpStatusCode.Forbidden, "not-claimant", id);
        await RefusedOnClaimAsync(w, Post, retireAgainst, w.PersonToken, new { batch, grams = 1_000_000, requestKey = "x2" }, HttpStatusCode.Forbidden, "forbidden", id);
        await RefusedOnClaimAsync(w, Get, $"/api/v1/neutrality-claims/{id}", w.Rival.Token, null, HttpStatusCode.NotFound, "claim-not-found", id);
        await RefusedOnClaimAsync(w, Get, $"/api/v1/neutrality-claims/{id + 1000}", GovernanceHttpWorld.AdminToken, null, HttpStatusCode.NotFound, "claim-not-found", id);
        Assert.Equal(0, (await w.SendAsync(Get, "/api/v1/organisation/neutrality-claims", w.Rival.Token)).GetArrayLength());

        await RetireAgainstAsync(w, expo, id, batch, 1_000_000, "c1", HttpStatusCode.Created);
        // Certifying is not a step of a claim still matching retirements, whoever takes it.
        var refusal = await RefusedOnClaimAsync(w, Post, $"/api/v1/applications/{id}/steps", expo.Token, new { action = "certify", comment = "自行认定" },
            HttpStatusCode.Conflict, "action-not-allowed", id);
        GovernanceHttpWorld.AssertWorkflowRefusal(refusal, "matching", "match", "amend", "request-certification", "retract");

        // Once certification is asked for, the claim matches no more retirements.
        Assert.Equal("review", State(await w.StepAsync(id, expo.Token, new { action = "request-certification", comment = "请认定" })));
        await RefusedOnClaimAsync(w, Post, retireAgainst, expo.Token, new { batch, grams = 1_000_000, requestKey = "c2" }, HttpStatusCode.Conflict, "claim-not-open", id);
        // Under review, certifying is the administrator's step, not the claimant's.
        await RefusedOnClaimAsync(w, Post, $"/api/v1/applications/{id}/steps", expo.Token, new { action = "certify", comment = "自行认定" },
            HttpStatusCode.Forbidden, "action-forbidden", id);
        Assert.Equal(1_000_000L, (await w.SendAsync(Get, $"/api/v1/neutrality-claims/{id}", expo.Token)).GetProperty("matchedGrams").GetInt64());
    }

    [Theory, MemberData(nameof(Stores))]
    public async Task Earlier_retirements_are_matched_to_one_live_claim_only(StoreKind kind)
    {
        await using var w = await GovernanceHttpWorld.CreateAsync(kind, GovernanceHttpWorld.November);
        var expo = await w.AddOrganisationAsync("o:expo", "博览中心 / Expo centre", "Buyer");
        var batch = await IssueAsync(w, expo, 10_000_000);
        var rivalBatch = await IssueAsync(w, w.Rival, 1_000_000);

        // SZ 26: retire first, then apply.
        var retired = await RetireAsync(w, expo, batch, 1_000_000, "event-neutrality", Expo, "r1");
        var donated = await RetireAsync(w, expo, batch, 1_000_000, "donation", Expo, "r2");
        var elsewhere = await RetireAsync(w, expo, batch, 1_000_000, "event-neutrality", "另一场活动 / another event", "r3");
        var rivals = await RetireAsync(w, w.Rival, rivalBatch, 1_000_000, "event-neutrality", Expo, "r4");

        var report = await w.UploadAsync(expo.Token, "核算报告.pdf", "博览会碳排放核算报告");
        var a = (await w.SendAsync(Post, "/api/v1/organisation/neutrality-claims", expo.Token, Claim("event", Expo, 1_000_000, [report]))).GetProperty("id").GetInt64();
        var b = (await w.SendAsync(Post, "/api/v1/organisation/neutrality-claims", expo.Token, Claim("event", Expo, 900_000, [report]))).GetProperty("id").GetInt64();

        var matched = await w.SendAsync(Post, $"/api/v1/organisation/neutrality-claims/{a}/matches", expo.Token, new { retirement = retired });
        Assert.Equal((a, 1_000_000L, true), (matched.GetProperty("id").GetInt64(), matched.GetProperty("matchedGrams").GetInt64(), matched.GetProperty("covered").GetBoolean()));
        Assert.Equal([retired], matched.GetProperty("retirements").EnumerateArray().Select(r => r.GetProperty("id").GetInt64()).ToArray());

        // Never counted twice, and only the claimant's retirements for the claim's purpose and beneficiary count.
        foreach (var (claim, retirement) in new[] { (a, retired), (b, retired), (b, donated), (b, elsewhere), (b, rivals), (b, 999_999L) })
            await RefusedOnClaimAsync(w, Post, $"/api/v1/organisation/neutrality-claims/{claim}/matches", expo.Token, new { retirement }, HttpStatusCode.Conflict,
                "retirement-not-matchable", claim);
        await RefusedOnClaimAsync(w, Post, $"/api/v1/organisation/neutrality-claims/{b}/matches", w.Rival.Token, new { retirement = rivals }, HttpStatusCode.Forbidden,
            "not-applicant", b);
        Assert.Equal(0L, (await w.SendAsync(Get, $"/api/v1/neutrality-claims/{b}", expo.Token)).GetProperty("matchedGrams").GetInt64());

        // Once the first claim is retracted, its retirement counts towards the second.
        Assert.Equal("retracted", State(await w.StepAsync(a, expo.Token, new { action = "retract", comment = "改为合并申请 / merged into another claim" })));
        var moved = await w.SendAsync(Post, $"/api/v1/organisation/neutrality-claims/{b}/matches", expo.Token, new { retirement = retired });
        Assert.Equal((1_000_000L, true), (moved.GetProperty("matchedGrams").GetInt64(), moved.GetProperty("covered").GetBoolean()));
        Assert.Equal(0L, (await w.SendAsync(Get, $"/api/v1/neutrality-claims/{a}", expo.Token)).GetProperty("matchedGrams").GetInt64());
    }

    /// <summary>A batch of <paramref name="grams"/> issued to <paramref name="holder"/> through the ledger, in region 320117.</summary>
    private static async Task<long> IssueAsync(GovernanceHttpWorld w, OrganisationSetup holder, long grams)
    {
        var batch = await w.Store.CreateBatchAsync(new NewBatch($"PRJ9-{holder.Account}-20250101-20250630", BatchOrigin.ProjectPeriod, $"project:9:account:{holder.Account}", "", "",
            MethodologyClass.I, 2025, "320117"));
        var issuance = await w.Store.SystemAccountAsync(SystemAccounts.ReductionIssuance);
        var issued = await w.Store.AppendAsync(new TransactionBuilder(TransactionKind.Issue, $"test:issue:{holder.Account}", w.Clock.GetUtcNow(), "test")
            .MoveGrams(issuance, new AccountId(holder.Account), batch.Id, new Grams(grams)).Build());
        Assert.True(issued.Succeeded, issued.Detail);
        return batch.Id.Value;
    }

    private static object Claim(string kind, string beneficiary, long emissionsGrams, string[] documents) => new
    {
        kind, title = "2026 绿色博览会碳中和 / the expo's neutrality", beneficiary, from = "2026-10-20", to = "2026-10-22", emissionsGrams,
        accountant = "江苏省低碳核算中心 / Jiangsu Low-Carbon Accounting Centre", jurisdiction = "320100", documents, comment = "碳中和认定申请",
    };

    private static async Task<JsonElement> RetireAgainstAsync(GovernanceHttpWorld w, OrganisationSetup holder, long claim, long batch, long grams, string requestKey,
        HttpStatusCode expected)
    {
        using var response = await w.RawAsync(Post, $"/api/v1/organisation/neutrality-claims/{claim}/retirements", holder.Token, new { batch, grams, requestKey });
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == expected, $"retire {grams} g against claim {claim} ({requestKey}): {(int)response.StatusCode} {text}");
        return JsonDocument.Parse(text).RootElement.Clone();
    }

    private static async Task<long> RetireAsync(GovernanceHttpWorld w, OrganisationSetup holder, long batch, long grams, string purpose, string beneficiary, string requestKey)
    {
        var retired = await w.SendAsync(Post, "/api/v1/organisation/retirements", holder.Token, new
        {
            batch, grams, purpose, beneficiary, usingEntity = holder.Name, reason = "活动碳中和 / neutrality", jurisdiction = "320100", requestKey,
        });
        Assert.Equal((purpose, beneficiary), (retired.GetProperty("purpose").GetString(), retired.GetProperty("beneficiary").GetString()));
        return retired.GetProperty("id").GetInt64();
    }

    private static async Task<JsonElement> VerifyFileAsync(GovernanceHttpWorld w, string file)
    {
        using var response = await w.RawAsync(Post, "/api/v1/public/certificates/verify", null, new StringContent(file, Encoding.UTF8, "application/json"));
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK, $"verify: {(int)response.StatusCode} {text}");
        return JsonDocument.Parse(text).RootElement.Clone();
    }

    /// <summary>
    /// A refusal that must change nothing: the governance tables and the application (as <see cref="GovernanceHttpWorld.RefusedAsync"/>
    /// checks them), the ledger head, and the claim as the administrator reads it.
    /// </summary>
    private static async Task<JsonElement> RefusedOnClaimAsync(GovernanceHttpWorld w, HttpMethod method, string path, string? token, object? body, HttpStatusCode status,
        string code, long claim)
    {
        var head = await w.Store.GetHeadAsync();
        var before = (await w.SendAsync(Get, $"/api/v1/neutrality-claims/{claim}", GovernanceHttpWorld.AdminToken)).GetRawText();
        var problem = await w.RefusedAsync(method, path, token, body, status, code, claim);
        Assert.Equal(head.Sequence, (await w.Store.GetHeadAsync()).Sequence);
        Assert.Equal(Convert.ToHexString(head.Hash), Convert.ToHexString((await w.Store.GetHeadAsync()).Hash));
        Assert.Equal(before, (await w.SendAsync(Get, $"/api/v1/neutrality-claims/{claim}", GovernanceHttpWorld.AdminToken)).GetRawText());
        return problem;
    }

    private static string[] Serials(JsonElement retirement) => retirement.GetProperty("serials").EnumerateArray().Select(s => s.GetString()!).ToArray();

    private static string? State(JsonElement detail) => detail.GetProperty("application").GetProperty("state").GetString();
}
