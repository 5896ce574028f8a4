using Puhui.Host.Demo;

namespace Puhui.Tests.Demo;

public class BehaviourDemoOptionsTests
{
    [Theory]
    [InlineData(1, 1, null)]
    [InlineData(BehaviourDemoOptions.PersonsMax, BehaviourDemoOptions.DaysMax, null)]
    [InlineData(0, 30, "--persons")]
    [InlineData(BehaviourDemoOptions.PersonsMax + 1, 30, "--persons")]
    [InlineData(200, 0, "--days")]
    [InlineData(200, BehaviourDemoOptions.DaysMax + 1, "--days")]
    public void Persons_and_days_are_bounded_and_the_problem_names_the_option(int persons, int days, string? option)
    {
        var problem = new BehaviourDemoOptions(Seed: 1, Persons: persons, Days: days).Problem();
        if (option is null) Assert.Null(problem);
        else Assert.StartsWith(option, problem, StringComparison.Ordinal);
    }
}
