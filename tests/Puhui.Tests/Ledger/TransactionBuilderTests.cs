using Puhui.Ledger;

namespace Puhui.Tests.Ledger;

public class TransactionBuilderTests
{
    private static readonly AccountId A = new(1);
    private static readonly AccountId B = new(2);
    private static readonly BatchId Batch1 = new(1);
    private static readonly BatchId Batch2 = new(2);
    private static readonly DateTimeOffset At = new(2026, 1, 2, 3, 4, 5, TimeSpan.Zero);

    private static TransactionBuilder Builder(string key = "k1") => new(TransactionKind.Transfer, key, At, "tester");

    [Fact]
    public void Postings_that_do_not_balance_are_refused_when_built()
    {
        var builder = Builder().Add(new Posting(A, Asset.Pts, null, null, -10)).Add(new Posting(B, Asset.Pts, null, null, 9));
        var e = Assert.Throws<LedgerInvariantException>(() => builder.Build());
        Assert.Contains("PTS", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Postings_must_balance_per_batch_not_only_per_asset()
    {
        var builder = Builder()
            .Add(new Posting(A, Asset.Co2, Batch1, null, -10))
            .Add(new Posting(B, Asset.Co2, Batch2, null, 10));
        var e = Assert.Throws<LedgerInvariantException>(() => builder.Build());
        Assert.Contains("batch", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Reductions_without_a_batch_are_refused()
    {
        var builder = Builder().Add(new Posting(A, Asset.Co2, null, null, -1)).Add(new Posting(B, Asset.Co2, null, null, 1));
        Assert.Throws<LedgerInvariantException>(() => builder.Build());
    }

    [Theory]
    [InlineData(0)]
    [InlineData(-5)]
    public void Moves_take_positive_amounts(long amount)
    {
        Assert.Throws<LedgerInvariantException>(() => Builder().MovePoints(A, B, new Points(amount)));
        Assert.Throws<LedgerInvariantException>(() => Builder().MoveGrams(A, B, Batch1, new Grams(amount)));
    }

    [Fact]
    public void A_move_onto_the_same_holding_is_refused()
    {
        Assert.Throws<LedgerInvariantException>(() => Builder().MoveGrams(A, A, Batch1, new Grams(5)));
        Assert.Throws<LedgerInvariantException>(() => Builder().MovePoints(A, A, new Points(5), Batch1, new LotId(1), new LotId(1)));
        Builder().MovePoints(A, A, new Points(5), Batch1, new LotId(1), new LotId(2)).Build();
    }

    [Fact]
    public void Limits_on_key_length_and_posting_count_hold_at_their_boundary()
    {
        Builder(new string('k', Transaction.IdempotencyKeyLengthMax)).MovePoints(A, B, new Points(1)).Build();
        Assert.Throws<LedgerInvariantException>(() => Builder(new string('k', Transaction.IdempotencyKeyLengthMax + 1)).MovePoints(A, B, new Points(1)).Build());
        Assert.Throws<LedgerInvariantException>(() => Builder("").MovePoints(A, B, new Points(1)).Build());

        var atLimit = Builder();
        for (var i = 0; i < Transaction.PostingsMax / 2; i++) atLimit.MovePoints(A, B, new Points(1));
        Assert.Equal(Transaction.PostingsMax, atLimit.Build().Postings.Count);
        atLimit.Add(new Posting(A, Asset.Pts, null, null, 1)).Add(new Posting(B, Asset.Pts, null, null, -1));
        Assert.Throws<LedgerInvariantException>(() => atLimit.Build());
    }

    [Fact]
    public void Time_is_kept_to_the_microsecond_in_utc()
    {
        var local = new DateTimeOffset(2026, 1, 2, 11, 4, 5, TimeSpan.FromHours(8)).AddTicks(1234567);
        var tx = new TransactionBuilder(TransactionKind.Issue, "k", local, "t").MovePoints(A, B, new Points(1)).Build();
        Assert.Equal(TimeSpan.Zero, tx.OccurredAt.Offset);
        Assert.Equal(local.UtcTicks - 7, tx.OccurredAt.UtcTicks);
    }
}
