using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using Puhui.Host.Demo;
using Puhui.Storage;
using Spectre.Console;

namespace Puhui.Host.Cli;

/// <summary>
/// <c>puhui demo</c>: a month of a town's behaviour through the HTTP API and the SDK, then the audits
/// (<see cref="BehaviourDemo"/>); <c>puhui demo --ledger</c>: the random ledger workload of issues, redemptions,
/// transfers, retirements and expiry, then the ledger audit (<see cref="DemoWorkload"/>).
/// </summary>
internal static class DemoCommand
{
    /// <summary>The console width for tables when output goes to a file or a pipe.</summary>
    private const int RedirectedWidth = 160;

    public static Command Create()
    {
        var db = StoreSetting.CreateOption();
        var seed = new Option<int>("--seed") { Description = "随机种子 / Random seed", DefaultValueFactory = _ => BehaviourDemoOptions.DefaultSeed };
        var persons = new Option<int>("--persons") { Description = "居民人数 / Number of persons", DefaultValueFactory = _ => BehaviourDemoOptions.DefaultPersons };
        var days = new Option<int>("--days") { Description = "模拟天数（截至今天零点）/ Days simulated, ending at today's midnight (China time)", DefaultValueFactory = _ => BehaviourDemoOptions.DefaultDays };
        var ledger = new Option<bool>("--ledger") { Description = "改为运行随机账本负载 / Run the random ledger workload instead" };
        var operations = new Option<int>("--operations") { Description = "账本负载的操作次数（--ledger）/ Operations of the ledger workload (--ledger)", DefaultValueFactory = _ => 2_000 };
        var reportCommits = new Option<bool>("--report-commits")
        {
            Description = "账本负载每笔提交后输出一行 'committed <key> <seq>'（无进度条，--ledger）/ Print 'committed <key> <seq>' after each commit (no progress bar; --ledger)",
        };
        var command = new Command("demo",
            "模拟一个城市一个月的低碳行为：运营机构、场景、绑定与授权的居民，全部经由 HTTP API 与 SDK，然后审计 / "
            + "Simulate a town's month of low-carbon behaviour — operators, scenarios, bound and consenting persons — through the HTTP API and the SDK, then audit")
        {
            db, seed, persons, days, ledger, operations, reportCommits,
        };
        command.SetAction(async (parse, ct) =>
        {
            if (parse.GetValue(ledger))
            {
                if (parse.GetResult(days) is { Implicit: false })
                    return Usage("--days 只用于行为演示 / --days is for the behaviour demo, not --ledger");
                return await RunLedgerAsync(parse.GetValue(db), new DemoOptions(parse.GetValue(seed), parse.GetValue(persons), parse.GetValue(operations)),
                    parse.GetValue(reportCommits), ct);
            }

            if (parse.GetResult(operations) is { Implicit: false } || parse.GetValue(reportCommits))
                return Usage("--operations 与 --report-commits 需要 --ledger / --operations and --report-commits need --ledger");
            return await RunBehaviourAsync(parse.GetValue(db), new BehaviourDemoOptions(parse.GetValue(seed), parse.GetValue(persons), parse.GetValue(days)), ct);
        });
        return command;
    }

    /// <summary>
    /// Runs the behaviour demo with a progress bar, prints its summary, and returns the exit code: 2 when it cannot
    /// run here (bad options, a store that already holds the demo's organisations), 1 when the operators'
    /// statistics disagree with the SDK's outcomes or an audit fails, else 0.
    /// </summary>
    public static async Task<int> RunBehaviourAsync(string? db, BehaviourDemoOptions options, CancellationToken ct)
    {
        if (options.Problem() is { } invalid) return Usage($"参数无效 / Invalid arguments: {invalid}.");
        var setting = StoreSetting.Resolve(db);
        var watch = Stopwatch.StartNew();
        // Bars for a terminal; for a log or a pipe, a line per day that reads the same every run.
        var result = Console.IsOutputRedirected
            ? await BehaviourDemo.RunAsync(setting, options, new LineProgress(), ct)
            : await AnsiConsole.Progress()
                .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new ElapsedTimeColumn())
                .StartAsync(async progress =>
                {
                    var bars = new SpectreProgress(progress);
                    var done = await BehaviourDemo.RunAsync(setting, options, bars, ct);
                    bars.Finish();
                    return done;
                });
        switch (result.Status)
        {
            case BehaviourDemoStatus.AlreadyLoaded:
                return Usage($"演示数据已存在 / The demo cannot run here: {result.Problem}.");
            case BehaviourDemoStatus.LibraryMissing:
                return Usage($"找不到方法学 / The demo cannot run: {result.Problem}.");
            case BehaviourDemoStatus.Completed:
                break;
        }

