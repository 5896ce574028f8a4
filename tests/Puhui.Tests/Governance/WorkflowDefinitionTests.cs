using Puhui.Governance;

namespace Puhui.Tests.Governance;

/// <summary>The workflow engine, table-driven over every workflow's own table: nothing here restates a transition.</summary>
public sealed class WorkflowDefinitionTests
{
    private static readonly DateOnly Today = new(2026, 3, 2);
    private static readonly WorkflowInput Sufficient = new("reasons / 理由", Documents: 1, Verdict: true, RectificationDays: 5, ObjectionUpheld: true, Verifier: 7);

    public static TheoryData<string> Kinds
    {
        get
        {
            var data = new TheoryData<string>();
            foreach (var workflow in Workflows.All) data.Add(workflow.Kind);
            return data;
        }
    }

    private static readonly WorkflowGuard[] Guards = Enum.GetValues<WorkflowGuard>().Where(g => g != WorkflowGuard.None).ToArray();
    private static readonly WorkflowInputs[] InputFlags = Enum.GetValues<WorkflowInputs>().Where(i => i != WorkflowInputs.None).ToArray();

    /// <summary>Facts under which every guard in <paramref name="guards"/> holds.</summary>
    private static WorkflowFacts Satisfying(WorkflowGuard guards)
    {
        Assert.False(guards.HasFlag(WorkflowGuard.PanelPassed) && guards.HasFlag(WorkflowGuard.PanelFailed), "a step cannot need a panel both passed and failed");
        Assert.False(guards.HasFlag(WorkflowGuard.OpenObjection) && guards.HasFlag(WorkflowGuard.NoOpenObjection), "a step cannot need an objection both open and answered");
        var facts = WorkflowFacts.Empty(Today);
        long[] panel = [1, 2, 3];
        if (guards.HasFlag(WorkflowGuard.PanelMemberYetToOpine)) facts = facts with { Panel = panel, ActorExpert = 1 };
        if (guards.HasFlag(WorkflowGuard.PanelPassed) || guards.HasFlag(WorkflowGuard.PanelPassedIfDrawn))
            facts = facts with { Panel = panel, Opinions = panel.ToDictionary(e => e, _ => true) };
        if (guards.HasFlag(WorkflowGuard.PanelFailed)) facts = facts with { Panel = panel, Opinions = panel.ToDictionary(e => e, _ => false) };
        Assert.False(guards.HasFlag(WorkflowGuard.NoticeEnded) && guards.HasFlag(WorkflowGuard.NoticeRunning), "a step cannot need a notice both ended and running");
        if (guards.HasFlag(WorkflowGuard.NoticeEnded)) facts = facts with { NoticeEndsOn = Today.AddDays(-1) };
        if (guards.HasFlag(WorkflowGuard.NoticeRunning)) facts = facts with { NoticeEndsOn = Today };
        if (guards.HasFlag(WorkflowGuard.AssignedVerifier)) facts = facts with { AssignedVerifier = 7, ActorAccount = 7 };
        if (guards.HasFlag(WorkflowGuard.OpenObjection)) facts = facts with { OpenObjections = 1 };
        return facts;
    }

