using System.Text;
using System.Text.Json;
using Puhui.Host.Http;

namespace Puhui.Host.Demo;

/// <summary>What the holdings part of the demo did, with the certificate it ended in.</summary>
/// <param name="CertificateFile">The signed JSON certificate as downloaded from the public API.</param>
public sealed record HoldingsDemoResult(long TransferredGrams, long PledgedGrams, string PledgeStatus, long RetiredGrams, IReadOnlyList<string> Serials, string SerialLookedUp,
    string Beneficiary, long ClaimId, string CertificateCode, string CertificateStatus, byte[] CertificateFile, byte[] CertificatePdf);

/// <summary>
/// Reductions in motion, over HTTP: the PV developer transfers 200 t of its first batch to the expo centre, pledges
/// 300 t of its second to a bank, which releases them when the loan is repaid. The expo centre files a neutrality
/// claim for its green expo with the third-party accounting report (148.6 t), retires 150 t against it, and asks
/// for certification; the administrator certifies, and the certificate is checked by its code without a token.
/// </summary>
public static class HoldingsDemo
{
    public const string ExpoName = "2026 南京绿色低碳博览会 / 2026 Nanjing Green Expo";
    public const long ExpoEmissionsGrams = 148_600_000;

    public static async Task<HoldingsDemoResult> RunAsync(DemoApi api, string adminToken, RegistryDemoResult registry, CancellationToken ct)
    {
        var (_, developerToken, batches) = registry.Developers[0];
        var expo = await api.PostAsync<OrganisationCreatedDto>("/api/v1/organisations", adminToken,
            new OrganisationRequest("nj-expo-centre", "南京国际博览中心 / Nanjing International Expo Centre", ["Buyer"]), ct);
        var bank = await api.PostAsync<OrganisationCreatedDto>("/api/v1/organisations", adminToken,
            new OrganisationRequest("js-green-bank", "江苏绿色银行 / Jiangsu Green Bank", ["Buyer"]), ct);

        const long transfer = 200_000_000, pledge = 300_000_000, retire = 150_000_000;
        await api.PostAsync<JsonElement>("/api/v1/organisation/transfers", developerToken,
            new TransferRequest(expo.Account, batches[0], transfer, "demo-transfer-expo"), ct);
        var pledged = await api.PostAsync<JsonElement>("/api/v1/organisation/pledges", developerToken,
            new PledgeRequest(bank.Account, batches[1], pledge, "demo-pledge-bank"), ct);
        var released = await api.PostAsync<JsonElement>($"/api/v1/organisation/pledges/{pledged.GetProperty("id").GetInt64()}/release", bank.StaffToken, new { }, ct);

        var report = (await api.PostAsync<DocumentDto>("/api/v1/documents", expo.StaffToken, new DocumentUpload("博览会碳排放核算报告.txt", "text/plain",
            Convert.ToBase64String(Encoding.UTF8.GetBytes("2026 南京绿色低碳博览会碳排放核算报告：场馆用能、交通、住宿与废弃物合计 148.6 tCO2e / emissions report: 148.6 tCO2e"))), ct)).Sha256;
        var claim = await api.PostAsync<NeutralityClaimDto>("/api/v1/organisation/neutrality-claims", expo.StaffToken, new NeutralityClaimRequest("event", ExpoName,
            ExpoName, new DateOnly(2026, 9, 24), new DateOnly(2026, 9, 26), ExpoEmissionsGrams, "江苏省低碳核算中心 / Jiangsu Low-Carbon Accounting Centre", "320100",
            [report], "博览会碳中和认定申请 / the expo's neutrality claim"), ct);
        var retirement = await api.PostAsync<RetirementDto>($"/api/v1/organisation/neutrality-claims/{claim.Id}/retirements", expo.StaffToken,
            new ClaimRetirementRequest(batches[0], retire, "demo-retire-expo"), ct);
        await api.PostAsync<JsonElement>($"/api/v1/applications/{claim.Id}/steps", expo.StaffToken,
            new { action = "request-certification", comment = "已足额注销 / fully matched" }, ct);
        await api.PostAsync<JsonElement>($"/api/v1/applications/{claim.Id}/steps", adminToken,
            new { action = "certify", comment = "核算报告与注销记录相符，予以认定 / the report and the retirements agree" }, ct);
        var code = (await api.GetAsync<NeutralityClaimDto>($"/api/v1/neutrality-claims/{claim.Id}", adminToken, ct)).Certificate
            ?? throw new InvalidOperationException($"Claim {claim.Id} was certified without a certificate.");
        var check = await api.GetAsync<CertificateCheckDto>($"/api/v1/public/certificates/{Uri.EscapeDataString(code)}", null, ct);
        var file = await api.GetBytesAsync($"/api/v1/public/certificates/{Uri.EscapeDataString(code)}/signed", null, ct);
        var pdf = await api.GetBytesAsync($"/api/v1/public/certificates/{Uri.EscapeDataString(code)}/pdf", null, ct);

        var first = retirement.Serials[0];
        var lookedUp = await api.GetAsync<RetirementDto>($"/api/v1/public/serials/{Uri.EscapeDataString(first)}", null, ct);
        return new HoldingsDemoResult(transfer, pledge, released.GetProperty("status").ToString(), retire, retirement.Serials,
            lookedUp.Id == retirement.Id ? "found" : "not found", retirement.Beneficiary, claim.Id, code, check.Status, file, pdf);
    }
}
