using System.Text.RegularExpressions;

namespace Puhui.Governance;

/// <summary>Who takes a step in a governance workflow (DESIGN §3).</summary>
public enum WorkflowRole : byte
{
    /// <summary>The applicant: the organisation or person the application is from.</summary>
    Applicant = 1,

    /// <summary>The platform's operating body (运营机构), which receives, organises and reviews applications (JS 6, 14, 19).</summary>
    PlatformOperator = 2,

    /// <summary>An expert drawn onto the application's panel.</summary>
    Expert = 3,

    /// <summary>The competent department (主管部门), which files, approves, suspends and revokes.</summary>
    Administrator = 4,

    /// <summary>Anyone, without logging in: objections during a public notice.</summary>
    Public = 5,

    /// <summary>The verification body assigned to the application: validation of a project, verification of a monitoring period.</summary>
    Verifier = 6,
}

/// <summary>What a step must come with; the engine refuses a step that lacks any of them.</summary>
[Flags]
public enum WorkflowInputs
{
    None = 0,

    /// <summary>A non-empty comment: the reasons for a decision, an opinion's text, an objection's text.</summary>
    Comment = 1,

    /// <summary>At least one attached document.</summary>
    Documents = 2,

    /// <summary>A verdict, pass or fail: an expert's opinion.</summary>
    Verdict = 4,

    /// <summary>The working days allowed for rectification (整改期限).</summary>
    RectificationDays = 8,

    /// <summary>The objection answered and its outcome, upheld or dismissed.</summary>
    ObjectionOutcome = 16,

    /// <summary>The verification body to assign, by its account.</summary>
    Verifier = 32,
}

/// <summary>Conditions on the application's facts that a step needs besides its inputs; a step may need several.</summary>
[Flags]
public enum WorkflowGuard
{
    None = 0,

    /// <summary>The actor is on the current panel and has not given an opinion in this round yet.</summary>
    PanelMemberYetToOpine = 1,

    /// <summary>A panel was drawn, every member gave an opinion in this round, and the majority passed it.</summary>
    PanelPassed = 2,

    /// <summary>A panel was drawn, every member gave an opinion in this round, and the majority did not pass it.</summary>
    PanelFailed = 4,

    /// <summary>As <see cref="PanelPassed"/> when a panel was drawn; nothing when the step needed no experts (JS 19).</summary>
    PanelPassedIfDrawn = 8,

    /// <summary>The public notice has run its full term: today is after its last day.</summary>
    NoticeEnded = 16,

    /// <summary>Every objection lodged against the application has been answered.</summary>
    NoOpenObjection = 32,

    /// <summary>An objection is open and waiting for its answer.</summary>
    OpenObjection = 64,

    /// <summary>The public notice is still running: today is on or before its last day (JS 15: objections are lodged within it).</summary>
    NoticeRunning = 128,

    /// <summary>The actor acts for the verification body assigned to the application.</summary>
    AssignedVerifier = 256,
}

/// <summary>What storage does besides moving the state and recording the step.</summary>
[Flags]
public enum WorkflowEffects
{
    None = 0,

    /// <summary>Draws a new expert panel from the pool (SZ 11), which starts a new round of opinions.</summary>
    DrawPanel = 1,

    /// <summary>With <see cref="DrawPanel"/>: the draw happens only when the step asks for one (JS 19: complex scenarios).</summary>
    PanelOptional = 2,

    /// <summary>Starts a new round: the current panel gives its opinions again, on the material as it now stands.</summary>
    NewRound = 4,

    /// <summary>Records the step's comment as an objection, open until answered.</summary>
    LodgeObjection = 8,

    /// <summary>Answers one open objection with the step's outcome and comment.</summary>
    AnswerObjection = 16,

    /// <summary>Records the step's verdict and comment as the acting expert's opinion in this round.</summary>
    RecordOpinion = 32,

    /// <summary>Assigns the step's verification body to the application.</summary>
    AssignVerifier = 64,
}

/// <summary>What a step does to the clock that <see cref="DeadlineFrom.Receipt"/> deadlines count from.</summary>
public enum DeadlineFrom : byte
{
    /// <summary>From the day the material was received (JS 14, 19): the application, or an objection that reopens it.</summary>
    Receipt = 1,

    /// <summary>From the day the application entered the state.</summary>
    StateEntry = 2,

    /// <summary>From the day the application entered the state, by the working days the step's input gave.</summary>
    Input = 3,
}

