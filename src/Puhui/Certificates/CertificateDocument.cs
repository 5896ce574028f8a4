using System.Globalization;
using Puhui.Holdings;
using Puhui.Storage.Holdings;

namespace Puhui.Certificates;

/// <summary>
/// A certificate as people read it: the signed payload laid out on a PDF with its serial ranges and a QR code of
/// the verification link. The PDF is a rendering; what is checked is the signed JSON it points to.
/// </summary>
public static class CertificateDocument
{
    public static byte[] Render(Certificate certificate, CertificateVerification check)
    {
        ArgumentNullException.ThrowIfNull(certificate);
        ArgumentNullException.ThrowIfNull(check);
        return CertificatePdf.Render(Content(certificate, CertificateSigning.ReadPayload(certificate.Payload), check));
    }

    public static PdfCertificateContent Content(Certificate certificate, CertificatePayload p, CertificateVerification check)
    {
        ArgumentNullException.ThrowIfNull(certificate);
        ArgumentNullException.ThrowIfNull(p);
        ArgumentNullException.ThrowIfNull(check);
        var kind = p.Kind == NeutralityKind.Event.Code() ? "大型活动碳中和 / Event neutrality" : "组织碳中和 / Organisation neutrality for a period";
        var lines = new List<PdfLine>
        {
            new("碳中和对象", "Made neutral", p.Beneficiary),
            new("类型", "Kind", kind),
            new("名称", "Title", p.Title),
            new("期间", "Period", p.From == p.To ? p.From : p.From + " – " + p.To),
            new("排放量", "Emissions", Tonnes(p.EmissionsGrams)),
            new("第三方核算机构", "Accounted by", p.Accountant),
            new("注销抵消量", "Retired", string.Create(CultureInfo.InvariantCulture, $"{Tonnes(p.RetiredGrams)}（{p.Retirements.Count} 笔 / retirements）")),
            new("申请机构", "Claimant", p.OrganisationName),
            new("认定", "Certified", $"{p.CertifiedBy}，{p.IssuedAt}"),
            new("签发机构", "Issuer", p.Issuer),
            new("签名密钥", "Signing key", certificate.KeyId + " (ES256)"),
        };
        if (p.Jurisdiction.Length > 0) lines.Insert(6, new PdfLine("适用地区", "Jurisdiction", p.Jurisdiction));
        if (p.Reports.Count > 0) lines.Add(new PdfLine("核算报告 SHA-256", "Report SHA-256", string.Join(" ", p.Reports)));
        if (check.Problem is { } problem)
            lines.Insert(0, new PdfLine(problem == CertificateProblem.Revoked ? "已撤销" : "核验未通过", problem == CertificateProblem.Revoked ? "Revoked" : "Not valid",
                check.Detail ?? problem.Code()));
        return new PdfCertificateContent("碳中和证书", "Carbon-neutral certificate", p.Code, lines, p.Retirements.Select(r => r.Serials).ToList(), p.VerifyUrl,
            "扫描二维码或访问链接核验本证书；核验以平台签名的 JSON 证书为准。",
            "Scan the QR code or open the link to verify; the platform-signed JSON certificate is authoritative.");
    }

    /// <summary>Grams as tonnes with three decimals (whole kilograms), computed in integers.</summary>
    public static string Tonnes(long grams)
        => string.Create(CultureInfo.InvariantCulture, $"{grams / 1_000_000:N0}.{grams % 1_000_000 / 1_000:D3} tCO2e");
}
