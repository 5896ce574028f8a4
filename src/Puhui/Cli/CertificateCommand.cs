using System.CommandLine;
using System.Text;
using Puhui.Certificates;
using Puhui.Holdings;
using Puhui.Host.Http;
using Puhui.Storage.Governance;
using Puhui.Storage.Holdings;
using Puhui.Storage.Ingestion;
using Puhui.Storage.Ledger;

namespace Puhui.Host.Cli;

/// <summary>
/// <c>puhui certificate verify &lt;file&gt;</c> and <c>puhui certificate show &lt;code&gt;</c>: carbon-neutral
/// certificates checked against the platform's store, as <c>/api/v1/public/certificates/{code}</c> checks them.
/// </summary>
internal static class CertificateCommand
{
    public static Command Create()
    {
        var command = new Command("certificate", "碳中和证书 / Carbon-neutral certificates");
        command.Subcommands.Add(CreateVerify());
        command.Subcommands.Add(CreateShow());
        return command;
    }

    private static Command CreateVerify()
    {
        var db = StoreSetting.CreateOption();
        var file = new Argument<string>("file") { Description = "证书文件（签名的 JSON）/ The certificate file (signed JSON)" };
        var verify = new Command("verify", "核验证书：签名、是否由本平台签发且未撤销、所依据的注销是否仍然有效 / Verify a certificate: its signature, that this platform issued it and did not revoke it, and that its retirements still stand")
        {
            db, file,
        };
        verify.SetAction(async (parse, ct) =>
        {
            var path = parse.GetValue(file)!;
            if (!File.Exists(path))
            {
                await Console.Error.WriteLineAsync($"文件不存在：{path} / No such file: {path}");
                return 2;
            }

            if (new FileInfo(path).Length > CertificateEnvelope.FileLengthMax)
            {
                await Console.Error.WriteLineAsync($"证书无效 / Certificate not valid (malformed): {path} is too large to be a certificate");
                return 1;
            }

            await using var store = await StoreSetting.OpenAsync(parse.GetValue(db), ct);
            var check = await Claims(store).VerifyAsync(await File.ReadAllTextAsync(path, Encoding.UTF8, ct), ct);
            if (!check.Valid)
            {
                await Console.Error.WriteLineAsync($"证书无效 / Certificate not valid ({check.Problem!.Value.Code()}): {check.Detail}");
                return 1;
            }

            var p = check.Payload!;
            Console.WriteLine($"证书有效 / Certificate valid: {p.Code}");
            Print(p, check.Issued!);
            return 0;
        });
        return verify;
    }

    private static Command CreateShow()
    {
        var db = StoreSetting.CreateOption();
        var code = new Argument<string>("code") { Description = "证书编号 / certificate code, e.g. PHCN-2026-000001" };
        var pdf = new Option<string?>("--pdf") { Description = "将 PDF 写入该文件 / Write the PDF to this file" };
        var json = new Option<string?>("--json") { Description = "将签名的 JSON 证书写入该文件 / Write the signed JSON certificate to this file" };
        var show = new Command("show", "显示证书及其核验结果，可导出 PDF 与签名 JSON / Show a certificate and whether it verifies; export its PDF and signed JSON")
        {
            db, code, pdf, json,
        };
        show.SetAction(async (parse, ct) =>
        {
            await using var store = await StoreSetting.OpenAsync(parse.GetValue(db), ct);
            var claims = Claims(store);
            var wanted = parse.GetValue(code)!;
            if (await claims.CertificateAsync(wanted, ct) is not { } certificate)
            {
                await Console.Error.WriteLineAsync($"平台未签发编号为 {wanted} 的证书 / No certificate {wanted} was issued here");
                return 1;
            }

            var check = await claims.VerifyCodeAsync(wanted, ct);
            Console.WriteLine(check.Valid ? $"证书有效 / Certificate valid: {certificate.Code}" : $"证书无效 / Certificate not valid ({check.Problem!.Value.Code()}): {check.Detail}");
            Print(CertificateSigning.ReadPayload(certificate.Payload), certificate);
            if (parse.GetValue(json) is { Length: > 0 } jsonPath)
            {
                await File.WriteAllTextAsync(jsonPath, certificate.File, new UTF8Encoding(encoderShouldEmitUTF8Identifier: false), ct);
                Console.WriteLine($"签名证书 / Signed certificate: {Path.GetFullPath(jsonPath)}");
            }

            if (parse.GetValue(pdf) is { Length: > 0 } pdfPath)
            {
                await File.WriteAllBytesAsync(pdfPath, CertificateDocument.Render(certificate, check), ct);
                Console.WriteLine($"PDF: {Path.GetFullPath(pdfPath)}");
            }

            return 0;
        });
        return show;
    }

    private static void Print(CertificatePayload p, Certificate issued)
    {
        Console.WriteLine($"碳中和对象 / Made neutral: {p.Beneficiary}（{p.Title}，{p.From} – {p.To}）");
        Console.WriteLine($"排放 / Emissions: {CertificateDocument.Tonnes(p.EmissionsGrams)}；注销 / Retired: {CertificateDocument.Tonnes(p.RetiredGrams)}（{p.Retirements.Count} 笔 / retirements）");
        Console.WriteLine($"序列号 / Serials: {string.Join(", ", p.Retirements.Select(r => r.Serials))}");
        Console.WriteLine($"认定 / Certified by {p.CertifiedBy} at {p.IssuedAt}；密钥 / key {issued.KeyId}");
        Console.WriteLine($"核验 / Verify at: {p.VerifyUrl}");
    }

    private static NeutralityClaims Claims(LedgerStore store)
    {
        var calendar = new CalendarStore(store, TimeProvider.System);
        var workflows = GovernanceSetup.Create(store, new ScenarioStore(store), calendar.GetAsync, TimeProvider.System);
        // Checking needs no signing key: the public keys every certificate was signed with are in the store.
        return new NeutralityClaims(workflows, new ReductionHoldings(store, TimeProvider.System), null,
            new CertificateIssuer(PuhuiHostOptions.PlatformNameDefault, PuhuiHostOptions.PublicUrlDefault));
    }
}
