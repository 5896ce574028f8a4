namespace Puhui.Ledger;

/// <summary>
/// One movement of one asset for one account. Positive amounts credit the account, negative debit it.
/// Reductions (CO2) always carry a batch; point postings carry the batch and lot they belong to when
/// the account holds points in lots.
/// </summary>
public readonly record struct Posting(AccountId Account, Asset Asset, BatchId? Batch, LotId? Lot, long Amount);

/// <summary>
/// A balanced, immutable ledger transaction. Construct it with <see cref="TransactionBuilder"/>,
/// which refuses anything that does not balance per asset and per batch.
/// </summary>
public sealed class Transaction
{
    public const int IdempotencyKeyLengthMax = 128;
    public const int ActorLengthMax = 128;
    public const int ReferenceLengthMax = 256;
    public const int PostingsMax = 512;

    internal Transaction(TransactionId id, string idempotencyKey, TransactionKind kind, DateTimeOffset occurredAt, string actor, string reference, IReadOnlyList<Posting> postings)
    {
        Id = id;
        IdempotencyKey = idempotencyKey;
        Kind = kind;
        OccurredAt = occurredAt;
        Actor = actor;
        Reference = reference;
        Postings = postings;
    }

    public TransactionId Id { get; }

    /// <summary>Unique across the journal: a retried request with the same key returns the first transaction.</summary>
    public string IdempotencyKey { get; }

    public TransactionKind Kind { get; }

    /// <summary>When the transaction took effect, truncated to whole microseconds (the canonical encoding's resolution).</summary>
    public DateTimeOffset OccurredAt { get; }

    /// <summary>The principal that caused it (a user, an operator key, a job).</summary>
    public string Actor { get; }

    /// <summary>What it is about: a behaviour record, a voucher, a retirement; empty when nothing.</summary>
    public string Reference { get; }

    public IReadOnlyList<Posting> Postings { get; }

    /// <summary>
    /// Recreates a transaction read back from a store. The same checks as building one apply, so a
    /// stored row that no longer balances is reported instead of silently accepted.
    /// </summary>
    public static Transaction Restore(TransactionId id, string idempotencyKey, TransactionKind kind, DateTimeOffset occurredAt, string actor, string reference, IReadOnlyList<Posting> postings)
    {
        var builder = new TransactionBuilder(kind, idempotencyKey, occurredAt, actor) { Id = id, Reference = reference };
        foreach (var p in postings) builder.Add(p);
        return builder.Build();
    }
}

/// <summary>Raised when code tries to build or store something that breaks a ledger invariant. A bug, never a business outcome.</summary>
public sealed class LedgerInvariantException(string message) : Exception(message);
