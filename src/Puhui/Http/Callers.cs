using Microsoft.AspNetCore.Http.HttpResults;
using Puhui.Ledger;
using Puhui.Storage.Access;
using Puhui.Storage.Ledger;

namespace Puhui.Host.Http;

/// <summary>
/// Who is calling, from the bearer token of a person, an organisation's staff, an administrator, the platform
/// operator's staff or an expert. Each helper returns the caller's account (or actor) or the problem to answer
/// with (401 without a valid token, 403 with the wrong role).
/// </summary>
internal static class Callers
{
    public static async Task<(Principal? Principal, ProblemHttpResult? Problem)> AuthenticateAsync(HttpContext http, AccessTokens tokens, CancellationToken ct)
    {
        var header = http.Request.Headers.Authorization.ToString();
        if (!header.StartsWith("Bearer ", StringComparison.Ordinal))
            return (null, Problems.Of("unauthenticated", "send the header Authorization: Bearer <token>"));
        var principal = await tokens.AuthenticateAsync(header["Bearer ".Length..].Trim(), ct);
        return principal is null ? (null, Problems.Of("unauthenticated", "the token is unknown or revoked")) : (principal, null);
    }

    public static async Task<(AccountId Person, ProblemHttpResult? Problem)> PersonAsync(HttpContext http, AccessTokens tokens, CancellationToken ct)
    {
        var (principal, problem) = await AuthenticateAsync(http, tokens, ct);
        if (problem is not null) return (default, problem);
        return principal!.Role == PrincipalRole.Person && principal.Account is { } account
            ? (account, null)
            : (default, Problems.Of("forbidden", "this action is a person's own"));
    }

    /// <summary>Staff of an organisation that carries <paramref name="role"/>.</summary>
    public static Task<(AccountId Organisation, ProblemHttpResult? Problem)> StaffAsync(HttpContext http, AccessTokens tokens, LedgerStore store, OrganisationRoles role, CancellationToken ct)
        => StaffOfAnyAsync(http, tokens, store, role, ct);

    /// <summary>Staff of an organisation that carries at least one of <paramref name="roles"/>.</summary>
    public static async Task<(AccountId Organisation, ProblemHttpResult? Problem)> StaffOfAnyAsync(HttpContext http, AccessTokens tokens, LedgerStore store, OrganisationRoles roles,
        CancellationToken ct)
    {
        var (principal, problem) = await AuthenticateAsync(http, tokens, ct);
        if (problem is not null) return (default, problem);
        if (principal!.Role != PrincipalRole.OrganisationStaff || principal.Account is not { } id)
            return (default, Problems.Of("forbidden", "this action is for an organisation's staff"));
        var account = await store.FindAccountAsync(id, ct);
        return account is not null && (account.Roles & roles) != 0
            ? (id, null)
            : (default, Problems.Of("forbidden", $"the organisation does not carry the {roles.ToString().Replace(", ", " or ", StringComparison.Ordinal)} role"));
    }

    public static async Task<(string Actor, ProblemHttpResult? Problem)> AdministratorAsync(HttpContext http, AccessTokens tokens, CancellationToken ct)
    {
        var (principal, problem) = await AuthenticateAsync(http, tokens, ct);
        if (problem is not null) return ("", problem);
        return principal!.Role == PrincipalRole.Administrator
            ? ("admin:" + principal.Label, null)
            : ("", Problems.Of("forbidden", "this action is for the administrator (主管部门)"));
    }

    /// <summary>Staff of the platform operator (运营机构); the actor is <c>platform-operator:</c> and the token's label.</summary>
    public static async Task<(string Actor, ProblemHttpResult? Problem)> PlatformOperatorAsync(HttpContext http, AccessTokens tokens, CancellationToken ct)
    {
        var (principal, problem) = await AuthenticateAsync(http, tokens, ct);
        if (problem is not null) return ("", problem);
        return principal!.Role == PrincipalRole.PlatformOperator
            ? ("platform-operator:" + principal.Label, null)
            : ("", Problems.Of("forbidden", "this action is for the platform operator's staff (运营机构)"));
    }

    /// <summary>An expert of the pool, acting for themselves; the actor is <c>expert:</c> and the expert's id.</summary>
    public static async Task<(long Expert, string Actor, ProblemHttpResult? Problem)> ExpertAsync(HttpContext http, AccessTokens tokens, CancellationToken ct)
    {
        var (principal, problem) = await AuthenticateAsync(http, tokens, ct);
        if (problem is not null) return (0, "", problem);
        return principal!.Role == PrincipalRole.Expert && principal.ExpertId is { } expert
            ? (expert, "expert:" + expert.ToString(System.Globalization.CultureInfo.InvariantCulture), null)
            : (0, "", Problems.Of("forbidden", "this action is for an expert of the pool (专家库)"));
    }

    /// <summary>
    /// May the caller read <paramref name="account"/>'s balances, lots and history? Its own person or organisation
    /// may, and the administrator may (DESIGN §13: a person's data is shown only to them and authorised staff).
    /// </summary>
    public static async Task<(Principal? Principal, ProblemHttpResult? Problem)> ReaderOfAsync(HttpContext http, AccessTokens tokens, AccountId account, CancellationToken ct)
    {
        var (principal, problem) = await AuthenticateAsync(http, tokens, ct);
        if (problem is not null) return (null, problem);
        return principal!.Role == PrincipalRole.Administrator || principal.Account == account
            ? (principal, null)
            : (null, Problems.Of("forbidden", "an account is read by its holder or the administrator"));
    }
}