/// <summary>
/// How long an application may stay in a state, in working days. A <see cref="Minimum"/> rule is a term that must
/// run in full before the application may move on (a public notice of at least five working days); otherwise it
/// is a deadline by which the state's holder must act, listed as overdue once passed.
/// </summary>
public sealed record DeadlineRule(int WorkingDays, DeadlineFrom From, bool Minimum = false)
{
    /// <summary>The last day of the term or deadline, counted in working days from the receipt or entry day, which is not counted.</summary>
    public DateOnly DueOn(WorkingDayCalendar calendar, DateOnly receivedOn, DateOnly enteredOn, int? inputDays)
    {
        ArgumentNullException.ThrowIfNull(calendar);
        return From switch
        {
            DeadlineFrom.Receipt => calendar.AddWorkingDays(receivedOn, WorkingDays),
            DeadlineFrom.StateEntry => calendar.AddWorkingDays(enteredOn, WorkingDays),
            DeadlineFrom.Input => calendar.AddWorkingDays(enteredOn, inputDays ?? throw new ArgumentNullException(nameof(inputDays), "The step gives no working days.")),
            _ => throw new ArgumentOutOfRangeException(nameof(From), From, "Not a deadline origin."),
        };
    }
}

/// <summary>One state of a workflow, with its names for people and the deadline that runs while an application is in it.</summary>
public sealed record WorkflowState(string Code, string NameZh, string NameEn, DeadlineRule? Deadline = null, bool Final = false);

/// <summary>
/// One allowed step: from which states, to which state (the same state for a step that only records, such as an
/// expert's opinion), which role takes it, what it must come with and what must hold.
/// </summary>
/// <param name="Receipt">The step receives new material, so deadlines counted from receipt start again today.</param>
public sealed record WorkflowTransition(string Action, IReadOnlyList<string> From, string To, WorkflowRole Role, string NameZh, string NameEn,
    WorkflowInputs Inputs = WorkflowInputs.None, WorkflowGuard Guard = WorkflowGuard.None, bool Receipt = false, WorkflowEffects Effects = WorkflowEffects.None);

/// <summary>What the engine is told about an application when it decides a step.</summary>
/// <param name="Today">The local day of the step.</param>
/// <param name="NoticeEndsOn">The last day of the running public notice, if any.</param>
/// <param name="Panel">The experts on the application's current panel.</param>
/// <param name="Opinions">Each current panel member's verdict so far (true passes).</param>
/// <param name="OpenObjections">Objections lodged and not yet answered.</param>
/// <param name="ActorExpert">The expert taking the step, if an expert takes it.</param>
/// <param name="AssignedVerifier">The account of the verification body assigned to the application, if any.</param>
/// <param name="ActorAccount">The account the actor acts for, if any.</param>
public sealed record WorkflowFacts(DateOnly Today, DateOnly? NoticeEndsOn, IReadOnlyCollection<long> Panel, IReadOnlyDictionary<long, bool> Opinions, int OpenObjections,
    long? ActorExpert, long? AssignedVerifier = null, long? ActorAccount = null)
{
    public static WorkflowFacts Empty(DateOnly today) => new(today, null, [], new Dictionary<long, bool>(), 0, null);
}

/// <summary>What the step comes with.</summary>
public sealed record WorkflowInput(string Comment, int Documents, bool? Verdict = null, int? RectificationDays = null, bool? ObjectionUpheld = null, long? Verifier = null)
{
    public static readonly WorkflowInput None = new("", 0);
}

/// <summary>Why a step was refused; <see cref="WorkflowDecision.Allowed"/> carries none.</summary>
public enum WorkflowRefusal : byte
{
    /// <summary>The workflow has no step of that name.</summary>
    UnknownAction = 1,

    /// <summary>The step exists but not from the application's current state.</summary>
    NotAllowedInState = 2,

    /// <summary>The step is allowed here, but another role takes it.</summary>
    WrongRole = 3,

    /// <summary>An input the step needs is missing or out of range.</summary>
    MissingInput = 4,

    /// <summary>A condition on the application's facts does not hold.</summary>
    GuardFailed = 5,
}

/// <summary>The engine's answer: the step to take, or why not, with the state and the steps that are allowed there.</summary>
public sealed record WorkflowDecision(WorkflowTransition? Transition, WorkflowRefusal? Refusal, string State, IReadOnlyList<string> AllowedActions, string? Detail)
{
    public bool Allowed => Transition is not null;
}

/// <summary>
/// A governance workflow as one table: its states, and each allowed step with the role that takes it, what it
/// needs and where it leads. The engine decides; storage records. Nothing here reads a clock or a database.
/// </summary>
public sealed partial class WorkflowDefinition
{
    public const int CommentLengthMax = 4_000;
    public const int RectificationDaysMax = 120;

    private readonly Dictionary<string, WorkflowState> _states;

