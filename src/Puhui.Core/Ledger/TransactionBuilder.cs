namespace Puhui.Ledger;

/// <summary>
/// Builds a <see cref="Transaction"/>. <see cref="Build"/> enforces that postings balance per asset and
/// per batch, that reductions carry a batch, and the size limits; violating any of them is a programming
/// error and throws <see cref="LedgerInvariantException"/>.
/// </summary>
public sealed class TransactionBuilder
{
    private readonly List<Posting> _postings = [];

    public TransactionBuilder(TransactionKind kind, string idempotencyKey, DateTimeOffset occurredAt, string actor)
    {
        Kind = kind;
        IdempotencyKey = idempotencyKey;
        OccurredAt = occurredAt;
        Actor = actor;
    }

    public TransactionKind Kind { get; }
    public string IdempotencyKey { get; }
    public DateTimeOffset OccurredAt { get; }
    public string Actor { get; }
    public string Reference { get; init; } = "";
    public TransactionId? Id { get; init; }

    public TransactionBuilder Add(Posting posting)
    {
        _postings.Add(posting);
        return this;
    }

    /// <summary>Moves points from one account to another, optionally out of and into lots.</summary>
    public TransactionBuilder MovePoints(AccountId from, AccountId to, Points points, BatchId? batch = null, LotId? fromLot = null, LotId? toLot = null)
    {
        RequirePositive(points.Value);
        RequireDistinct(from, fromLot, to, toLot);
        _postings.Add(new Posting(from, Asset.Pts, batch, fromLot, -points.Value));
        _postings.Add(new Posting(to, Asset.Pts, batch, toLot, points.Value));
        return this;
    }

    /// <summary>Moves grams of one batch from one account to another, optionally out of and into lots.</summary>
    public TransactionBuilder MoveGrams(AccountId from, AccountId to, BatchId batch, Grams grams, LotId? fromLot = null, LotId? toLot = null)
    {
        RequirePositive(grams.Value);
        RequireDistinct(from, fromLot, to, toLot);
        _postings.Add(new Posting(from, Asset.Co2, batch, fromLot, -grams.Value));
        _postings.Add(new Posting(to, Asset.Co2, batch, toLot, grams.Value));
        return this;
    }

    /// <summary>Moves fen from one account to another.</summary>
    public TransactionBuilder MoveFen(AccountId from, AccountId to, Fen fen)
    {
        RequirePositive(fen.Value);
        RequireDistinct(from, null, to, null);
        _postings.Add(new Posting(from, Asset.Cny, null, null, -fen.Value));
        _postings.Add(new Posting(to, Asset.Cny, null, null, fen.Value));
        return this;
    }

    public Transaction Build()
    {
        if (string.IsNullOrEmpty(IdempotencyKey) || IdempotencyKey.Length > Transaction.IdempotencyKeyLengthMax)
            throw new LedgerInvariantException($"An idempotency key is 1–{Transaction.IdempotencyKeyLengthMax} characters.");
        if (string.IsNullOrEmpty(Actor) || Actor.Length > Transaction.ActorLengthMax)
            throw new LedgerInvariantException($"An actor is 1–{Transaction.ActorLengthMax} characters.");
        if (Reference.Length > Transaction.ReferenceLengthMax)
            throw new LedgerInvariantException($"A reference is at most {Transaction.ReferenceLengthMax} characters.");
        if (!Enum.IsDefined(Kind)) throw new LedgerInvariantException($"Unknown transaction kind {(int)Kind}.");
        if (_postings.Count == 0) throw new LedgerInvariantException("A transaction has at least one posting.");
        if (_postings.Count > Transaction.PostingsMax) throw new LedgerInvariantException($"A transaction has at most {Transaction.PostingsMax} postings.");

        var sums = new Dictionary<(Asset, long), long>();
        foreach (var p in _postings)
        {
            if (!Enum.IsDefined(p.Asset)) throw new LedgerInvariantException($"Unknown asset {(int)p.Asset}.");
            if (p.Amount == 0) throw new LedgerInvariantException("A posting moves a non-zero amount.");
            if (p.Asset == Asset.Co2 && p.Batch is null) throw new LedgerInvariantException("A reduction posting names its batch.");
            if (p.Asset == Asset.Cny && (p.Batch is not null || p.Lot is not null)) throw new LedgerInvariantException("A yuan posting has no batch or lot.");
            if (p.Lot is not null && p.Batch is null) throw new LedgerInvariantException("A lot posting names the lot's batch.");
            var key = (p.Asset, p.Batch?.Value ?? 0);
            if (!TryAdd(sums.GetValueOrDefault(key), p.Amount, out var sum))
                throw new LedgerInvariantException($"Postings of {p.Asset.Code()} overflow a 64-bit sum.");
            sums[key] = sum;
        }

        foreach (var ((asset, batch), sum) in sums)
        {
            if (sum != 0)
                throw new LedgerInvariantException($"Postings of {asset.Code()}{(batch == 0 ? "" : $" batch {batch}")} sum to {sum}, not zero.");
        }

        // The canonical encoding keeps microseconds; truncating here makes a built transaction equal to its stored form.
        var at = OccurredAt.ToUniversalTime();
        at = new DateTimeOffset(at.Ticks - at.Ticks % 10, TimeSpan.Zero);
        return new Transaction(Id ?? TransactionId.New(at), IdempotencyKey, Kind, at, Actor, Reference, _postings.ToArray());
    }

    private static bool TryAdd(long a, long b, out long sum)
    {
        sum = unchecked(a + b);
        // Overflow happened exactly when both operands share a sign that the result does not.
        return ((a ^ sum) & (b ^ sum)) >= 0;
    }

    private static void RequireDistinct(AccountId from, LotId? fromLot, AccountId to, LotId? toLot)
    {
        // A move onto itself would net to zero and so slip past the balance check while meaning nothing.
        if (from == to && fromLot == toLot) throw new LedgerInvariantException($"A move needs two different holdings, not account {from} twice.");
    }

    private static void RequirePositive(long amount)
    {
        if (amount <= 0) throw new LedgerInvariantException($"An amount to move is positive, not {amount}.");
    }
}
