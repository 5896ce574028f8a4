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
        ["internal"] = (StatusCodes.Status500InternalServerError, "服务器内部错误 / Internal server error"),
    };

    public static IReadOnlyCollection<string> Codes => Table.Keys;

    public static ProblemHttpResult Of(string code, string? detail = null)
    {
        var (status, title) = Table[code];
        return TypedResults.Problem(detail: detail, statusCode: status, title: title, type: TypePrefix + code,
            extensions: new Dictionary<string, object?> { ["code"] = code });
    }

    public static (int Status, string Title) Describe(string code) => Table[code];
}
