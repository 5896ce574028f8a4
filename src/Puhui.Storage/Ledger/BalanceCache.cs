namespace Puhui.Storage.Ledger;

/// <summary>
/// The balances this store last wrote, stamped with the chain head they belong to. An append that finds the
/// head unchanged since the stamp knows that nobody else has written since — no other process, no other
/// store — so the cached amounts are the database's amounts and need not be read again. Any other head, or
/// a failed append, empties the cache, and the amounts are read from the database as if it never existed.
/// </summary>
internal sealed class BalanceCache
{
    /// <summary>Keys held at most; past this the cache starts again empty rather than grow without bound.</summary>
    public const int KeysMax = 1_000_000;

    private readonly object _gate = new();
    private Dictionary<LedgerStore.BalanceKey, long> _amounts = [];
    private long _seq = -1;
    private byte[] _hash = [];

    /// <summary>Copies the cached amounts of <paramref name="keys"/> into <paramref name="into"/> if the cache is current for this head; returns the keys it did not have.</summary>
    public List<LedgerStore.BalanceKey> Fill(long headSeq, byte[] headHash, IEnumerable<LedgerStore.BalanceKey> keys, Dictionary<LedgerStore.BalanceKey, long> into)
    {
        var missing = new List<LedgerStore.BalanceKey>();
        lock (_gate)
        {
            var current = _seq == headSeq && _hash.AsSpan().SequenceEqual(headHash);
            if (!current) Clear();
            foreach (var key in keys)
            {
                if (current && _amounts.TryGetValue(key, out var amount)) into[key] = amount;
                else missing.Add(key);
            }
        }

        return missing;
    }

    /// <summary>Records what a committed append wrote and the head it left.</summary>
    public void Committed(long headSeq, byte[] headHash, long previousSeq, Dictionary<LedgerStore.BalanceKey, long> amounts)
    {
        lock (_gate)
        {
            // Another append in this process may have committed in between; then this one's view is not the latest.
            if (_seq != previousSeq && _seq != -1) Clear();
            if (_amounts.Count + amounts.Count > KeysMax) _amounts = [];
            foreach (var (key, amount) in amounts) _amounts[key] = amount;
            _seq = headSeq;
            _hash = headHash;
        }
    }

    public void Clear()
    {
        lock (_gate)
        {
            _amounts.Clear();
            _seq = -1;
            _hash = [];
        }
    }
}
