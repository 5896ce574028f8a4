using Puhui.Host.Demo;

namespace Puhui.Tests.Demo;

public class DemoBehaviourTests
{
    private static readonly DateTimeOffset March = new(2026, 3, 1, 0, 0, 0, DemoBehaviour.ChinaStandardTime);
    private static readonly DateTimeOffset August = new(2026, 8, 17, 0, 0, 0, DemoBehaviour.ChinaStandardTime);

    [Fact]
    public void A_day_plan_depends_on_the_seed_and_the_day_number_never_on_the_calendar()
    {
        var people = DemoTown.Populate(11, 40);
        var behaviour = new DemoBehaviour(11, people, 10);
        for (var day = 0; day < 10; day++)
        {
            var march = behaviour.Plan(day, March.AddDays(day));
            var august = behaviour.Plan(day, August.AddDays(day));
            Assert.Equal(Shape(march), Shape(august));
        }

        Assert.NotEqual(Shape(behaviour.Plan(0, March)), Shape(new DemoBehaviour(12, DemoTown.Populate(12, 40), 10).Plan(0, March)));
    }

    [Fact]
    public void Every_record_is_sent_after_it_occurred_and_before_the_next_day()
    {
        var people = DemoTown.Populate(5, 60);
        var behaviour = new DemoBehaviour(5, people, 7);
        for (var day = 0; day < 7; day++)
        {
            var plan = behaviour.Plan(day, March.AddDays(day));
            Assert.NotEmpty(plan.Sends);
            foreach (var send in plan.Sends)
            {
                var cutoff = plan.Start + DemoBehaviour.Cutoffs[send.Wave];
                Assert.All(send.Records, r => Assert.True(r.OccurredAt < cutoff, $"{r.ExternalId} occurred at {r.OccurredAt:O}, after its send at {cutoff:O}"));
                Assert.All(send.Records, r => Assert.Equal(DemoTown.Operators[send.Operator].Scenario.Code, r.Scenario));
            }

            var ids = plan.Sends.Where(s => !s.Resend).SelectMany(s => s.Records).Select(r => (r.Scenario, r.ExternalId)).ToList();
            Assert.Equal(ids.Count, ids.Distinct().Count());
        }
    }

    [Fact]
    public void Even_a_small_town_withholds_a_metro_consent_and_pays_some_bus_rides_both_ways()
    {
        foreach (var seed in new[] { 1, 2, 3, 42 })
        {
            var people = DemoTown.Populate(seed, 5);
            Assert.Contains(people, p => p.WithheldConsent == DemoTown.Metro && p.Uses(DemoTown.Metro));
            Assert.True(people.Count(p => p.Bus == BusPayment.Both && p.Uses(DemoTown.BusCard) && p.Uses(DemoTown.BusQr)) >= 2);
            for (var op = 0; op < DemoTown.Operators.Count; op++)
            {
                var refs = people.Select(p => p.UserRefs[op]).OfType<string>().ToList();
                Assert.Equal(refs.Count, refs.Distinct(StringComparer.Ordinal).Count());
            }
        }
    }

    /// <summary>A plan without its dates: which operator sends what, and when in the day each record occurred.</summary>
    private static List<string> Shape(DayPlan plan) => plan.Sends.SelectMany(s => s.Records.Select(r =>
        $"{s.Wave} {s.Operator} {s.Resend} {r.UserRef} {(r.OccurredAt - plan.Start).Ticks} {string.Join(',', r.Inputs.Select(i => $"{i.Key}={i.Value}"))} "
        + string.Join(',', (r.Attributes ?? new Dictionary<string, string>()).Select(a => $"{a.Key}={a.Value}")))).ToList();
}
