namespace Puhui.Governance;

/// <summary>
/// The governance workflows (DESIGN §10), each as one table. Deadlines are in working days and follow the seeds:
/// a methodology is evaluated within 20 working days of receipt and noticed publicly for at least 5 (JS 14); a
/// scenario is reviewed within 10 working days of receipt (JS 19); a suspension runs to the rectification
/// deadline its step sets (JS 22).
/// </summary>
public static class Workflows
{
    public const int MethodologyEvaluationWorkingDays = 20;
    public const int PublicNoticeWorkingDaysMin = 5;
    public const int ScenarioReviewWorkingDays = 10;

    private const WorkflowInputs Comment = WorkflowInputs.Comment;

    /// <summary>
    /// A methodology application (JS 13–16, SZ 11): submitted to the operating body, evaluated by a drawn panel,
    /// noticed publicly, filed and published by the administrator, then later revised by a newer version or withdrawn.
    /// An objection during the notice sends it back to evaluation, where the panel looks again once it is answered.
    /// </summary>
    public static readonly WorkflowDefinition Methodology = new("methodology", "方法学申请", "Methodology application", "submitted",
        [
            new("submitted", "已提交", "Submitted", new DeadlineRule(MethodologyEvaluationWorkingDays, DeadlineFrom.Receipt)),
            new("evaluation", "专家评估", "Expert evaluation", new DeadlineRule(MethodologyEvaluationWorkingDays, DeadlineFrom.Receipt)),
            new("public-notice", "公示中", "Public notice", new DeadlineRule(PublicNoticeWorkingDaysMin, DeadlineFrom.StateEntry, Minimum: true)),
            new("filed", "已备案", "Filed"),
            new("revised", "已被新版本替代", "Revised", Final: true),
            new("withdrawn", "已废止", "Withdrawn", Final: true),
            new("rejected", "未通过", "Rejected", Final: true),
            new("retracted", "申请已撤回", "Retracted", Final: true),
        ],
        [
            new("accept", ["submitted"], "evaluation", WorkflowRole.PlatformOperator, "受理并抽取专家", "Accept and draw a panel", Effects: WorkflowEffects.DrawPanel),
            new("reject", ["submitted"], "rejected", WorkflowRole.PlatformOperator, "不予受理", "Reject", Comment),
            new("opinion", ["evaluation"], "evaluation", WorkflowRole.Expert, "提交评估意见", "Give an opinion", Comment | WorkflowInputs.Verdict,
                WorkflowGuard.PanelMemberYetToOpine, Effects: WorkflowEffects.RecordOpinion),
            new("redraw", ["evaluation"], "evaluation", WorkflowRole.PlatformOperator, "重新抽取专家", "Draw a new panel", Comment,
                Effects: WorkflowEffects.DrawPanel | WorkflowEffects.NewRound),
            new("amend", ["evaluation"], "evaluation", WorkflowRole.Applicant, "补充修改材料", "Amend the application", Comment | WorkflowInputs.Documents,
                Receipt: true, Effects: WorkflowEffects.NewRound),
            new("answer-objection", ["evaluation"], "evaluation", WorkflowRole.PlatformOperator, "答复异议", "Answer an objection", Comment | WorkflowInputs.ObjectionOutcome,
                WorkflowGuard.OpenObjection, Effects: WorkflowEffects.AnswerObjection),
            new("publish", ["evaluation"], "public-notice", WorkflowRole.PlatformOperator, "评估通过，公示", "Pass and give public notice", Comment,
                WorkflowGuard.PanelPassed | WorkflowGuard.NoOpenObjection),
            new("fail", ["evaluation"], "rejected", WorkflowRole.PlatformOperator, "评估未通过", "Fail the evaluation", Comment, WorkflowGuard.PanelFailed),
            new("object", ["public-notice"], "evaluation", WorkflowRole.Public, "提出异议", "Lodge an objection", Comment, WorkflowGuard.NoticeRunning,
                Receipt: true, Effects: WorkflowEffects.LodgeObjection | WorkflowEffects.NewRound),
            new("file", ["public-notice"], "filed", WorkflowRole.Administrator, "备案并公布", "File and publish", Guard: WorkflowGuard.NoticeEnded | WorkflowGuard.NoOpenObjection),
            new("retract", ["submitted", "evaluation", "public-notice"], "retracted", WorkflowRole.Applicant, "撤回申请", "Retract the application"),
            new("supersede", ["filed"], "revised", WorkflowRole.Administrator, "由新版本替代", "Superseded by a new version"),
            new("withdraw", ["filed"], "withdrawn", WorkflowRole.Administrator, "废止", "Withdraw", Comment),
        ]);

