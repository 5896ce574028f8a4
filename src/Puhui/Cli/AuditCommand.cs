using System.CommandLine;
using Puhui.Ledger;
using Puhui.Storage.Governance;
using Puhui.Storage.Holdings;
using Puhui.Storage.Ingestion;
using Puhui.Storage.Ledger;
using Puhui.Storage.Mall;
using Puhui.Storage.Registry;
using Spectre.Console;

namespace Puhui.Host.Cli;

/// <summary><c>puhui audit</c>: recompute every balance from the journal and verify the chain from genesis.</summary>
internal static class AuditCommand
{
    public static Command Create()
    {
        var db = StoreSetting.CreateOption();
        var command = new Command("audit", "从日志重算全部余额并校验哈希链与治理日志 / Recompute every balance from the journal, verify the hash chains and the governance log") { db };
        command.SetAction(async (parse, ct) =>
        {
            await using var store = await StoreSetting.OpenAsync(parse.GetValue(db), ct);
            return await AuditAsync(store, ct);
        });
        return command;
    }

    /// <summary>Runs the ledger, ingestion and mall audits, prints them, and returns the worst exit code.</summary>
    public static async Task<int> AuditAsync(LedgerStore store, CancellationToken ct)
    {
        var ledger = Print(store, await store.AuditAsync(null, ct));
        var ingestion = Print(await IngestionAudit.RunAsync(store, null, ct));
        var mall = Print(await MallAudit.RunAsync(store, ct));
        var governance = Print(await GovernanceAudit.RunAsync(store, ct));
        var registry = Print(await RegistryAudit.RunAsync(store, ct));
        var holdings = Print(await HoldingsAudit.RunAsync(store, ct));
        return new[] { ledger, ingestion, mall, governance, registry, holdings }.Max();
    }

    /// <summary>Prints a report for people and returns the exit code: 0 when the ledger is sound, 1 otherwise.</summary>
    public static int Print(LedgerStore store, AuditReport report)
    {
        var table = new Table().Title("账本审计 / Ledger audit").AddColumns("资产 / Asset", "批次数 / Batches", "签发 / Issued", "持有 / Held", "兑换 / Redeemed", "清零 / Expired", "注销 / Retired", "其他 / Other");
        foreach (var g in report.Totals.GroupBy(t => t.Asset))
        {
            table.AddRow(g.Key.Code(), N(g.Count(t => t.Batch is not null)), N(g.Sum(t => t.Issued)), N(g.Sum(t => t.Held)), N(g.Sum(t => t.Redeemed)),
                N(g.Sum(t => t.Expired)), N(g.Sum(t => t.Retired)), N(g.Sum(t => t.Other)));
        }

        AnsiConsole.Write(table);
        // Plain lines, never wrapped, so that scripts and people can grep the verdict and the row it names.
        Console.WriteLine($"数据库 / Store: {store.Description}");
        Console.WriteLine($"交易 / Transactions: {N(report.Transactions)}  分录 / Postings: {N(report.Postings)}  余额行 / Balance rows: {N(report.BalanceRows)}");
        Console.WriteLine($"链头哈希 / Head hash: {Convert.ToHexStringLower(report.HeadHash)}");
        if (report.Passed)
        {
            Console.WriteLine("审计通过 / Audit passed");
            return 0;
        }

        Console.WriteLine($"审计失败 / Audit failed: {report.Problems.Count} problem(s); first: {report.Problems[0]}");
        foreach (var p in report.Problems) Console.Error.WriteLine(p);
        return 1;
    }

    /// <summary>Prints the ingestion audit and returns its exit code.</summary>
    public static int Print(IngestionAuditReport report)
    {
        Console.WriteLine($"行为记录 / Behaviour records: {N(report.Records)}  接入签发 / Ingestion issuances: {N(report.IssuanceTransactions)}");
        return Verdict("接入审计", "Ingestion audit", report.Problems);
    }

    /// <summary>Prints the mall audit and returns its exit code.</summary>
    public static int Print(MallAuditReport report)
    {
        Console.WriteLine($"权益 / Offers: {N(report.Offers)}  兑换 / Redemptions: {N(report.Redemptions)}  取消 / Cancellations: {N(report.Cancellations)}");
        return Verdict("商城审计", "Mall audit", report.Problems);
    }

    /// <summary>Prints the governance audit and returns its exit code.</summary>
    public static int Print(GovernanceAuditReport report)
    {
        Console.WriteLine($"治理日志 / Governance log: {N(report.Entries)} 条 / entries  申请 / Applications: {N(report.Applications)}  异议 / Objections: {N(report.Objections)}  意见 / Opinions: {N(report.Opinions)}");
        Console.WriteLine($"治理链头哈希 / Governance head hash: {Convert.ToHexStringLower(report.HeadHash)}");
        return Verdict("治理审计", "Governance audit", report.Problems);
    }

    /// <summary>Prints the registry audit and returns its exit code.</summary>
    public static int Print(RegistryAuditReport report)
    {
        Console.WriteLine($"项目 / Projects: {N(report.Projects)}  监测期 / Monitoring periods: {N(report.Periods)}  已签发 / Issued: {N(report.Issued)}  碳汇损失 / Reversals: {N(report.Reversals)}");
        return Verdict("注登审计", "Registry audit", report.Problems);
    }

    /// <summary>Prints the holdings audit and returns its exit code.</summary>
    public static int Print(HoldingsAuditReport report)
    {
        Console.WriteLine($"转让 / Transfers: {N(report.Transfers)}  质押 / Pledges: {N(report.Pledges)}  注销 / Retirements: {N(report.Retirements)}  转出 / Bridges: {N(report.Bridges)}  碳中和匹配 / Claim matches: {N(report.ClaimMatches)}  证书 / Certificates: {N(report.Certificates)}");
        return Verdict("持有审计", "Holdings audit", report.Problems);
    }

    /// <summary>One line a script can grep (e.g. "接入审计通过 / Ingestion audit passed"), the problems on stderr, and the exit code.</summary>
    private static int Verdict(string zh, string en, IReadOnlyList<string> problems)
    {
        if (problems.Count == 0)
        {
            Console.WriteLine($"{zh}通过 / {en} passed");
            return 0;
        }

        Console.WriteLine($"{zh}失败 / {en} failed: {problems.Count} problem(s); first: {problems[0]}");
        foreach (var p in problems) Console.Error.WriteLine(p);
        return 1;
    }

    private static string N(long value) => value.ToString("N0", System.Globalization.CultureInfo.InvariantCulture);
}
