using Microsoft.AspNetCore.Http.HttpResults;

namespace Puhui.Host.Http;

/// <summary>
/// Every expected failure the API reports, in one table: a stable code (which is also the last segment of the
/// problem type URI), the HTTP status, and a title in Chinese and English. Handlers return these; anything
/// unexpected becomes a 500 from the exception handler that says nothing about the cause.
/// </summary>
public static class Problems
{
    public const string TypePrefix = "urn:puhui:problem:";

    private static readonly Dictionary<string, (int Status, string Title)> Table = new(StringComparer.Ordinal)
    {
        ["invalid-argument"] = (StatusCodes.Status400BadRequest, "请求参数无效 / Invalid argument"),
        ["account-not-found"] = (StatusCodes.Status404NotFound, "账户不存在 / Account not found"),
        ["transaction-not-found"] = (StatusCodes.Status404NotFound, "交易不存在 / Transaction not found"),
        ["not-found"] = (StatusCodes.Status404NotFound, "资源不存在 / Not found"),
        ["method-not-allowed"] = (StatusCodes.Status405MethodNotAllowed, "不支持该方法 / Method not allowed"),
        ["unsupported-media-type"] = (StatusCodes.Status415UnsupportedMediaType, "不支持的内容类型 / Unsupported media type"),
        ["internal"] = (StatusCodes.Status500InternalServerError, "服务器内部错误 / Internal server error"),
        ["unauthenticated"] = (StatusCodes.Status401Unauthorized, "未登录或凭证无效 / Missing or invalid credentials"),
        ["forbidden"] = (StatusCodes.Status403Forbidden, "无权执行此操作 / Not allowed"),
        ["signature-missing"] = (StatusCodes.Status401Unauthorized, "请求未签名 / Request is not signed"),
        ["signature-invalid"] = (StatusCodes.Status401Unauthorized, "签名无效 / Signature does not verify"),
        ["key-unknown"] = (StatusCodes.Status401Unauthorized, "密钥无效、已吊销或已过期 / Unknown, revoked or expired key"),
        ["timestamp-stale"] = (StatusCodes.Status401Unauthorized, "请求时间超出五分钟窗口 / Request timestamp outside the five-minute window"),
        ["nonce-reused"] = (StatusCodes.Status401Unauthorized, "随机数已被使用 / Nonce already used"),
        ["body-hash-mismatch"] = (StatusCodes.Status400BadRequest, "请求体摘要不符 / Body hash does not match the body"),
        ["batch-too-large"] = (StatusCodes.Status413PayloadTooLarge, "批次过大 / Batch too large"),
        ["batch-malformed"] = (StatusCodes.Status400BadRequest, "批次格式错误 / Malformed batch"),
        ["scenario-forbidden"] = (StatusCodes.Status403Forbidden, "非本机构场景 / Scenario is not this operator's"),
        ["scenario-not-found"] = (StatusCodes.Status404NotFound, "场景不存在 / Scenario not found"),
        ["scenario-code-taken"] = (StatusCodes.Status409Conflict, "场景代码已被使用 / Scenario code taken"),
        ["scenario-invalid"] = (StatusCodes.Status422UnprocessableEntity, "场景定义无效 / Invalid scenario definition"),
        ["scenario-closed"] = (StatusCodes.Status409Conflict, "场景已终止或未获批准 / Scenario terminated or refused"),
        ["methodology-not-found"] = (StatusCodes.Status422UnprocessableEntity, "方法学版本不存在 / Methodology version not found"),
        ["decision-not-allowed"] = (StatusCodes.Status409Conflict, "当前状态不允许该决定 / Decision not allowed in this status"),
        ["operator-not-found"] = (StatusCodes.Status404NotFound, "运营机构不存在 / Operator not found"),
        ["account-code-taken"] = (StatusCodes.Status409Conflict, "账户代码已被使用 / Account code taken"),
        ["key-not-found"] = (StatusCodes.Status404NotFound, "密钥不存在或已失效 / Key not found or no longer active"),
        ["binding-code-invalid"] = (StatusCodes.Status400BadRequest, "绑定码无效或已过期 / Binding code invalid or expired"),
        ["user-ref-taken"] = (StatusCodes.Status409Conflict, "该用户标识已绑定其他账户 / User reference bound to another account"),
        ["account-already-bound"] = (StatusCodes.Status409Conflict, "该账户已在此机构绑定其他标识 / Account already bound to another user reference here"),
        ["binding-not-found"] = (StatusCodes.Status404NotFound, "绑定不存在 / Binding not found"),
        ["not-bound"] = (StatusCodes.Status409Conflict, "尚未绑定该场景的运营机构 / Not bound to the scenario's operator"),
        ["consent-not-found"] = (StatusCodes.Status404NotFound, "授权不存在或已撤回 / Consent not found or already revoked"),
        ["rate-limited"] = (StatusCodes.Status429TooManyRequests, "请求过于频繁 / Too many requests"),
        ["record-not-found"] = (StatusCodes.Status404NotFound, "记录不存在 / Record not found"),
        ["offer-not-found"] = (StatusCodes.Status404NotFound, "权益不存在 / Offer not found"),
        ["offer-invalid"] = (StatusCodes.Status400BadRequest, "权益定义无效 / Invalid offer"),
        ["offer-action-not-allowed"] = (StatusCodes.Status409Conflict, "权益当前状态不允许该操作 / Action not allowed in the offer's status"),
        ["not-provider"] = (StatusCodes.Status403Forbidden, "非权益提供方 / Not a provider"),
        ["not-yours"] = (StatusCodes.Status403Forbidden, "属于其他权益提供方 / Belongs to another provider"),
        ["redemption-not-found"] = (StatusCodes.Status404NotFound, "兑换记录不存在 / Redemption not found"),
        ["voucher-not-found"] = (StatusCodes.Status404NotFound, "券码不存在 / Voucher not found"),
        ["not-on-sale"] = (StatusCodes.Status409Conflict, "权益未上架 / Offer not on sale"),
        ["outside-window"] = (StatusCodes.Status409Conflict, "不在兑换期内 / Outside the offer's redemption window"),
        ["sold-out"] = (StatusCodes.Status409Conflict, "已兑完 / Sold out"),
        ["per-person-limit"] = (StatusCodes.Status409Conflict, "已达每人兑换上限 / Per-person limit reached"),
        ["insufficient-points"] = (StatusCodes.Status409Conflict, "可用积分不足 / Not enough spendable points"),
        ["sink-exhausted"] = (StatusCodes.Status409Conflict, "碳汇余量不足 / Carbon sink exhausted"),
        ["request-key-reused"] = (StatusCodes.Status409Conflict, "请求键已用于其他兑换 / Request key used for another redemption"),
        ["voucher-used"] = (StatusCodes.Status409Conflict, "券码已核销 / Voucher already used"),
        ["voucher-cancelled"] = (StatusCodes.Status409Conflict, "兑换已取消 / Voucher cancelled"),
        ["voucher-expired"] = (StatusCodes.Status409Conflict, "券码已过期 / Voucher expired"),
        ["cancellation-closed"] = (StatusCodes.Status409Conflict, "已过可取消期限 / Cancellation window closed"),
        ["reversal-impossible"] = (StatusCodes.Status409Conflict, "无法原路退回 / Redemption cannot be reversed exactly"),
        ["expert-invalid"] = (StatusCodes.Status400BadRequest, "专家信息或操作无效 / Invalid expert or change"),
        ["application-not-found"] = (StatusCodes.Status404NotFound, "申请不存在 / Application not found"),
        ["action-not-allowed"] = (StatusCodes.Status409Conflict, "当前状态不允许该操作 / Action not allowed in the application's state"),
        ["action-forbidden"] = (StatusCodes.Status403Forbidden, "该操作由其他角色执行 / Another role takes this action"),
        ["step-input-missing"] = (StatusCodes.Status400BadRequest, "缺少该步骤所需的内容 / The step lacks a required input"),
        ["not-applicant"] = (StatusCodes.Status403Forbidden, "非申请人 / Not the applicant"),
        ["application-conflict"] = (StatusCodes.Status409Conflict, "申请与现有记录冲突 / The application conflicts with what the platform holds"),
        ["panel-unavailable"] = (StatusCodes.Status409Conflict, "专家库无法组成该专家组 / The expert pool cannot seat the panel"),
        ["verification-body-conditions-unmet"] = (StatusCodes.Status422UnprocessableEntity, "不符合核查机构条件 / Verification body conditions not met"),
        ["verification-body-application-exists"] = (StatusCodes.Status409Conflict, "已有在审或已认定的核查机构申请 / An open or approved verification body application exists"),
        ["methodology-invalid"] = (StatusCodes.Status422UnprocessableEntity, "方法学文本无效 / Invalid methodology text"),
        ["holding-invalid"] = (StatusCodes.Status400BadRequest, "减排量操作无效 / Invalid request on held reductions"),
        ["holding-not-found"] = (StatusCodes.Status404NotFound, "账户、批次或记录不存在 / Account, batch or record not found"),
        ["not-organisation"] = (StatusCodes.Status403Forbidden, "个人不持有项目减排量 / Persons never hold project reductions"),
        ["insufficient-holding"] = (StatusCodes.Status409Conflict, "可用减排量不足 / Not enough unlocked reductions held"),
        ["over-compliance-cap"] = (StatusCodes.Status409Conflict, "超出年度抵消上限 / Beyond the year's compliance offset cap"),
        ["not-lender"] = (StatusCodes.Status403Forbidden, "非质权人 / Not the pledge's lender"),
        ["pledge-not-open"] = (StatusCodes.Status409Conflict, "质押已解除或已处置 / Pledge already released or enforced"),
        ["retirement-not-found"] = (StatusCodes.Status404NotFound, "注销记录不存在 / Retirement not found"),
        ["claim-invalid"] = (StatusCodes.Status400BadRequest, "碳中和认定申请无效 / Invalid neutrality claim"),
        ["claim-not-found"] = (StatusCodes.Status404NotFound, "碳中和认定申请不存在 / Neutrality claim not found"),
        ["claim-not-open"] = (StatusCodes.Status409Conflict, "认定申请已不再匹配注销量 / The claim is no longer matching retirements"),
        ["not-claimant"] = (StatusCodes.Status403Forbidden, "非该认定申请的申请人 / Not the claim's claimant"),
        ["retirement-not-matchable"] = (StatusCodes.Status409Conflict, "该注销不能计入此申请 / The retirement cannot count towards this claim"),
        ["certificate-not-found"] = (StatusCodes.Status404NotFound, "证书不存在 / Certificate not found"),
        ["serial-not-found"] = (StatusCodes.Status404NotFound, "未找到该序列号的注销 / No retirement holds this serial"),
        ["document-invalid"] = (StatusCodes.Status400BadRequest, "文件无效 / Invalid document"),
        ["document-not-found"] = (StatusCodes.Status404NotFound, "文件不存在或未公开 / Document not found or not disclosed"),
        ["expert-not-found"] = (StatusCodes.Status404NotFound, "专家不存在 / Expert not found"),
        ["panel-draw-not-found"] = (StatusCodes.Status404NotFound, "专家抽取记录不存在 / Panel draw not found"),
        ["verifier-not-eligible"] = (StatusCodes.Status409Conflict, "核查机构未获认定、已暂停或与项目存在关联 / Verification body not approved, suspended or not independent"),
        ["project-invalid"] = (StatusCodes.Status400BadRequest, "项目登记信息无效 / Invalid project"),
        ["project-duplicate"] = (StatusCodes.Status409Conflict, "项目已在登记系统中 / Project already held by the registry"),
        ["project-not-found"] = (StatusCodes.Status404NotFound, "项目不存在 / Project not found"),
        ["project-not-registered"] = (StatusCodes.Status409Conflict, "项目尚未登记 / Project not registered"),
        ["period-invalid"] = (StatusCodes.Status400BadRequest, "监测报告无效 / Invalid monitoring report"),
        ["period-overlap"] = (StatusCodes.Status409Conflict, "监测期与已有监测期重叠 / Monitoring period overlaps another"),
        ["reversal-refused"] = (StatusCodes.Status409Conflict, "无法记录该碳汇损失 / Reversal cannot be recorded"),
        ["calendar-day-invalid"] = (StatusCodes.Status400BadRequest, "日历条目无效 / Invalid calendar day"),
        ["project-not-found"] = (StatusCodes.Status404NotFound, "项目不存在或未登记 / Project not found or not registered"),
    };

    private static readonly Dictionary<string, object?> NoExtensions = [];

    public static IReadOnlyCollection<string> Codes => Table.Keys;

    public static ProblemHttpResult Of(string code, string? detail = null) => Of(code, detail, NoExtensions);

    /// <summary>
    /// A problem with more machine-readable members beside <c>code</c> (RFC 9457 extension members); their names
    /// must not be those of the standard members (<c>type</c>, <c>title</c>, <c>status</c>, <c>detail</c>, <c>instance</c>).
    /// </summary>
    public static ProblemHttpResult Of(string code, string? detail, IReadOnlyDictionary<string, object?> extensions)
    {
        var (status, title) = Table[code];
        foreach (var name in extensions.Keys)
        {
            if (name is "type" or "title" or "status" or "detail" or "instance" or "code")
                throw new ArgumentException($"{name} is a standard problem member, not an extension.", nameof(extensions));
        }

        var members = new Dictionary<string, object?>(extensions) { ["code"] = code };
        return TypedResults.Problem(detail: detail, statusCode: status, title: title, type: TypePrefix + code, extensions: members);
    }

    public static (int Status, string Title) Describe(string code) => Table[code];
}