    /// <summary>
    /// A scenario application (JS 18–22, SZ 12–15): reviewed by the operating body within 10 working days of receipt,
    /// with experts for complex scenarios; reported to the administrator for filing; then connected and running.
    /// Only running scenarios ingest. A running scenario may be suspended for rectification by a deadline, resumed,
    /// or terminated.
    /// </summary>
    public static readonly WorkflowDefinition Scenario = new("scenario", "减排场景申请", "Scenario application", "applied",
        [
            new("applied", "已申请", "Applied", new DeadlineRule(ScenarioReviewWorkingDays, DeadlineFrom.Receipt)),
            new("review", "审查中", "Under review", new DeadlineRule(ScenarioReviewWorkingDays, DeadlineFrom.Receipt)),
            new("filing", "待备案", "Awaiting filing"),
            new("filed", "已备案", "Filed"),
            new("running", "运行中", "Running"),
            new("suspended", "暂停整改", "Suspended for rectification", new DeadlineRule(0, DeadlineFrom.Input)),
            new("terminated", "已终止", "Terminated", Final: true),
            new("refused", "未通过", "Refused", Final: true),
            new("retracted", "申请已撤回", "Retracted", Final: true),
        ],
        [
            new("accept", ["applied"], "review", WorkflowRole.PlatformOperator, "受理审查", "Accept for review", Effects: WorkflowEffects.DrawPanel | WorkflowEffects.PanelOptional),
            new("opinion", ["review"], "review", WorkflowRole.Expert, "提交审查意见", "Give an opinion", Comment | WorkflowInputs.Verdict,
                WorkflowGuard.PanelMemberYetToOpine, Effects: WorkflowEffects.RecordOpinion),
            new("amend", ["review"], "review", WorkflowRole.Applicant, "补充修改材料", "Amend the application", Comment | WorkflowInputs.Documents,
                Receipt: true, Effects: WorkflowEffects.NewRound),
            new("pass", ["review"], "filing", WorkflowRole.PlatformOperator, "审查通过，报备案", "Pass and report for filing", Comment, WorkflowGuard.PanelPassedIfDrawn),
            new("refuse", ["applied", "review"], "refused", WorkflowRole.PlatformOperator, "审查未通过", "Refuse", Comment),
            new("file", ["filing"], "filed", WorkflowRole.Administrator, "备案", "File"),
            new("start", ["filed"], "running", WorkflowRole.PlatformOperator, "接入运行", "Start running"),
            new("suspend", ["running"], "suspended", WorkflowRole.PlatformOperator, "暂停并限期整改", "Suspend for rectification", Comment | WorkflowInputs.RectificationDays),
            new("rectify", ["suspended"], "suspended", WorkflowRole.Applicant, "提交整改报告", "Report the rectification", Comment | WorkflowInputs.Documents),
            new("resume", ["suspended"], "running", WorkflowRole.PlatformOperator, "整改完成，恢复运行", "Resume", Comment),
            new("terminate", ["running", "suspended"], "terminated", WorkflowRole.PlatformOperator, "终止", "Terminate", Comment),
            new("retract", ["applied", "review", "filing"], "retracted", WorkflowRole.Applicant, "撤回申请", "Retract the application"),
        ]);

    /// <summary>
    /// A verification body's qualification (JS 40–42): the application records the JS 40 conditions; the
    /// administrator approves or refuses, and may suspend an approved body for rectification, reinstate it or
    /// revoke it. Only approved bodies are assigned validations and verifications.
    /// </summary>
    public static readonly WorkflowDefinition VerificationBody = new("verification-body", "核查机构申请", "Verification body application", "applied",
        [
            new("applied", "已申请", "Applied"),
            new("approved", "已认定", "Approved"),
            new("suspended", "暂停整改", "Suspended for rectification", new DeadlineRule(0, DeadlineFrom.Input)),
            new("refused", "未通过", "Refused", Final: true),
            new("revoked", "已撤销", "Revoked", Final: true),
            new("retracted", "申请已撤回", "Retracted", Final: true),
        ],
        [
            new("approve", ["applied"], "approved", WorkflowRole.Administrator, "认定", "Approve", Comment),
            new("refuse", ["applied"], "refused", WorkflowRole.Administrator, "不予认定", "Refuse", Comment),
            new("amend", ["applied"], "applied", WorkflowRole.Applicant, "补充材料", "Amend the application", Comment | WorkflowInputs.Documents, Receipt: true),
            new("suspend", ["approved"], "suspended", WorkflowRole.Administrator, "暂停并限期整改", "Suspend for rectification", Comment | WorkflowInputs.RectificationDays),
            new("rectify", ["suspended"], "suspended", WorkflowRole.Applicant, "提交整改报告", "Report the rectification", Comment | WorkflowInputs.Documents),
            new("reinstate", ["suspended"], "approved", WorkflowRole.Administrator, "恢复", "Reinstate", Comment),
            new("revoke", ["approved", "suspended"], "revoked", WorkflowRole.Administrator, "撤销认定", "Revoke", Comment),
            new("retract", ["applied"], "retracted", WorkflowRole.Applicant, "撤回申请", "Retract the application"),
        ]);

    public static IReadOnlyList<WorkflowDefinition> All { get; } = [Methodology, Scenario, VerificationBody];

    public static WorkflowDefinition? Find(string kind) => All.FirstOrDefault(d => d.Kind == kind);
}
