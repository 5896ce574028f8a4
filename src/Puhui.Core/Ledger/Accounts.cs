namespace Puhui.Ledger;

/// <summary>Who an account belongs to.</summary>
public enum AccountKind : byte
{
    /// <summary>A natural person: holds point lots and honour, never trades (JS 27, SZ 20).</summary>
    Person = 1,

    /// <summary>An organisation acting in one or more roles.</summary>
    Organisation = 2,

    /// <summary>A platform account: an issuance source, a sink or an escrow.</summary>
    System = 3,
}

/// <summary>The roles an organisation carries (DESIGN §3). Persons and system accounts carry none.</summary>
[Flags]
public enum OrganisationRoles
{
    None = 0,
    Operator = 1,
    Provider = 2,
    ProjectDeveloper = 4,
    VerificationBody = 8,
    Buyer = 16,
    PublicInstitution = 32,
}

/// <summary>An account in the ledger.</summary>
/// <param name="Code">A stable, unique, human-readable handle (e.g. <c>sys:points-issuance</c>).</param>
/// <param name="IsSource">True only for designated issuance sources: the only accounts whose balances may be negative.</param>
public sealed record Account(
    AccountId Id,
    AccountKind Kind,
    string Code,
    string DisplayName,
    OrganisationRoles Roles,
    bool IsSource,
    DateTimeOffset CreatedAt);

/// <summary>What it takes to open an account.</summary>
public sealed record NewAccount(AccountKind Kind, string Code, string DisplayName, OrganisationRoles Roles = OrganisationRoles.None, bool IsSource = false)
{
    public const int CodeLengthMax = 64;
    public const int DisplayNameLengthMax = 200;

    /// <summary>Returns a reason the request is invalid, or null when it is valid.</summary>
    public string? Problem()
    {
        if (string.IsNullOrWhiteSpace(Code) || Code.Length > CodeLengthMax) return $"code must be 1–{CodeLengthMax} characters";
        if (DisplayName is null || DisplayName.Length > DisplayNameLengthMax) return $"display name must be at most {DisplayNameLengthMax} characters";
        if (Kind != AccountKind.Organisation && Roles != OrganisationRoles.None) return "only organisations carry roles";
        if (IsSource && Kind != AccountKind.System) return "only system accounts can be issuance sources";
        return null;
    }
}

/// <summary>The platform's own accounts, created by the first migration of every store.</summary>
public static class SystemAccounts
{
    /// <summary>Points are issued from here (negative balance = points ever issued).</summary>
    public const string PointsIssuance = "sys:points-issuance";

    /// <summary>Reductions are issued from here per batch (negative balance = grams ever issued).</summary>
    public const string ReductionIssuance = "sys:reduction-issuance";

    /// <summary>Yuan deposited into the trading venue enter from here.</summary>
    public const string CnyDeposits = "sys:cny-deposits";

    public const string Redeemed = "sys:redeemed";
    public const string Expired = "sys:expired";
    public const string Retired = "sys:retired";
    public const string Buffer = "sys:buffer";

    /// <summary>Reductions cancelled for good: buffer grams that made a reversal good (a sink lost to fire).</summary>
    public const string Cancelled = "sys:cancelled";
    public const string Escrow = "sys:escrow";

    /// <summary>Reductions locked in a pledge to a lender (SH 15, JL 3) until it is released or enforced.</summary>
    public const string Pledged = "sys:pledged";

    public static IReadOnlyList<NewAccount> All { get; } =
    [
        new(AccountKind.System, PointsIssuance, "积分签发 / Points issuance", IsSource: true),
        new(AccountKind.System, ReductionIssuance, "减排量签发 / Reduction issuance", IsSource: true),
        new(AccountKind.System, CnyDeposits, "交易资金存入 / Venue deposits", IsSource: true),
        new(AccountKind.System, Redeemed, "已兑换 / Redeemed"),
        new(AccountKind.System, Expired, "已清零 / Expired"),
        new(AccountKind.System, Retired, "已注销 / Retired"),
        new(AccountKind.System, Buffer, "缓冲池 / Buffer pool"),
        new(AccountKind.System, Escrow, "交易托管 / Trading escrow"),
        new(AccountKind.System, Cancelled, "已作废 / Cancelled"),
        new(AccountKind.System, Pledged, "质押锁定 / Pledged"),
    ];
}
