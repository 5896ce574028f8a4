using System.CommandLine;
using Puhui.Host.Cli;

namespace Puhui.Tests.Methodologies;

/// <summary><c>puhui methodology check|calc|list</c> exit codes: 0 success, 1 a failed check or rejected record, 2 usage.</summary>
public sealed class MethodologyCommandTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("puhui-methodology-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static int Run(params string[] args)
    {
        var root = new RootCommand();
        root.Subcommands.Add(MethodologyCommand.Create());
        return root.Parse(args).Invoke();
    }

    private string Copy(string id, Func<string, string>? edit = null)
    {
        var text = File.ReadAllText(Path.Combine(MethodologyText.LibraryDirectory(), id + ".yaml"));
        var path = Path.Combine(_dir, id + ".yaml");
        File.WriteAllText(path, edit is null ? text : edit(text));
        return path;
    }

    [Fact]
    public void Check_passes_on_the_built_in_library()
    {
        Assert.Equal(0, Run("methodology", "check", MethodologyText.LibraryDirectory()));
    }

    [Fact]
    public void Check_fails_when_a_test_vector_fails()
    {
        var path = Copy("metro", t => t.Replace("expect: { grams: 467, points: 46 }", "expect: { grams: 468, points: 46 }", StringComparison.Ordinal));
        Assert.Equal(1, Run("methodology", "check", path));
    }

    [Fact]
    public void Check_fails_when_a_file_does_not_unit_check()
    {
        Copy("walking");
        Copy("metro", t => t.Replace("expr: distance * reduction_factor", "expr: distance + reduction_factor", StringComparison.Ordinal));
        Assert.Equal(1, Run("methodology", "check", _dir));
    }

    [Fact]
    public void Check_of_a_missing_path_is_a_usage_error()
    {
        Assert.Equal(2, Run("methodology", "check", Path.Combine(_dir, "nothing-here")));
    }

    [Fact]
    public void Calc_accepts_a_plausible_trip_and_rejects_an_implausible_one()
    {
        var dir = MethodologyText.LibraryDirectory();
        Assert.Equal(0, Run("methodology", "calc", "metro", "distance=10", "duration=20", "--dir", dir));
        Assert.Equal(1, Run("methodology", "calc", "metro", "distance=40", "duration=20", "--dir", dir));
    }

    [Fact]
    public void Calc_reads_history_for_the_household_rule()
    {
        var dir = MethodologyText.LibraryDirectory();
        Assert.Equal(0, Run("methodology", "calc", "household-electricity", "electricity=8", "household_size=2", "--history", "electricity=20,9,9,9,9,9,9,9", "--dir", dir));
    }

    [Theory]
    [InlineData("speed=3")]
    [InlineData("distance")]
    [InlineData("distance=ten")]
    public void Calc_refuses_bad_inputs_as_usage_errors(string input)
    {
        Assert.Equal(2, Run("methodology", "calc", "metro", input, "--dir", MethodologyText.LibraryDirectory()));
    }

    [Fact]
    public void Calc_of_an_unknown_id_is_a_usage_error()
    {
        Assert.Equal(2, Run("methodology", "calc", "teleportation", "--dir", MethodologyText.LibraryDirectory()));
    }

    [Fact]
    public void List_succeeds_on_the_library_and_fails_on_a_broken_file()
    {
        Assert.Equal(0, Run("methodology", "list", "--dir", MethodologyText.LibraryDirectory()));
        File.WriteAllText(Path.Combine(_dir, "broken.yaml"), "id: [");
        Assert.Equal(1, Run("methodology", "list", "--dir", _dir));
    }
}