    public WorkflowDefinition(string kind, string nameZh, string nameEn, string initial, IReadOnlyList<WorkflowState> states, IReadOnlyList<WorkflowTransition> transitions)
    {
        ArgumentNullException.ThrowIfNull(states);
        ArgumentNullException.ThrowIfNull(transitions);
        if (!CodePattern().IsMatch(kind)) throw new ArgumentException($"'{kind}' is not a workflow code.", nameof(kind));
        _states = states.ToDictionary(s => s.Code, StringComparer.Ordinal);
        if (!_states.ContainsKey(initial)) throw new ArgumentException($"The initial state {initial} is not a state of {kind}.", nameof(initial));
        foreach (var t in transitions)
        {
            if (!CodePattern().IsMatch(t.Action)) throw new ArgumentException($"'{t.Action}' is not an action code.", nameof(transitions));
            foreach (var from in t.From.Append(t.To))
            {
                if (!_states.ContainsKey(from)) throw new ArgumentException($"{kind}: {t.Action} names the unknown state {from}.", nameof(transitions));
            }

            if (t.From.Any(f => _states[f].Final)) throw new ArgumentException($"{kind}: {t.Action} leaves a final state.", nameof(transitions));
            if (t.To != initial && _states[t.To].Deadline is { From: DeadlineFrom.Input } && !t.Inputs.HasFlag(WorkflowInputs.RectificationDays) && !t.From.Contains(t.To))
                throw new ArgumentException($"{kind}: {t.Action} enters {t.To}, whose deadline comes from the step, without asking for it.", nameof(transitions));
        }

        var duplicate = transitions.SelectMany(t => t.From.Select(f => (f, t.Action))).GroupBy(x => x).FirstOrDefault(g => g.Count() > 1);
        if (duplicate is not null) throw new ArgumentException($"{kind}: {duplicate.Key.Action} is listed twice from {duplicate.Key.f}.", nameof(transitions));
        Kind = kind;
        NameZh = nameZh;
        NameEn = nameEn;
        Initial = initial;
        States = states;
        Transitions = transitions;
    }

    /// <summary>The workflow's code, e.g. <c>methodology</c>; also the first segment of its applications' audit entries.</summary>
    public string Kind { get; }

    public string NameZh { get; }
    public string NameEn { get; }

    /// <summary>The state a new application starts in.</summary>
    public string Initial { get; }

    /// <summary>The action that opens an application on the log: <c>submit</c>, or <c>draft</c> for a workflow that starts in a draft.</summary>
    public string OpeningAction => Initial == "draft" ? "draft" : "submit";

    public IReadOnlyList<WorkflowState> States { get; }
    public IReadOnlyList<WorkflowTransition> Transitions { get; }

    public WorkflowState State(string code) => _states.TryGetValue(code, out var state) ? state : throw new ArgumentException($"{Kind} has no state {code}.", nameof(code));

    public bool HasState(string code) => _states.ContainsKey(code);

    /// <summary>The steps allowed from <paramref name="state"/>, for any role or only <paramref name="role"/>'s.</summary>
    public IReadOnlyList<WorkflowTransition> AllowedFrom(string state, WorkflowRole? role = null)
        => Transitions.Where(t => t.From.Contains(state, StringComparer.Ordinal) && (role is null || t.Role == role)).ToList();

    /// <summary>
    /// Decides whether <paramref name="role"/> may take <paramref name="action"/> from <paramref name="state"/> with
    /// <paramref name="input"/>, given <paramref name="facts"/>. A refusal names the state and the allowed steps.
    /// </summary>
    public WorkflowDecision Decide(string state, string action, WorkflowRole role, WorkflowInput input, WorkflowFacts facts)
    {
        ArgumentNullException.ThrowIfNull(input);
        ArgumentNullException.ThrowIfNull(facts);
        var allowed = AllowedFrom(state).Select(t => t.Action).ToList();
        WorkflowDecision Refuse(WorkflowRefusal refusal, string detail) => new(null, refusal, state, allowed, detail);

        var candidates = Transitions.Where(t => t.Action == action).ToList();
        if (candidates.Count == 0) return Refuse(WorkflowRefusal.UnknownAction, $"{Kind} has no action {action}");
        var transition = candidates.FirstOrDefault(t => t.From.Contains(state, StringComparer.Ordinal));
        if (transition is null)
            return Refuse(WorkflowRefusal.NotAllowedInState, $"{action} is not allowed while the application is {state}; allowed: {Describe(allowed)}");
        if (transition.Role != role)
            return Refuse(WorkflowRefusal.WrongRole, $"{action} is taken by the {RoleCode(transition.Role)}, not the {RoleCode(role)}");
        if (MissingInput(transition.Inputs, input) is { } missing) return Refuse(WorkflowRefusal.MissingInput, missing);
        if (GuardProblem(transition.Guard, facts) is { } guard) return Refuse(WorkflowRefusal.GuardFailed, guard);
        return new WorkflowDecision(transition, null, state, allowed, null);
    }

