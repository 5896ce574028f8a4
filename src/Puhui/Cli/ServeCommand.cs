using System.CommandLine;
using Puhui.Host.Demo;
using Puhui.Host.Http;

namespace Puhui.Host.Cli;

/// <summary><c>puhui serve</c>: the HTTP host.</summary>
internal static class ServeCommand
{
    /// <summary>The environment variable whose value is registered as an administrator's bearer token at start.</summary>
    public const string AdministratorTokenVariable = "PUHUI_ADMIN_TOKEN";

    public static Command Create()
    {
        var db = StoreSetting.CreateOption();
        var urls = new Option<string?>("--urls") { Description = "监听地址 / Addresses to listen on (default: $ASPNETCORE_URLS, else http://localhost:5000)" };
        var demo = new Option<bool>("--demo") { Description = "账本为空时载入演示数据 / Load demo data when the ledger is empty" };
        var command = new Command("serve", "启动 HTTP 服务 / Run the HTTP host") { db, urls, demo };
        command.SetAction(async (parse, ct) =>
        {
            await using var store = await StoreSetting.OpenAsync(parse.GetValue(db), ct);
            if (parse.GetValue(demo) && (await store.GetHeadAsync(ct)).Sequence == 0)
            {
                Console.WriteLine("正在载入演示数据 / Loading demo data…");
                await new DemoWorkload(store, new DemoOptions(Seed: 42, Persons: 50, Operations: 300)).RunAsync(null, ct);
            }

            Console.WriteLine($"数据库 / Store: {store.Description}");
            var adminToken = Environment.GetEnvironmentVariable(AdministratorTokenVariable);
            if (string.IsNullOrEmpty(adminToken))
                Console.WriteLine($"未设置管理员令牌 / No administrator token: set {AdministratorTokenVariable} to act as the administrator (主管部门)");
            var app = PuhuiHost.Build(store, [], parse.GetValue(urls), new PuhuiHostOptions(AdministratorToken: adminToken));
            await app.RunAsync(ct);
            return 0;
        });
        return command;
    }
}
