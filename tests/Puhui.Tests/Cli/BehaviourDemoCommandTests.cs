using System.Globalization;
using System.Text.Json;
using Puhui.Storage;

namespace Puhui.Tests.Cli;

/// <summary><c>puhui demo</c> as people run it: a child process that drives the HTTP API and prints a summary.</summary>
public class BehaviourDemoCommandTests
{
    public const string SummaryTitle = "行为演示汇总 / Behaviour demo summary";

    public static TheoryData<StoreKind> Stores => TestStores.All;

    [Theory, MemberData(nameof(Stores))]
    public async Task The_demo_month_is_accepted_deduplicated_audited_and_the_same_for_the_same_seed(StoreKind kind)
    {
        var setting = await TestStores.CreateSettingAsync(kind);
        var first = await PuhuiProcess.RunAsync("demo", "--db", setting, "--persons", "20", "--days", "5", "--seed", "7");
        Assert.True(first.ExitCode == 0, first.Output + first.Error);
        Assert.Contains("审计通过 / Audit passed", first.Output, StringComparison.Ordinal);
        Assert.Contains("接入审计通过 / Ingestion audit passed", first.Output, StringComparison.Ordinal);
        Assert.Contains("治理审计通过 / Governance audit passed", first.Output, StringComparison.Ordinal);
        Assert.Contains("注登审计通过 / Registry audit passed", first.Output, StringComparison.Ordinal);
        // The registry: a PV and a forestry project registered, two periods each issued, the forest's buffer share in the pool.
        Assert.Contains("项目注登演示 / Project registry demo", first.Output, StringComparison.Ordinal);
        Assert.Contains("公开注登簿 / Public registry: 2 个项目 / projects, 4 个批次 / batches", first.Output, StringComparison.Ordinal);
        Assert.Matches(@"签发批次 / Batch PRJ\d+-20250101-20250630: [\d,]+ g（业主 / developer [\d,]+ g，缓冲库 / buffer [1-9][\d,]* g）", first.Output);
        Assert.Contains("核证调整 / Verifier's adjustment: 615,924,000 g → 598,815,000 g", first.Output, StringComparison.Ordinal);
        // Reductions in motion: a transfer, a pledge released by the bank, a retirement for an event with its serial range found publicly.
        Assert.Contains("质押 / pledged 300,000,000 g → Released；注销 / retired 150,000,000 g", first.Output, StringComparison.Ordinal);
        Assert.Matches(@"注销序列号 / Retired serials: 320115-\d+-1-150000（公开查询 / public lookup: found）", first.Output);
        // The expo's certificate: valid when checked publicly, written beside the store, and checked offline by `puhui certificate verify`.
        Assert.Contains("公开核验 / public check: valid", first.Output, StringComparison.Ordinal);
        await CertificateVerifiesOfflineAsync(first.Output, setting);
        // Governance: walking 1.1.0 through a panel that excluded the applicant's expert and a conflicted one, an
        // objection (dismissed) and a second notice, to filing; every operator's scenario running and disclosed.
        Assert.Contains("治理流程演示 / Governance demo", first.Output, StringComparison.Ordinal);
        Assert.Contains("（因利益冲突排除 2 人 / 2 excluded for conflicts of interest；复算一致 / replays）", first.Output, StringComparison.Ordinal);
        Assert.Matches(@"异议 / objection #\d+: dismissed", first.Output);
        Assert.Contains(": walking 1.1.0 filed", first.Output, StringComparison.Ordinal);
        Assert.Contains("6 个运行中场景 / running scenarios, 10 位专家 / experts, 1 家核查机构 / verification bodies", first.Output, StringComparison.Ordinal);
        Assert.Contains("与各运营机构统计一致 / Every operator's statistics agree", first.Output, StringComparison.Ordinal);
        // The mall: providers, redemptions, a sink donation, an expiry run two years on, and honour that agrees with it all.
        Assert.Contains("积分商城演示 / Points mall demo", first.Output, StringComparison.Ordinal);
        Assert.Contains("两年后清零 / Expiry run as of", first.Output, StringComparison.Ordinal);
        Assert.Contains("每位居民的荣誉与商城记录一致", first.Output, StringComparison.Ordinal);
        Assert.Matches(@"兑换 / Redemptions\s+│ [1-9]", first.Output);
        Assert.Matches(@"碳汇认购 / Sink donations\s+│ [1-9]", first.Output);

        var table = SummaryTable(first.Output);
        var total = Cells(table.Single(l => l.StartsWith("│ 合计 / Total", StringComparison.Ordinal)));
        Assert.True(Number(total[2]) > 0, "no record was accepted:\n" + string.Join('\n', table));
        Assert.True(Number(total[3]) > 0, "no re-sent record came back as a duplicate:\n" + string.Join('\n', table));
        var reasons = string.Join('\n', table);
        Assert.Contains("duplicate_elsewhere", reasons, StringComparison.Ordinal);
        Assert.Contains("no_consent", reasons, StringComparison.Ordinal);

        var credentials = CredentialsPath(first.Output);
        using (var json = JsonDocument.Parse(await File.ReadAllTextAsync(credentials)))
        {
            Assert.Equal(43, json.RootElement.GetProperty("administratorToken").GetString()!.Length);
            Assert.Equal(6, json.RootElement.GetProperty("operators").GetArrayLength());
            Assert.Equal(4, json.RootElement.GetProperty("providers").GetArrayLength());
            Assert.StartsWith("sk_", json.RootElement.GetProperty("operators")[0].GetProperty("apiKey").GetProperty("secret").GetString(), StringComparison.Ordinal);
        }

        if (!OperatingSystem.IsWindows())
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(credentials));