    /// <summary>Ways to break <paramref name="guard"/> alone, starting from facts that satisfy all of a step's guards.</summary>
    private static IEnumerable<(string Name, WorkflowFacts Facts)> Violations(WorkflowGuard guard, WorkflowFacts ok)
    {
        long[] panel = [1, 2, 3];
        switch (guard)
        {
            case WorkflowGuard.PanelMemberYetToOpine:
                yield return ("actor not on the panel", ok with { ActorExpert = 99 });
                yield return ("actor is no expert", ok with { ActorExpert = null });
                yield return ("actor already opined", ok with { Opinions = new Dictionary<long, bool> { [1] = true } });
                break;
            case WorkflowGuard.PanelPassed:
                yield return ("no panel", ok with { Panel = [], Opinions = new Dictionary<long, bool>() });
                yield return ("an opinion outstanding", ok with { Panel = panel, Opinions = new Dictionary<long, bool> { [1] = true, [2] = true } });
                yield return ("the majority failed it", ok with { Panel = panel, Opinions = new Dictionary<long, bool> { [1] = true, [2] = false, [3] = false } });
                break;
            case WorkflowGuard.PanelFailed:
                yield return ("no panel", ok with { Panel = [], Opinions = new Dictionary<long, bool>() });
                yield return ("an opinion outstanding", ok with { Panel = panel, Opinions = new Dictionary<long, bool> { [1] = false } });
                yield return ("the majority passed it", ok with { Panel = panel, Opinions = new Dictionary<long, bool> { [1] = true, [2] = true, [3] = false } });
                break;
            case WorkflowGuard.PanelPassedIfDrawn:
                yield return ("a drawn panel failed it", ok with { Panel = panel, Opinions = new Dictionary<long, bool> { [1] = false, [2] = false, [3] = true } });
                yield return ("a drawn panel has not finished", ok with { Panel = panel, Opinions = new Dictionary<long, bool> { [1] = true } });
                break;
            case WorkflowGuard.NoticeEnded:
                yield return ("no notice running", ok with { NoticeEndsOn = null });
                yield return ("today is the notice's last day", ok with { NoticeEndsOn = Today });
                break;
            case WorkflowGuard.NoticeRunning:
                yield return ("no notice running", ok with { NoticeEndsOn = null });
                yield return ("the notice ended yesterday", ok with { NoticeEndsOn = Today.AddDays(-1) });
                break;
            case WorkflowGuard.AssignedVerifier:
                yield return ("no verifier assigned", ok with { AssignedVerifier = null });
                yield return ("another body acts", ok with { ActorAccount = 8 });
                break;
            case WorkflowGuard.NoOpenObjection:
                yield return ("an objection is open", ok with { OpenObjections = 2 });
                break;
            case WorkflowGuard.OpenObjection:
                yield return ("no objection is open", ok with { OpenObjections = 0 });
                break;
            default:
                Assert.Fail($"no violation is defined for {guard}");
                break;
        }
    }

    private static WorkflowInput Without(WorkflowInputs flag) => flag switch
    {
        WorkflowInputs.Comment => Sufficient with { Comment = "  " },
        WorkflowInputs.Documents => Sufficient with { Documents = 0 },
        WorkflowInputs.Verdict => Sufficient with { Verdict = null },
        WorkflowInputs.RectificationDays => Sufficient with { RectificationDays = null },
        WorkflowInputs.ObjectionOutcome => Sufficient with { ObjectionUpheld = null },
        WorkflowInputs.Verifier => Sufficient with { Verifier = null },
        _ => throw new ArgumentOutOfRangeException(nameof(flag), flag, "not one input"),
    };

    private static List<string> ActionsFrom(WorkflowDefinition workflow, string state)
        => workflow.Transitions.Where(t => t.From.Contains(state)).Select(t => t.Action).ToList();

    [Theory]
    [MemberData(nameof(Kinds))]
    public void Every_state_and_action_is_allowed_exactly_when_the_table_lists_it(string kind)
    {
        var workflow = Workflows.Find(kind)!;
        foreach (var state in workflow.States.Select(s => s.Code))
        {
            foreach (var action in workflow.Transitions.Select(t => t.Action).Distinct())
            {
                var listed = workflow.Transitions.SingleOrDefault(t => t.Action == action && t.From.Contains(state));
                var transition = listed ?? workflow.Transitions.First(t => t.Action == action);
                var decision = workflow.Decide(state, action, transition.Role, Sufficient, Satisfying(transition.Guard) with { ActorExpert = 1 });

                Assert.True(listed is not null == decision.Allowed, $"{kind}: {action} from {state}: {decision.Detail}");
                Assert.Equal(state, decision.State);
                Assert.Equal(ActionsFrom(workflow, state), decision.AllowedActions);
                if (listed is not null)
                {
                    Assert.Same(listed, decision.Transition);
                    Assert.Null(decision.Refusal);
                }
                else
                {
                    Assert.Equal(WorkflowRefusal.NotAllowedInState, decision.Refusal);
                    Assert.Contains(state, decision.Detail, StringComparison.Ordinal);
                    var allowed = ActionsFrom(workflow, state);
                    Assert.Contains(allowed.Count == 0 ? "none (the application is closed)" : string.Join(", ", allowed), decision.Detail, StringComparison.Ordinal);
                }
            }
        }
    }

    [Theory]
    [MemberData(nameof(Kinds))]
    public void Final_states_allow_no_step_and_every_other_state_allows_one(string kind)
    {
        var workflow = Workflows.Find(kind)!;
        foreach (var state in workflow.States)
            Assert.True(state.Final == (workflow.AllowedFrom(state.Code).Count == 0), $"{kind}: {state.Code}");
    }