    public static string RoleCode(WorkflowRole role) => role switch
    {
        WorkflowRole.Applicant => "applicant",
        WorkflowRole.PlatformOperator => "platform-operator",
        WorkflowRole.Expert => "expert",
        WorkflowRole.Administrator => "administrator",
        WorkflowRole.Public => "public",
        WorkflowRole.Verifier => "verifier",
        _ => "unknown",
    };

    private static string Describe(IReadOnlyList<string> actions) => actions.Count == 0 ? "none (the application is closed)" : string.Join(", ", actions);

    private static string? MissingInput(WorkflowInputs needed, WorkflowInput input)
    {
        if (input.Comment.Length > CommentLengthMax) return $"a comment is at most {CommentLengthMax} characters";
        if (needed.HasFlag(WorkflowInputs.Comment) && string.IsNullOrWhiteSpace(input.Comment)) return "this step needs a comment giving its reasons";
        if (needed.HasFlag(WorkflowInputs.Documents) && input.Documents == 0) return "this step needs at least one document";
        if (needed.HasFlag(WorkflowInputs.Verdict) && input.Verdict is null) return "this step needs a verdict: pass or fail";
        if (needed.HasFlag(WorkflowInputs.RectificationDays) && input.RectificationDays is not (>= 1 and <= RectificationDaysMax))
            return $"this step needs rectificationDays, 1–{RectificationDaysMax} working days";
        if (needed.HasFlag(WorkflowInputs.ObjectionOutcome) && input.ObjectionUpheld is null) return "this step needs the objection answered and its outcome: upheld or dismissed";
        if (needed.HasFlag(WorkflowInputs.Verifier) && input.Verifier is not > 0) return "this step needs the verification body to assign: verifier, its account id";
        return null;
    }

    private static string? GuardProblem(WorkflowGuard guards, WorkflowFacts facts)
    {
        foreach (var guard in Enum.GetValues<WorkflowGuard>())
        {
            if (guard != WorkflowGuard.None && guards.HasFlag(guard) && GuardProblemOf(guard, facts) is { } problem) return problem;
        }

        return null;
    }

    private static string? GuardProblemOf(WorkflowGuard guard, WorkflowFacts facts)
    {
        var opinions = facts.Panel.Where(facts.Opinions.ContainsKey).ToList();
        var passes = opinions.Count(e => facts.Opinions[e]);
        string? PanelProblem(bool wantPass)
        {
            if (facts.Panel.Count == 0) return "no panel has been drawn for this application";
            if (opinions.Count < facts.Panel.Count) return $"{facts.Panel.Count - opinions.Count} of {facts.Panel.Count} panel opinions are outstanding";
            var passed = passes * 2 > facts.Panel.Count;
            if (passed == wantPass) return null;
            return wantPass ? $"the panel did not pass it ({passes} of {facts.Panel.Count} passed)" : $"the panel passed it ({passes} of {facts.Panel.Count} passed)";
        }

        return guard switch
        {
            WorkflowGuard.PanelMemberYetToOpine when facts.ActorExpert is not { } expert || !facts.Panel.Contains(expert) => "only an expert on the application's current panel gives an opinion",
            WorkflowGuard.PanelMemberYetToOpine when facts.Opinions.ContainsKey(facts.ActorExpert!.Value) => "this expert has already given an opinion in this round",
            WorkflowGuard.PanelPassed => PanelProblem(wantPass: true),
            WorkflowGuard.PanelFailed => PanelProblem(wantPass: false),
            WorkflowGuard.PanelPassedIfDrawn when facts.Panel.Count > 0 => PanelProblem(wantPass: true),
            WorkflowGuard.NoticeEnded when facts.NoticeEndsOn is not { } => "no public notice is running",
            WorkflowGuard.NoticeEnded when facts.Today <= facts.NoticeEndsOn => $"the public notice runs until {facts.NoticeEndsOn:yyyy-MM-dd} inclusive",
            WorkflowGuard.NoticeRunning when facts.NoticeEndsOn is not { } => "no public notice is running",
            WorkflowGuard.NoticeRunning when facts.Today > facts.NoticeEndsOn => $"the public notice ended on {facts.NoticeEndsOn:yyyy-MM-dd}",
            WorkflowGuard.AssignedVerifier when facts.AssignedVerifier is null => "no verification body is assigned to this application",
            WorkflowGuard.AssignedVerifier when facts.ActorAccount != facts.AssignedVerifier => $"only the assigned verification body (account {facts.AssignedVerifier}) takes this step",
            WorkflowGuard.NoOpenObjection when facts.OpenObjections > 0 => $"{facts.OpenObjections} objection(s) are waiting for an answer",
            WorkflowGuard.OpenObjection when facts.OpenObjections == 0 => "no objection is waiting for an answer",
            _ => null,
        };
    }

    [GeneratedRegex("^[a-z][a-z-]{1,47}$", RegexOptions.CultureInvariant)]
    private static partial Regex CodePattern();
}