        var again = await PuhuiProcess.RunAsync("demo", "--db", await TestStores.CreateSettingAsync(kind), "--persons", "20", "--days", "5", "--seed", "7");
        Assert.True(again.ExitCode == 0, again.Output + again.Error);
        Assert.Equal(table, SummaryTable(again.Output));

        var refused = await PuhuiProcess.RunAsync("demo", "--db", setting, "--persons", "20", "--days", "5", "--seed", "7");
        Assert.Equal(2, refused.ExitCode);
        Assert.Contains("org:sz-metro", refused.Error, StringComparison.Ordinal);
    }

    /// <summary>
    /// Runs <c>puhui certificate verify</c> on the certificate file the demo wrote: valid as written, refused as
    /// bad-signature with one digit of its payload changed, and a usage error for a missing file.
    /// </summary>
    private static async Task CertificateVerifiesOfflineAsync(string output, string setting)
    {
        const string Label = "核验 / Verify: puhui certificate verify ";
        var line = output.Split('\n').Select(l => l.TrimEnd('\r')).Single(l => l.StartsWith(Label, StringComparison.Ordinal));
        var end = line.LastIndexOf(" --db ", StringComparison.Ordinal);
        Assert.True(end > Label.Length, $"no --db in: {line}");
        var path = line[Label.Length..end];
        Assert.True(File.Exists(path), $"the certificate file {path} does not exist");

        var verified = await PuhuiProcess.RunAsync("certificate", "verify", path, "--db", setting);
        Assert.True(verified.ExitCode == 0, verified.Output + verified.Error);
        Assert.Contains("证书有效 / Certificate valid: PHCN-", verified.Output, StringComparison.Ordinal);
        Assert.Contains("320115-", verified.Output, StringComparison.Ordinal);

        // The payload is a JSON string inside the file, so its quotes are escaped.
        var file = await File.ReadAllTextAsync(path);
        var emissions = "\\\"emissionsGrams\\\":148600000";
        Assert.Contains(emissions, file, StringComparison.Ordinal);
        var tampered = Path.Combine(Path.GetDirectoryName(path)!, "tampered-" + Path.GetFileName(path));
        await File.WriteAllTextAsync(tampered, file.Replace(emissions, emissions.Replace("148600000", "148500000", StringComparison.Ordinal), StringComparison.Ordinal));
        var refused = await PuhuiProcess.RunAsync("certificate", "verify", tampered, "--db", setting);
        File.Delete(tampered);
        Assert.True(refused.ExitCode == 1, refused.Output + refused.Error);
        Assert.Contains("bad-signature", refused.Error, StringComparison.Ordinal);
        Assert.DoesNotContain("证书有效", refused.Output, StringComparison.Ordinal);

        var missing = await PuhuiProcess.RunAsync("certificate", "verify", Path.Combine(Path.GetDirectoryName(path)!, "no-such-certificate.json"), "--db", setting);
        Assert.True(missing.ExitCode == 2, missing.Output + missing.Error);
        Assert.Contains("No such file", missing.Error, StringComparison.Ordinal);

        // `certificate show` exports the same signed file and a PDF of it; an unknown code exits 1.
        var code = Path.GetFileNameWithoutExtension(path);
        var exported = Path.Combine(Path.GetDirectoryName(path)!, "exported-" + code);
        var shown = await PuhuiProcess.RunAsync("certificate", "show", code, "--json", exported + ".json", "--pdf", exported + ".pdf", "--db", setting);
        Assert.True(shown.ExitCode == 0, shown.Output + shown.Error);
        Assert.Contains("证书有效 / Certificate valid: " + code, shown.Output, StringComparison.Ordinal);
        Assert.Equal(file, await File.ReadAllTextAsync(exported + ".json"));
        Assert.StartsWith("%PDF-1.7", System.Text.Encoding.ASCII.GetString((await File.ReadAllBytesAsync(exported + ".pdf"))[..8]), StringComparison.Ordinal);
        File.Delete(exported + ".json");
        File.Delete(exported + ".pdf");
        var unknown = await PuhuiProcess.RunAsync("certificate", "show", "PHCN-1999-000001", "--db", setting);
        Assert.True(unknown.ExitCode == 1, unknown.Output + unknown.Error);
        Assert.Contains("No certificate PHCN-1999-000001", unknown.Error, StringComparison.Ordinal);
    }

    /// <summary>The summary table's lines, from its title to its bottom border.</summary>
    private static List<string> SummaryTable(string output)
    {
        var lines = output.Split('\n').Select(l => l.TrimEnd('\r')).ToList();
        var start = lines.FindIndex(l => l.Contains(SummaryTitle, StringComparison.Ordinal));
        Assert.True(start >= 0, "no summary table in:\n" + output);
        var end = lines.FindIndex(start, l => l.StartsWith('└'));
        Assert.True(end > start, "the summary table does not end:\n" + output);
        return lines.GetRange(start, end - start + 1);
    }

    private static string[] Cells(string row) => row.Split('│', StringSplitOptions.TrimEntries)[1..^1];

    private static long Number(string cell) => long.Parse(cell, NumberStyles.AllowThousands, CultureInfo.InvariantCulture);

    private static string CredentialsPath(string output)
    {
        const string Label = "演示凭据 / Demo credentials";
        var line = output.Split('\n').Single(l => l.StartsWith(Label, StringComparison.Ordinal)).TrimEnd('\r');
        var path = line[(line.LastIndexOf(": ", StringComparison.Ordinal) + 2)..];
        Assert.True(File.Exists(path), $"the credentials file {path} does not exist");
        return path;
    }
}