    [Theory]
    [MemberData(nameof(Kinds))]
    public void A_step_taken_by_any_other_role_is_refused_naming_the_role_that_takes_it(string kind)
    {
        var workflow = Workflows.Find(kind)!;
        foreach (var t in workflow.Transitions)
        {
            foreach (var state in t.From)
            {
                foreach (var role in Enum.GetValues<WorkflowRole>().Where(r => r != t.Role))
                {
                    var decision = workflow.Decide(state, t.Action, role, Sufficient, Satisfying(t.Guard) with { ActorExpert = 1 });

                    Assert.False(decision.Allowed, $"{kind}: {t.Action} from {state} by {role}");
                    Assert.Equal(WorkflowRefusal.WrongRole, decision.Refusal);
                    Assert.Equal(state, decision.State);
                    Assert.Equal(ActionsFrom(workflow, state), decision.AllowedActions);
                    Assert.Contains(WorkflowDefinition.RoleCode(t.Role), decision.Detail, StringComparison.Ordinal);
                }
            }
        }
    }

    [Theory]
    [MemberData(nameof(Kinds))]
    public void A_step_missing_any_input_it_needs_is_refused(string kind)
    {
        var workflow = Workflows.Find(kind)!;
        foreach (var t in workflow.Transitions)
        {
            foreach (var flag in InputFlags.Where(f => t.Inputs.HasFlag(f)))
            {
                var decision = workflow.Decide(t.From[0], t.Action, t.Role, Without(flag), Satisfying(t.Guard));

                Assert.False(decision.Allowed, $"{kind}: {t.Action} without {flag}");
                Assert.Equal(WorkflowRefusal.MissingInput, decision.Refusal);
                Assert.Equal(t.From[0], decision.State);
            }

            foreach (var flag in InputFlags.Where(f => !t.Inputs.HasFlag(f)))
                Assert.True(workflow.Decide(t.From[0], t.Action, t.Role, Without(flag), Satisfying(t.Guard)).Allowed, $"{kind}: {t.Action} does not need {flag}");
        }
    }

    [Theory]
    [MemberData(nameof(Kinds))]
    public void Rectification_days_and_comments_are_held_to_their_limits(string kind)
    {
        var workflow = Workflows.Find(kind)!;
        foreach (var t in workflow.Transitions)
        {
            var facts = Satisfying(t.Guard);
            var longest = Sufficient with { Comment = new string('理', WorkflowDefinition.CommentLengthMax) };
            Assert.True(workflow.Decide(t.From[0], t.Action, t.Role, longest, facts).Allowed);
            var tooLong = Sufficient with { Comment = new string('理', WorkflowDefinition.CommentLengthMax + 1) };
            Assert.Equal(WorkflowRefusal.MissingInput, workflow.Decide(t.From[0], t.Action, t.Role, tooLong, facts).Refusal);
            if (!t.Inputs.HasFlag(WorkflowInputs.RectificationDays)) continue;
            foreach (var (days, allowed) in new[] { (0, false), (1, true), (WorkflowDefinition.RectificationDaysMax, true), (WorkflowDefinition.RectificationDaysMax + 1, false), (-1, false) })
            {
                var decision = workflow.Decide(t.From[0], t.Action, t.Role, Sufficient with { RectificationDays = days }, facts);
                Assert.True(allowed == decision.Allowed, $"{kind}: {t.Action} with {days} days: {decision.Detail}");
            }
        }
    }

    [Theory]
    [MemberData(nameof(Kinds))]
    public void Each_guard_of_a_step_is_enforced_on_its_own(string kind)
    {
        var workflow = Workflows.Find(kind)!;
        foreach (var t in workflow.Transitions.Where(t => t.Guard != WorkflowGuard.None))
        {
            var ok = Satisfying(t.Guard);
            Assert.True(workflow.Decide(t.From[0], t.Action, t.Role, Sufficient, ok).Allowed, $"{kind}: {t.Action} with its guards met");
            foreach (var guard in Guards.Where(g => t.Guard.HasFlag(g)))
            {
                foreach (var (name, facts) in Violations(guard, ok))
                {
                    var decision = workflow.Decide(t.From[0], t.Action, t.Role, Sufficient, facts);
                    Assert.False(decision.Allowed, $"{kind}: {t.Action} when {name}");
                    Assert.Equal(WorkflowRefusal.GuardFailed, decision.Refusal);
                    Assert.Equal(t.From[0], decision.State);
                    Assert.False(string.IsNullOrWhiteSpace(decision.Detail));
                }
            }
        }
    }

