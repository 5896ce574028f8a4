using Puhui.Ledger;

namespace Puhui.Tests.Ledger;

public class CanonicalEncodingTests
{
    private static Transaction Sample(string key = "issue:1", long amount = 100) =>
        new TransactionBuilder(TransactionKind.Issue, key, new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero), "operator:metro")
        {
            Id = new TransactionId(Guid.Parse("01900000-0000-7000-8000-000000000001")),
            Reference = "record 42",
        }
        .MovePoints(new AccountId(1), new AccountId(10), new Points(amount), new BatchId(3), toLot: new LotId(7))
        .Build();

    [Fact]
    public void Version_1_encoding_is_stable()
    {
        // Pinned bytes and hash, computed independently from the documented layout: changing the encoding
        // would break every stored chain, so it must become a new version instead.
        var bytes = CanonicalEncoding.Encode(Sample());
        Assert.Equal(
            "504854580101900000000070008000000000000001010006474846204000000769737375653a31000e6f70657261746f723a6d6574726f"
            + "00097265636f7264203432000200000000000000010100000000000000030000000000000000ffffffffffffff9c"
            + "000000000000000a01000000000000000300000000000000070000000000000064",
            Convert.ToHexStringLower(bytes));
        Assert.Equal("10d57e8b335857d426737d47bfcda7365735b6ae50bc188416fb5c9726cccec4",
            Convert.ToHexStringLower(CanonicalEncoding.ChainHash(CanonicalEncoding.GenesisHash, bytes)));
    }

    [Fact]
    public void Any_change_to_a_transaction_changes_its_chain_hash()
    {
        var original = CanonicalEncoding.ChainHash(CanonicalEncoding.GenesisHash, CanonicalEncoding.Encode(Sample()));
        Assert.NotEqual(original, CanonicalEncoding.ChainHash(CanonicalEncoding.GenesisHash, CanonicalEncoding.Encode(Sample(amount: 101))));
        Assert.NotEqual(original, CanonicalEncoding.ChainHash(CanonicalEncoding.GenesisHash, CanonicalEncoding.Encode(Sample(key: "issue:2"))));
        Assert.NotEqual(original, CanonicalEncoding.ChainHash(new byte[32].Select(_ => (byte)1).ToArray(), CanonicalEncoding.Encode(Sample())));
    }

    [Fact]
    public void Request_hash_ignores_id_and_time_but_not_content()
    {
        var a = Sample();
        var retry = new TransactionBuilder(a.Kind, a.IdempotencyKey, a.OccurredAt.AddMinutes(5), a.Actor) { Reference = a.Reference }
            .MovePoints(new AccountId(1), new AccountId(10), new Points(100), new BatchId(3), toLot: new LotId(7)).Build();
        Assert.NotEqual(a.Id, retry.Id);
        Assert.Equal(CanonicalEncoding.RequestHash(a), CanonicalEncoding.RequestHash(retry));
        Assert.NotEqual(CanonicalEncoding.RequestHash(a), CanonicalEncoding.RequestHash(Sample(amount: 99)));
    }

    [Fact]
    public void Restoring_a_transaction_reproduces_its_bytes()
    {
        var a = Sample();
        var restored = Transaction.Restore(a.Id, a.IdempotencyKey, a.Kind, a.OccurredAt, a.Actor, a.Reference, a.Postings);
        Assert.Equal(CanonicalEncoding.Encode(a), CanonicalEncoding.Encode(restored));
    }

    [Fact]
    public void Decoding_any_single_changed_bit_either_succeeds_or_names_the_problem()
    {
        var bytes = CanonicalEncoding.Encode(Sample());
        for (var at = 0; at < bytes.Length; at++)
        {
            for (var bit = 0; bit < 8; bit++)
            {
                var changed = (byte[])bytes.Clone();
                changed[at] ^= (byte)(1 << bit);
                try
                {
                    var decoded = CanonicalEncoding.Decode(changed);
                    Assert.Equal(changed, CanonicalEncoding.Encode(decoded));
                }
                catch (CanonicalEncodingException)
                {
                    // Refused with a reason: what stored evidence that does not decode must produce.
                }
            }
        }

        Assert.Throws<CanonicalEncodingException>(() => CanonicalEncoding.Decode(bytes.AsSpan(0, bytes.Length - 1)));
        Assert.Throws<CanonicalEncodingException>(() => CanonicalEncoding.Decode([.. bytes, 0]));
    }
}
