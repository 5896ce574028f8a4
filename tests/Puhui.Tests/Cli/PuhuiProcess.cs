using System.Diagnostics;

namespace Puhui.Tests.Cli;

/// <summary>Runs the real <c>puhui</c> executable (built beside the tests) as a child process.</summary>
public static class PuhuiProcess
{
    public static ProcessStartInfo StartInfo(params string[] args)
    {
        var info = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = Path.GetTempPath(),
        };
        info.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "puhui.dll"));
        foreach (var a in args) info.ArgumentList.Add(a);
        info.Environment.Remove("PUHUI_DB");
        return info;
    }

    /// <summary>Runs to completion and returns the exit code with everything printed.</summary>
    public static async Task<(int ExitCode, string Output, string Error)> RunAsync(params string[] args)
    {
        using var process = Process.Start(StartInfo(args))!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(3));
        await process.WaitForExitAsync(timeout.Token);
        return (process.ExitCode, await output, await error);
    }
}