    [Fact]
    public void A_step_that_needs_a_panel_only_if_drawn_is_allowed_without_one()
    {
        var pass = Workflows.Scenario.Transitions.Single(t => t.Action == "pass");
        Assert.Equal(WorkflowGuard.PanelPassedIfDrawn, pass.Guard);
        Assert.True(Workflows.Scenario.Decide("review", "pass", pass.Role, Sufficient, WorkflowFacts.Empty(Today)).Allowed);
    }

    [Theory]
    [MemberData(nameof(Kinds))]
    public void An_unknown_action_is_refused_with_the_state_and_its_allowed_actions(string kind)
    {
        var workflow = Workflows.Find(kind)!;
        var decision = workflow.Decide(workflow.Initial, "fly", WorkflowRole.Administrator, Sufficient, WorkflowFacts.Empty(Today));

        Assert.Equal(WorkflowRefusal.UnknownAction, decision.Refusal);
        Assert.Equal(workflow.Initial, decision.State);
        Assert.Equal(ActionsFrom(workflow, workflow.Initial), decision.AllowedActions);
    }

    [Fact]
    public void A_table_that_repeats_a_step_leaves_a_final_state_or_names_an_unknown_state_is_rejected()
    {
        WorkflowState[] states = [new("open", "开", "Open"), new("closed", "关", "Closed", Final: true)];
        WorkflowTransition Close(string from = "open", string to = "closed") => new("close", [from], to, WorkflowRole.Administrator, "关", "Close");

        Assert.Throws<ArgumentException>(() => new WorkflowDefinition("demo", "示例", "Demo", "open", states, [Close(), Close()]));
        Assert.Throws<ArgumentException>(() => new WorkflowDefinition("demo", "示例", "Demo", "open", states, [Close(from: "closed", to: "open")]));
        Assert.Throws<ArgumentException>(() => new WorkflowDefinition("demo", "示例", "Demo", "open", states, [Close(to: "nowhere")]));
        Assert.Throws<ArgumentException>(() => new WorkflowDefinition("demo", "示例", "Demo", "nowhere", states, [Close()]));
        Assert.Throws<ArgumentException>(() => new WorkflowDefinition("Demo!", "示例", "Demo", "open", states, [Close()]));
        Assert.NotNull(new WorkflowDefinition("demo", "示例", "Demo", "open", states, [Close()]));
    }

    [Fact]
    public void A_state_whose_deadline_the_step_gives_cannot_be_entered_without_rectification_days()
    {
        WorkflowState[] states = [new("running", "运行", "Running"), new("suspended", "暂停", "Suspended", new DeadlineRule(0, DeadlineFrom.Input))];

        Assert.Throws<ArgumentException>(() => new WorkflowDefinition("demo", "示例", "Demo", "running", states,
            [new WorkflowTransition("suspend", ["running"], "suspended", WorkflowRole.Administrator, "暂停", "Suspend", WorkflowInputs.Comment)]));
        Assert.NotNull(new WorkflowDefinition("demo", "示例", "Demo", "running", states,
            [new WorkflowTransition("suspend", ["running"], "suspended", WorkflowRole.Administrator, "暂停", "Suspend", WorkflowInputs.Comment | WorkflowInputs.RectificationDays)]));
    }

    [Fact]
    public void The_verification_body_workflow_is_the_one_JS_40_to_42_describe()
    {
        var w = Workflows.VerificationBody;
        string Row(WorkflowTransition t) => $"{t.Action}: {string.Join("|", t.From)} -> {t.To} by {WorkflowDefinition.RoleCode(t.Role)} needs {t.Inputs}";

        Assert.Equal("applied", w.Initial);
        Assert.Equal(
            [
                "approve: applied -> approved by administrator needs Comment",
                "refuse: applied -> refused by administrator needs Comment",
                "amend: applied -> applied by applicant needs Comment, Documents",
                "suspend: approved -> suspended by administrator needs Comment, RectificationDays",
                "rectify: suspended -> suspended by applicant needs Comment, Documents",
                "reinstate: suspended -> approved by administrator needs Comment",
                "revoke: approved|suspended -> revoked by administrator needs Comment",
                "retract: applied -> retracted by applicant needs None",
            ],
            w.Transitions.Select(Row));
        Assert.Equal(["refused", "revoked", "retracted"], w.States.Where(s => s.Final).Select(s => s.Code));
    }
}
