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

    /// <summary>
    /// Working days the platform gives each registry step. The seeds set no figure for projects; these are the
    /// platform's service levels, counted like the seeds' deadlines and listed on the desk when passed.
    /// </summary>
    public const int RegistryAssignmentWorkingDays = 10;
    public const int RegistryVerificationWorkingDays = 30;
    public const int RegistryReviewWorkingDays = 20;

    private static readonly DeadlineRule Assignment = new(RegistryAssignmentWorkingDays, DeadlineFrom.Receipt);
    private static readonly DeadlineRule Verification = new(RegistryVerificationWorkingDays, DeadlineFrom.StateEntry);
    private static readonly DeadlineRule Review = new(RegistryReviewWorkingDays, DeadlineFrom.StateEntry);
    private static readonly DeadlineRule Decision = new(RegistryAssignmentWorkingDays, DeadlineFrom.StateEntry);

    /// <summary>
    /// A project's registration (NJ 7 and annex 2, SH 5–6, JS 46, SZ 21–23): drafted and submitted by its developer,
    /// validated by an approved verification body the operating body assigns (for aggregator projects, the one the
    /// authority commissioned, SZ 21), reviewed by a drawn panel, and registered by the administrator. A registered
    /// project's reversals (a sink lost to fire) are reported on the same record.
    /// </summary>
    public static readonly WorkflowDefinition Project = new("project", "碳普惠项目登记", "Project registration", "draft",
        [
            new("draft", "草稿", "Draft"),
            new("submitted", "已提交", "Submitted", Assignment),
            new("validation", "审定中", "Under validation", Verification),
            new("validated", "已审定", "Validated", Decision),
            new("expert-review", "专家评审", "Expert review", Review),
            new("registered", "已登记", "Registered"),
            new("rejected", "未通过", "Rejected", Final: true),
            new("retracted", "申请已撤回", "Retracted", Final: true),
        ],
        [
            new("amend", ["draft"], "draft", WorkflowRole.Applicant, "补充材料", "Add documents", WorkflowInputs.Documents),
            new("submit", ["draft"], "submitted", WorkflowRole.Applicant, "提交登记申请", "Submit for registration", WorkflowInputs.Documents, Receipt: true),
            new("assign-validation", ["submitted"], "validation", WorkflowRole.PlatformOperator, "委托审定机构", "Assign a validation body", WorkflowInputs.Verifier,
                Effects: WorkflowEffects.AssignVerifier),
            new("reassign", ["validation"], "validation", WorkflowRole.PlatformOperator, "更换审定机构", "Assign another validation body", Comment | WorkflowInputs.Verifier,
                Effects: WorkflowEffects.AssignVerifier),
            new("validate", ["validation"], "validated", WorkflowRole.Verifier, "出具审定报告", "Validate", Comment | WorkflowInputs.Documents, WorkflowGuard.AssignedVerifier),
            new("refuse-validation", ["validation"], "rejected", WorkflowRole.Verifier, "审定不通过", "Refuse validation", Comment | WorkflowInputs.Documents,
                WorkflowGuard.AssignedVerifier),
            new("accept", ["validated"], "expert-review", WorkflowRole.PlatformOperator, "组织专家评审", "Draw a review panel", Effects: WorkflowEffects.DrawPanel),
            new("opinion", ["expert-review"], "expert-review", WorkflowRole.Expert, "提交评审意见", "Give an opinion", Comment | WorkflowInputs.Verdict,
                WorkflowGuard.PanelMemberYetToOpine, Effects: WorkflowEffects.RecordOpinion),
            new("register", ["expert-review"], "registered", WorkflowRole.Administrator, "登记并公布", "Register and publish", Comment, WorkflowGuard.PanelPassed),
            new("reject", ["expert-review"], "rejected", WorkflowRole.Administrator, "不予登记", "Reject", Comment, WorkflowGuard.PanelFailed),
            new("report-reversal", ["registered"], "registered", WorkflowRole.PlatformOperator, "记录碳汇损失并以缓冲库补足", "Record a reversal made good from the buffer",
                Comment | WorkflowInputs.Documents),
            new("retract", ["draft", "submitted"], "retracted", WorkflowRole.Applicant, "撤回申请", "Retract the application"),
        ]);

    /// <summary>
    /// One monitoring period of a registered project: the developer's monitoring report (its claim computed by the
    /// project's methodology), verification by an assigned approved body (which may adjust the figure, giving its
    /// reason), review by a drawn panel, approval, and issuance by the administrator as one batch.
    /// </summary>
    public static readonly WorkflowDefinition MonitoringPeriod = new("monitoring-period", "监测期减排量核证签发", "Monitoring period", "submitted",
        [
            new("submitted", "监测报告已提交", "Report submitted", Assignment),
            new("verification", "核证中", "Under verification", Verification),
            new("verified", "已核证", "Verified", Decision),
            new("expert-review", "专家评审", "Expert review", Review),
            new("approved", "待签发", "Approved for issuance", Decision),
            new("issued", "已签发", "Issued", Final: true),
            new("rejected", "未通过", "Rejected", Final: true),
            new("retracted", "已撤回", "Retracted", Final: true),
        ],
        [
            new("assign-verification", ["submitted"], "verification", WorkflowRole.PlatformOperator, "委托核证机构", "Assign a verification body", WorkflowInputs.Verifier,
                Effects: WorkflowEffects.AssignVerifier),
            new("reassign", ["verification"], "verification", WorkflowRole.PlatformOperator, "更换核证机构", "Assign another verification body", Comment | WorkflowInputs.Verifier,
                Effects: WorkflowEffects.AssignVerifier),
            new("verify", ["verification"], "verified", WorkflowRole.Verifier, "出具核证报告", "Verify", Comment | WorkflowInputs.Documents, WorkflowGuard.AssignedVerifier),
            new("refuse-verification", ["verification"], "rejected", WorkflowRole.Verifier, "核证不通过", "Refuse verification", Comment | WorkflowInputs.Documents,
                WorkflowGuard.AssignedVerifier),
            new("accept", ["verified"], "expert-review", WorkflowRole.PlatformOperator, "组织专家评审", "Draw a review panel", Effects: WorkflowEffects.DrawPanel),
            new("opinion", ["expert-review"], "expert-review", WorkflowRole.Expert, "提交评审意见", "Give an opinion", Comment | WorkflowInputs.Verdict,
                WorkflowGuard.PanelMemberYetToOpine, Effects: WorkflowEffects.RecordOpinion),
            new("approve", ["expert-review"], "approved", WorkflowRole.PlatformOperator, "评审通过，报请签发", "Approve for issuance", Comment, WorkflowGuard.PanelPassed),
            new("reject", ["expert-review"], "rejected", WorkflowRole.PlatformOperator, "评审不通过", "Reject", Comment, WorkflowGuard.PanelFailed),
            new("issue", ["approved"], "issued", WorkflowRole.Administrator, "签发", "Issue"),
            new("retract", ["submitted"], "retracted", WorkflowRole.Applicant, "撤回", "Retract the report"),
        ]);

    /// <summary>Working days the administrator has to decide a neutrality claim: the platform's service level, as for registry decisions.</summary>
    public const int NeutralityReviewWorkingDays = 10;

    /// <summary>
    /// A carbon-neutrality claim (JS 28–29, SZ 26, NJ 10): an organisation states an event's or a period's emissions
    /// with the third-party report, matches them with its retirements (retiring against the claim, or matching ones
    /// it retired before), and asks for certification; the administrator certifies, and the platform issues a signed
    /// certificate, or returns or refuses the claim. A certificate can later be revoked, never edited. A retirement
    /// counts towards one live claim only; a refused or retracted claim frees its retirements.
    /// </summary>
    public static readonly WorkflowDefinition NeutralityClaim = new("neutrality-claim", "碳中和认定申请", "Carbon-neutrality claim", "matching",
        [
            new("matching", "匹配注销量", "Matching retirements"),
            new("review", "主管部门审核", "Under review", new DeadlineRule(NeutralityReviewWorkingDays, DeadlineFrom.StateEntry)),
            new("certified", "已颁发证书", "Certified"),
            new("refused", "未通过", "Refused", Final: true),
            new("retracted", "申请已撤回", "Retracted", Final: true),
            new("revoked", "证书已撤销", "Certificate revoked", Final: true),
        ],
        [
            new("match", ["matching"], "matching", WorkflowRole.Applicant, "匹配注销量", "Match a retirement"),
            new("amend", ["matching"], "matching", WorkflowRole.Applicant, "补充材料", "Add documents", Comment | WorkflowInputs.Documents),
            new("request-certification", ["matching"], "review", WorkflowRole.Applicant, "申请认定", "Ask for certification", Receipt: true),
            new("return", ["review"], "matching", WorkflowRole.Administrator, "退回补充", "Return for more", Comment),
            new("certify", ["review"], "certified", WorkflowRole.Administrator, "认定并颁发证书", "Certify and issue the certificate"),
            new("refuse", ["review"], "refused", WorkflowRole.Administrator, "不予认定", "Refuse", Comment),
            new("retract", ["matching", "review"], "retracted", WorkflowRole.Applicant, "撤回申请", "Retract the claim"),
            new("revoke", ["certified"], "revoked", WorkflowRole.Administrator, "撤销证书", "Revoke the certificate", Comment),
        ]);

    public static IReadOnlyList<WorkflowDefinition> All { get; } = [Methodology, Scenario, VerificationBody, Project, MonitoringPeriod, NeutralityClaim];

    public static WorkflowDefinition? Find(string kind) => All.FirstOrDefault(d => d.Kind == kind);
}
