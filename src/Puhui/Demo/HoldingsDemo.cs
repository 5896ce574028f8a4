using System.Text.Json;
using Puhui.Host.Http;

namespace Puhui.Host.Demo;

/// <summary>What the holdings part of the demo did.</summary>
public sealed record HoldingsDemoResult(long TransferredGrams, long PledgedGrams, string PledgeStatus, long RetiredGrams, IReadOnlyList<string> Serials, string SerialLookedUp,
    string Beneficiary);

/// <summary>
/// Reductions in motion, over HTTP: the PV developer transfers 200 t of its first batch to the expo centre, pledges
/// 300 t of its second to a bank, which releases them when the loan is repaid, and the expo centre retires 150 t
/// for the neutrality of its green expo; the retirement's serial range is then looked up publicly, without a token.
/// </summary>
public static class HoldingsDemo
{
    public static async Task<HoldingsDemoResult> RunAsync(DemoApi api, string adminToken, RegistryDemoResult registry, CancellationToken ct)
    {
        var (developer, developerToken, batches) = registry.Developers[0];
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
        var retirement = await api.PostAsync<RetirementDto>("/api/v1/organisation/retirements", expo.StaffToken, new RetirementRequest(batches[0], retire, "event-neutrality",
            "2026 南京绿色低碳博览会 / 2026 Nanjing Green Expo", "南京国际博览中心 / Nanjing International Expo Centre", "展会碳中和 / the expo's neutrality", "320100",
            "demo-retire-expo"), ct);
        var first = retirement.Serials[0];
        var lookedUp = await api.GetAsync<RetirementDto>($"/api/v1/public/serials/{Uri.EscapeDataString(first)}", null, ct);
        _ = developer;
        return new HoldingsDemoResult(transfer, pledge, released.GetProperty("status").ToString(), retire, retirement.Serials,
            lookedUp.Id == retirement.Id ? "found" : "not found", retirement.Beneficiary);
    }
}
