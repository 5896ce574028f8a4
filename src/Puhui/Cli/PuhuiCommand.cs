using System.CommandLine;

namespace Puhui.Host.Cli;

/// <summary>The <c>puhui</c> command line: one root with a sub-command per capability.</summary>
internal static class PuhuiCommand
{
    public static async Task<int> RunAsync(string[] args)
    {
        var root = new RootCommand("Puhui 普惠 — carbon-inclusion platform / 碳普惠平台");
        foreach (var command in Commands()) root.Subcommands.Add(command);
        return await root.Parse(args).InvokeAsync();
    }

    private static IEnumerable<Command> Commands()
    {
        yield return ServeCommand.Create();
        yield return MigrateCommand.Create();
        yield return AuditCommand.Create();
        yield return ExpireCommand.Create();
        yield return DemoCommand.Create();
        yield return MethodologyCommand.Create();
        yield return WorkflowCommand.Create();
        yield return CalendarCommand.Create();
        yield return RegistryCommand.CreateRegistry();
        yield return RegistryCommand.CreateProject();
        yield return CertificateCommand.Create();
    }
}
