using System.Buffers.Binary;
using Puhui.Ledger;

namespace Puhui.Storage.Ledger;

/// <summary>
/// The links stored beside each journal row: for every person or organisation a transaction touches, in the
/// order they first appear among its postings, the account id and the sequence of that account's previous
/// transaction (0 for its first). An account's history is the chain of these links, walked back from its
/// newest transaction, so no per-account index has to grow with the journal. System accounts (sources and
/// sinks) take part in most transactions and are left out: their history is read from the journal itself.
/// </summary>
internal static class HistoryLinks
{
    public const int PairSize = 16;

    /// <summary>The accounts whose chains a transaction joins.</summary>
    public static List<long> Accounts(Transaction tx, Func<long, AccountKind> kindOf)
    {
        var accounts = new List<long>(2);
        foreach (var p in tx.Postings)
        {
            var id = p.Account.Value;
            if (!accounts.Contains(id) && kindOf(id) != AccountKind.System) accounts.Add(id);
        }

        return accounts;
    }

    public static byte[] Encode(IReadOnlyList<(long Account, long Previous)> links)
    {
        var bytes = new byte[links.Count * PairSize];
        for (var i = 0; i < links.Count; i++)
        {
            BinaryPrimitives.WriteInt64BigEndian(bytes.AsSpan(i * PairSize), links[i].Account);
            BinaryPrimitives.WriteInt64BigEndian(bytes.AsSpan(i * PairSize + 8), links[i].Previous);
        }

        return bytes;
    }

    /// <summary>Decodes links; null when the bytes are not a whole number of pairs.</summary>
    public static (long Account, long Previous)[]? Decode(byte[] bytes)
    {
        if (bytes.Length % PairSize != 0) return null;
        var links = new (long, long)[bytes.Length / PairSize];
        for (var i = 0; i < links.Length; i++)
        {
            links[i] = (BinaryPrimitives.ReadInt64BigEndian(bytes.AsSpan(i * PairSize)), BinaryPrimitives.ReadInt64BigEndian(bytes.AsSpan(i * PairSize + 8)));
        }

        return links;
    }

    /// <summary>The previous transaction of <paramref name="account"/> named in these links, or null when the account is not among them.</summary>
    public static long? PreviousOf(byte[] bytes, long account)
    {
        for (var at = 0; at + PairSize <= bytes.Length; at += PairSize)
        {
            if (BinaryPrimitives.ReadInt64BigEndian(bytes.AsSpan(at)) == account) return BinaryPrimitives.ReadInt64BigEndian(bytes.AsSpan(at + 8));
        }

        return null;
    }
}
