using System.CommandLine;
using Puhui.Host.Demo;
using Puhui.Host.Http;

namespace Puhui.Host.Cli;

/// <summary><c>puhui serve</c>: the HTTP host.</summary>
internal static class ServeCommand
{
    /// <summary>The environment variable whose value is registered as an administrator's bearer token at start.</summary>
    public const string AdministratorTokenVariable = "PUHUI_ADMIN_TOKEN";

    /// <summary>Residents of the behaviour demo that <c>--demo</c> loads: enough to explore, few enough to start in seconds.</summary>
    public const int DemoPersons = 50;

    public static Command Create()
    {
        var db = StoreSetting.CreateOption();
        var urls = new Option<string?>("--urls") { Description = "监听地址 / Addresses to listen on (default: $ASPNETCORE_URLS, else http://localhost:5000)" };
        var demo = new Option<bool>("--demo")
        {
            Description = $"账本为空时先运行行为演示（{DemoPersons} 位居民，{BehaviourDemoOptions.DefaultDays} 天）/ When the ledger is empty, first run the behaviour demo ({DemoPersons} persons, {BehaviourDemoOptions.DefaultDays} days)",
        };
        var command = new Command("serve", "启动 HTTP 服务 / Run the HTTP host") { db, urls, demo };
        command.SetAction(async (parse, ct) =>
        {
            await using var store = await StoreSetting.OpenAsync(parse.GetValue(db), ct);
            if (parse.GetValue(demo) && (await store.GetHeadAsync(ct)).Sequence == 0)
            {
                Console.WriteLine("正在载入演示数据 / Loading demo data…");
                // A demo whose statistics or audits disagree is not served (exit 1); one that cannot run here (exit 2: the
                // store already holds the demo's organisations) leaves the store as it is, and the host serves it all the same.
                var loaded = await DemoCommand.RunBehaviourAsync(parse.GetValue(db), new BehaviourDemoOptions(Persons: DemoPersons) { ExpiryRun = false }, ct);
                if (loaded == 1) return loaded;
            }

            Console.WriteLine($"数据库 / Store: {store.Description}");
            var credentials = DemoCredentials.PathFor(StoreSetting.Resolve(parse.GetValue(db)));
            if (File.Exists(credentials))
                Console.WriteLine($"演示凭据 / Demo credentials (administrator, operators, persons): {credentials}");
            var adminToken = Environment.GetEnvironmentVariable(AdministratorTokenVariable);
            if (string.IsNullOrEmpty(adminToken) && !File.Exists(credentials))
                Console.WriteLine($"未设置管理员令牌 / No administrator token: set {AdministratorTokenVariable} to act as the administrator (主管部门)");
            var app = PuhuiHost.Build(store, [], parse.GetValue(urls), new PuhuiHostOptions(AdministratorToken: adminToken));
            await app.RunAsync(ct);
            return 0;
        });
        return command;
    }
}