        var elapsed = watch.Elapsed;
        if (result.Governance is { } governance) PrintGovernance(governance);
        if (result.Registry is { } registry) PrintRegistry(registry);
        if (result.Holdings is { } holdings)
        {
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"减排量流转 / Reductions in motion: 转让 / transferred {holdings.TransferredGrams:N0} g；质押 / pledged {holdings.PledgedGrams:N0} g → {holdings.PledgeStatus}；注销 / retired {holdings.RetiredGrams:N0} g（活动碳中和 / event neutrality, {holdings.Beneficiary}）"));
            Console.WriteLine($"注销序列号 / Retired serials: {string.Join(", ", holdings.Serials)}（公开查询 / public lookup: {holdings.SerialLookedUp}）");
            // The certificate is written beside the store, as the platform's other files are, for anyone to check offline.
            var directory = SqlDialect.DataDirectory(setting);
            var certificate = Path.Combine(directory, holdings.CertificateCode + ".json");
            await File.WriteAllBytesAsync(certificate, holdings.CertificateFile, ct);
            await File.WriteAllBytesAsync(Path.Combine(directory, holdings.CertificateCode + ".pdf"), holdings.CertificatePdf, ct);
            Console.WriteLine($"碳中和证书 / Carbon-neutral certificate: {holdings.CertificateCode}（认定申请 / claim #{holdings.ClaimId}，公开核验 / public check: {holdings.CertificateStatus}）");
            Console.WriteLine($"证书文件 / Certificate files: {certificate}, {Path.ChangeExtension(certificate, ".pdf")}");
            Console.WriteLine($"核验 / Verify: puhui certificate verify {certificate} --db {(setting.Contains("Host=", StringComparison.OrdinalIgnoreCase) ? "<connection string>" : setting)}");
        }
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"模拟时段 / Simulated: {result.From.ToOffset(DemoBehaviour.ChinaStandardTime):yyyy-MM-dd HH:mm} → {result.To.ToOffset(DemoBehaviour.ChinaStandardTime):yyyy-MM-dd HH:mm} (UTC+8), {options.Days} days, seed {options.Seed}"));
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"运营机构 / Operators: {DemoTown.Operators.Count}  居民 / Persons: {result.Persons:N0}  绑定 / Bindings: {result.Bindings:N0}  授权 / Consents: {result.Consents:N0}  批次请求 / Batch requests: {result.Requests:N0}"));
        // A pipe has no width; give the table room rather than wrap every reason code.
        if (Console.IsOutputRedirected) AnsiConsole.Profile.Width = Math.Max(AnsiConsole.Profile.Width, RedirectedWidth);
        AnsiConsole.Write(result.Summary.ToTable($"行为演示汇总 / Behaviour demo summary (seed {options.Seed.ToString(CultureInfo.InvariantCulture)})"));
        var exit = 0;
        if (result.Disagreements.Count > 0)
        {
            Console.WriteLine($"统计不符 / The operators' statistics disagree with the SDK's outcomes: {result.Disagreements.Count} difference(s); first: {result.Disagreements[0]}");
            foreach (var d in result.Disagreements) Console.Error.WriteLine(d);
            exit = 1;
        }
        else
        {
            Console.WriteLine("与各运营机构统计一致 / Every operator's statistics agree with the SDK's outcomes");
        }

        if (result.Mall is { } mall) exit = Math.Max(exit, PrintMall(mall));
        Console.WriteLine($"演示凭据 / Demo credentials (administrator, operators' and providers' staff tokens, API keys, persons): {result.CredentialsPath}");
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"用时 / Elapsed: {elapsed.TotalSeconds:F1} s"));

        await using var store = await StoreSetting.OpenAsync(db, ct);
        return Math.Max(exit, await AuditCommand.AuditAsync(store, ct));
    }

    private static async Task<int> RunLedgerAsync(string? db, DemoOptions options, bool reportCommits, CancellationToken ct)
    {
        if (options.Persons is < 1 or > DemoOptions.PersonsMax || options.Operations is < 0 or > DemoOptions.OperationsMax)
            return Usage($"参数无效 / Invalid arguments: --persons must be 1–{DemoOptions.PersonsMax}, --operations 0–{DemoOptions.OperationsMax}.");

        await using var store = await StoreSetting.OpenAsync(db, ct);
        DemoTally tally;
        if (reportCommits)
        {
            var workload = new DemoWorkload(store, options) { OnCommitted = s => Console.Out.WriteLine($"committed {s.Transaction.IdempotencyKey} {s.Sequence}") };
            tally = await workload.RunAsync(null, ct);
        }
        else
        {
            tally = await AnsiConsole.Progress().StartAsync(async progress =>
            {
                var task = progress.AddTask("账本负载 / Ledger workload", maxValue: Math.Max(1, options.Operations));
                var done = await new DemoWorkload(store, options).RunAsync(new Progress<int>(count => task.Value = count), ct);
                task.Value = task.MaxValue;
                return done;
            });
        }

        var table = new Table().Title($"演示负载 / Demo workload (seed {options.Seed}, {options.Persons} persons, {options.Operations} operations)")
            .AddColumns("操作 / Operation", "提交 / Committed", "重放 / Replayed", "拒绝 / Refused");
        foreach (var (operation, (committed, replayed, refused)) in tally.ByOperation.OrderBy(o => o.Key, StringComparer.Ordinal))
            table.AddRow(operation, committed.ToString(CultureInfo.InvariantCulture), replayed.ToString(CultureInfo.InvariantCulture), refused.ToString(CultureInfo.InvariantCulture));
        AnsiConsole.Write(table);

        var report = await store.AuditAsync(null, ct);
        return AuditCommand.Print(store, report);
    }

    /// <summary>Prints what the demo's mall did; 1 when the persons' honour disagrees with it, else 0.</summary>
    /// <summary>The governance walk: one methodology through an objection to filing, the scenarios to running, and what the public sees.</summary>
    private static void PrintGovernance(GovernanceDemoResult g)
    {
        Console.WriteLine("治理流程演示 / Governance demo");
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"方法学申请 / Methodology application #{g.MethodologyApplication}: 专家组抽取 / panel draw #{g.FirstPanelDraw}（因利益冲突排除 {g.ExcludedFromFirstDraw} 人 / {g.ExcludedFromFirstDraw} excluded for conflicts of interest；{(g.FirstDrawReplays ? "复算一致 / replays" : "复算不一致 / DOES NOT REPLAY")}）"));
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"首次公示至 / First notice until {g.FirstNoticeEndsOn:yyyy-MM-dd}；异议 / objection #{g.Objection}: {g.ObjectionOutcome}；再次公示至 / second notice until {g.NoticeEndsOn:yyyy-MM-dd}"));
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"备案 / Filed on {g.FiledOn:yyyy-MM-dd}: {g.MethodologyFiled}"));
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"公开信息 / Public disclosure: {g.PublicMethodologiesFiled} 个已备案方法学版本 / filed methodology versions, {g.ScenariosRunning} 个运行中场景 / running scenarios, {g.PublicExperts} 位专家 / experts, {g.PublicVerificationBodies} 家核查机构 / verification bodies"));
    }

    /// <summary>The registry walk: two projects through validation and review, two monitoring periods each issued, and the public registry.</summary>
    private static void PrintRegistry(RegistryDemoResult r)
    {
        Console.WriteLine("项目注登演示 / Project registry demo");
        foreach (var (code, issued, developer, buffer) in r.Batches)
        {
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"签发批次 / Batch {code}: {issued:N0} g（业主 / developer {developer:N0} g，缓冲库 / buffer {buffer:N0} g）"));
        }

        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"核证调整 / Verifier's adjustment: {r.AdjustedFrom:N0} g → {r.AdjustedTo:N0} g"));
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"公开注登簿 / Public registry: {r.PublicProjects} 个项目 / projects, {r.PublicBatches} 个批次 / batches, 签发 / issued {r.PublicIssuedGrams:N0} g, 缓冲库 / buffer {r.PublicBufferGrams:N0} g"));
    }

    private static int PrintMall(MallDemoSummary mall)
    {
        var table = new Table().Title("积分商城演示 / Points mall demo").AddColumns("项目 / Item", "数量 / Count");
        table.AddRow("权益提供方 / Providers", mall.Providers.ToString(CultureInfo.InvariantCulture));
        table.AddRow("权益 / Offers", mall.Offers.ToString(CultureInfo.InvariantCulture));
        table.AddRow("兑换 / Redemptions", mall.Redemptions.ToString(CultureInfo.InvariantCulture));
        table.AddRow("取消 / Cancellations", mall.Cancellations.ToString(CultureInfo.InvariantCulture));
        table.AddRow("已核销券 / Vouchers used", mall.VouchersUsed.ToString(CultureInfo.InvariantCulture));
        table.AddRow("碳汇认购 / Sink donations", mall.Donations.ToString(CultureInfo.InvariantCulture));
        table.AddRow("兑换积分 / Points redeemed", mall.PointsRedeemed.ToString("N0", CultureInfo.InvariantCulture));
        table.AddRow("转给提供方的减排量 / Grams to providers", mall.GramsToProviders.ToString("N0", CultureInfo.InvariantCulture));
        table.AddRow("以居民名义注销的碳汇 / Sink grams retired", mall.GramsDonated.ToString("N0", CultureInfo.InvariantCulture));
        foreach (var (reason, count) in mall.Refusals) table.AddRow($"拒绝 / Refused: {reason}", count.ToString(CultureInfo.InvariantCulture));
        if (mall.Expiry is { } expiry)
        {
            table.AddRow(string.Create(CultureInfo.InvariantCulture, $"两年后清零 / Expiry run as of {mall.ExpiryAsOf:yyyy-MM-dd}: lots"), expiry.LotsCleared.ToString("N0", CultureInfo.InvariantCulture));
            table.AddRow("清零积分 / Points cleared", expiry.PointsCleared.ToString("N0", CultureInfo.InvariantCulture));
            table.AddRow("自愿注销的减排量 / Grams retired as voluntary cancellation", expiry.GramsCleared.ToString("N0", CultureInfo.InvariantCulture));
        }

        AnsiConsole.Write(table);
        if (mall.Disagreements.Count == 0)
        {
            Console.WriteLine("每位居民的荣誉与商城记录一致 / Every person's honour, summed from the journal, agrees with the mall's records");
            return 0;
        }

        Console.WriteLine($"荣誉不符 / Honour disagrees with the mall: {mall.Disagreements.Count} difference(s); first: {mall.Disagreements[0]}");
        foreach (var d in mall.Disagreements) Console.Error.WriteLine(d);
        return 1;
    }

    private static int Usage(string message)
    {
        Console.Error.WriteLine(message);
        return 2;
    }

    /// <summary>Plain lines: the plan, the residents once set up, and each day's running total.</summary>
    private sealed class LineProgress : IBehaviourDemoProgress
    {
        private int _persons, _personsReady, _days, _daysDone;
        private long _sent, _planned;

        public void Planned(int persons, int days, long records)
        {
            (_persons, _days, _planned) = (persons, days, records);
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"计划 / Planned: {persons:N0} persons, {days} days, {records:N0} records"));
        }

        public void PersonReady()
        {
            if (++_personsReady == _persons)
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"居民已注册、绑定、授权 / Persons registered, bound and consenting: {_persons:N0}"));
        }

        public void RecordsSent(int count) => _sent += count;

        public void DayDone() =>
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"第 {++_daysDone}/{_days} 天 / Day {_daysDone} of {_days}: {_sent:N0} of {_planned:N0} records sent"));
    }

    /// <summary>Three bars: residents set up, days simulated, records sent.</summary>
    private sealed class SpectreProgress(ProgressContext context) : IBehaviourDemoProgress
    {
        private ProgressTask? _persons, _days, _records;
        private long _sent, _planned;

        public void Planned(int persons, int days, long records)
        {
            _planned = records;
            _persons = context.AddTask("居民注册、绑定、授权 / Persons registered, bound, consenting", maxValue: persons);
            _days = context.AddTask("模拟天数 / Days simulated", maxValue: days);
            _records = context.AddTask(RecordsLabel(), maxValue: Math.Max(1, records));
        }

        public void PersonReady() => _persons?.Increment(1);

        public void RecordsSent(int count)
        {
            _sent += count;
            if (_records is null) return;
            _records.Description = RecordsLabel();
            _records.Increment(count);
        }

        public void DayDone() => _days?.Increment(1);

        public void Finish()
        {
            foreach (var task in new[] { _persons, _days, _records })
                if (task is not null) task.Value = task.MaxValue;
        }

        private string RecordsLabel() => string.Create(CultureInfo.InvariantCulture, $"行为记录 / Records sent {_sent:N0} of {_planned:N0}");
    }
}
