using Puhui.Holdings;
using Puhui.Ledger;

namespace Puhui.Storage.Holdings;

/// <summary>How a request to move held reductions ended. Every status but Done and Replayed changed nothing.</summary>
public enum HoldingStatus
{
    /// <summary>Done now.</summary>
    Done,

    /// <summary>The same request was done before under its key: its first result is returned.</summary>
    Replayed,

    /// <summary>The request is malformed: a fractional kilogram, a missing or overlong text, a bad key.</summary>
    Invalid,

    /// <summary>An account, batch, pledge or retirement the request names does not exist.</summary>
    NotFound,

    /// <summary>A side of the movement is not an organisation: persons never hold project batches.</summary>
    NotOrganisation,

    /// <summary>The holder's unlocked holding of the batch is smaller than the amount.</summary>
    InsufficientHolding,

    /// <summary>A compliance offset would pass the annual cap the administrator set for the covered entity (SZ 25).</summary>
    OverComplianceCap,

    /// <summary>Only the pledge's lender releases or enforces it.</summary>
    NotLender,

    /// <summary>The pledge was released or enforced already.</summary>
    NotOpen,

    /// <summary>The request key was used before for a different request.</summary>
    KeyConflict,

    /// <summary>The neutrality claim retired against is not matching retirements any more: under review, certified or closed.</summary>
    ClaimNotOpen,

    /// <summary>Only a neutrality claim's claimant retires against it.</summary>
    NotClaimant,
}

public sealed record HoldingResult<T>(HoldingStatus Status, T? Value, string? Detail)
    where T : class
{
    public bool Succeeded => Status is HoldingStatus.Done or HoldingStatus.Replayed;
}

/// <summary>A batch an account holds: grams in its balance, and grams of its own locked in open pledges.</summary>
public sealed record Holding(BatchId Batch, string BatchCode, long HeldGrams, long PledgedGrams);

public sealed record HoldingTransfer(long Id, AccountId From, AccountId To, BatchId Batch, long Grams, string RequestKey, string TransactionId, string Actor, DateTimeOffset At);

public enum PledgeStatus
{
    Open,
    Released,
    Enforced,
}

/// <summary>A pledge (SH 15, JL 3): the holder's grams locked in <c>sys:pledged</c> until the lender releases them or enforces.</summary>
public sealed record Pledge(long Id, AccountId Holder, AccountId Lender, BatchId Batch, long Grams, PledgeStatus Status, string RequestKey, string TransactionId,
    string Actor, DateTimeOffset At, string? ClosedTransactionId, string? ClosedBy, DateTimeOffset? ClosedAt);

/// <summary>A retirement: final. Its serial ranges number exactly its kilograms.</summary>
/// <param name="Beneficiary">On whose behalf the reductions were retired.</param>
/// <param name="ComplianceYear">For compliance offsets, the year whose cap they count against.</param>
public sealed record Retirement(long Id, AccountId Holder, BatchId Batch, long Grams, RetirementPurpose Purpose, string Beneficiary, string UsingEntity, string Reason,
    string Jurisdiction, int? ComplianceYear, IReadOnlyList<SerialRange> Serials, string RequestKey, string TransactionId, string Actor, DateTimeOffset At,
    IReadOnlyList<RetirementNote> Notes);

public sealed record RetirementNote(long Id, long RetirementId, string Text, string Actor, DateTimeOffset At);

/// <summary>Grams exported to another registry (NJ 12–13, SH 12–13): cancelled here for good.</summary>
public sealed record Bridge(long Id, AccountId Holder, BatchId Batch, long Grams, string DestinationRegistry, string DestinationReference, string RequestKey,
    string TransactionId, string Actor, DateTimeOffset At);

/// <summary>The compliance-offset cap for one covered entity in one year (SZ 25).</summary>
public sealed record ComplianceCap(int Year, AccountId Entity, long Kilograms, string Actor, DateTimeOffset SetAt);

public sealed record RetirementPage(IReadOnlyList<Retirement> Retirements, long? NextAfter);
