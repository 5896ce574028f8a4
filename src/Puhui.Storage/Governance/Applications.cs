using System.Text.Json.Serialization;
using Puhui.Governance;
using Puhui.Ledger;

namespace Puhui.Storage.Governance;

/// <summary>An application moving through a governance workflow, as the store holds it.</summary>
/// <param name="Subject">What it is for: a methodology's <c>id@version</c>, a scenario's code, a verification body's account id.</param>
/// <param name="ReceivedOn">The day deadlines counted from receipt start: the submission, or the latest material that reopened it.</param>
/// <param name="EnteredOn">The day it entered its state.</param>
/// <param name="DueOn">The state's deadline, or for a public notice its last day.</param>
/// <param name="Panel">The experts on its current panel, from <paramref name="PanelDrawId"/>.</param>
/// <param name="Round">The round of opinions; an objection or an amendment starts a new one.</param>
/// <param name="Payload">What was applied for, as JSON.</param>
/// <param name="Assignee">The verification body assigned to validate or verify it, if any.</param>
public sealed record Application(long Id, string Kind, string Subject, string TitleZh, string TitleEn, AccountId Applicant, string ApplicantName, string State,
    DateOnly ReceivedOn, DateOnly EnteredOn, DateOnly? DueOn, long? PanelDrawId, IReadOnlyList<long> Panel, int Round, string Payload, int Revision,
    DateTimeOffset CreatedAt, DateTimeOffset UpdatedAt, AccountId? Assignee = null)
{
    public WorkflowDefinition Definition => Workflows.Find(Kind) ?? throw new InvalidOperationException($"Application {Id} is of the unknown kind {Kind}.");

    public bool IsOpen => !Definition.State(State).Final;
}

/// <summary>Who takes a step: their role, a name for the record, and the account or expert they act for.</summary>
public sealed record Actor(WorkflowRole Role, string Name, AccountId? Account = null, long? Expert = null);

/// <summary>The panel a step asks to be drawn: the fields its experts must cover and how many sit on it.</summary>
public sealed record PanelSpec(IReadOnlyList<string> Fields, int Size);

/// <summary>A step to take on an application, with what it comes with.</summary>
/// <param name="Documents">SHA-256 of documents already stored with <see cref="DocumentStore"/>.</param>
/// <param name="ObjectionId">The objection an answer is for.</param>
/// <param name="ObjectorName">The name an objector gives; anonymous when empty.</param>
/// <param name="Verifier">The verification body to assign, by its account.</param>
/// <param name="Grams">A quantity the step records: a verifier's figure for a monitoring period in place of the claim (its reason in the comment), the grams a reversal lost.</param>
/// <param name="Retirement">The retirement a neutrality claim's match step counts towards it.</param>
public sealed record Step(string Action, string Comment = "", IReadOnlyList<string>? Documents = null, bool? Verdict = null, int? RectificationDays = null,
    long? ObjectionId = null, bool? ObjectionUpheld = null, PanelSpec? Panel = null, string? ObjectorName = null, long? Verifier = null, long? Grams = null,
    long? Retirement = null)
{
    public const int DocumentsMax = 20;
    public const int ObjectorNameLengthMax = 100;
}

public enum StepStatus
{
    Done,
    NotFound,

    /// <summary>The workflow refuses the step; the decision names the state and the allowed actions.</summary>
    Refused,

    /// <summary>An applicant's step taken by someone who is not the applicant.</summary>
    NotApplicant,

    /// <summary>An attached document is not in the store.</summary>
    DocumentMissing,

    /// <summary>The pool cannot seat the panel asked for.</summary>
    PanelShortfall,

    /// <summary>The step is allowed, but what it would do is not (e.g. filing a version that is already filed).</summary>
    Conflict,

    /// <summary>The request is malformed: a limit exceeded, a title missing.</summary>
    Invalid,
}

/// <summary>The outcome of a step: the application after it and its log entry, or why it was refused.</summary>
/// <param name="ConflictsWith">For a <see cref="StepStatus.Conflict"/> that collides with another record (a duplicate project), that record's id.</param>
public sealed record StepResult(StepStatus Status, Application? Application, WorkflowDecision? Decision, GovernanceEntry? Entry, string? Detail, long? ConflictsWith = null)
{
    public bool Succeeded => Status == StepStatus.Done;
}

public enum ObjectionOutcome : byte
{
    Open = 0,
    Upheld = 1,
    Dismissed = 2,
}

/// <summary>An objection lodged during a public notice, and its answer.</summary>
public sealed record Objection(long Id, long ApplicationId, DateTimeOffset LodgedAt, string LodgedBy, string Text, ObjectionOutcome Outcome, string Response,
    DateTimeOffset? AnsweredAt);

/// <summary>One expert's opinion in one round.</summary>
public sealed record Opinion(long ApplicationId, int Round, long Expert, bool Passed, string Comment, DateTimeOffset At);

/// <summary>What a step did besides moving the state, as recorded in its log entry's data.</summary>
public sealed record StepData
{
    public string? PayloadSha256 { get; init; }
    public int? Round { get; init; }
    public long? PanelDrawId { get; init; }
    public IReadOnlyList<long>? Panel { get; init; }
    public bool? Verdict { get; init; }
    public long? ObjectionId { get; init; }
    public bool? ObjectionUpheld { get; init; }
    public string? Objector { get; init; }
    public int? RectificationDays { get; init; }
    public string? ReceivedOn { get; init; }
    public string? DueOn { get; init; }
    public string? Note { get; init; }
    public long? Verifier { get; init; }
    public long? AdjustedGrams { get; init; }
    public string? TransactionId { get; init; }
    public long? Grams { get; init; }
    public long? RetirementId { get; init; }
    public string? CertificateCode { get; init; }
}

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase, DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(StepData))]
[JsonSerializable(typeof(IReadOnlyList<string>))]
[JsonSerializable(typeof(IReadOnlyList<long>))]
internal sealed partial class GovernanceJson : JsonSerializerContext;
