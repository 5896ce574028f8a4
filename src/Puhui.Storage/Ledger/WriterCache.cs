namespace Puhui.Storage.Ledger;

/// <summary>
/// What this store last wrote — balance amounts and each account's newest transaction — stamped with the
/// chain head it belongs to. An append that finds the head unchanged since the stamp knows that nobody else
/// has written since — no other process, no other store — so the cached values are the database's and need
/// not be read again. Any other head, or a failed append, empties the cache, and values are read from the
/// database as if it never existed.
/// </summary>
internal sealed class WriterCache
{
    /// <summary>Entries held at most per map; past this a map starts again empty rather than grow without bound.</summary>
    public const int EntriesMax = 1_000_000;

    private readonly object _gate = new();
    private readonly Dictionary<LedgerStore.BalanceKey, long> _balances = [];
    private readonly Dictionary<long, long> _heads = [];
    private long _seq = -1;
    private byte[] _hash = [];

    /// <summary>
    /// Copies the cached values of <paramref name="balanceKeys"/> and <paramref name="accounts"/> into the given
    /// maps if the cache is current for this chain head; returns what it did not have.
    /// </summary>
    public (List<LedgerStore.BalanceKey> Balances, List<long> Accounts) Fill(long headSeq, byte[] headHash,
        IEnumerable<LedgerStore.BalanceKey> balanceKeys, Dictionary<LedgerStore.BalanceKey, long> balances,
        IEnumerable<long> accounts, Dictionary<long, long> heads)
    {
        lock (_gate)
        {
            var current = _seq == headSeq && _hash.AsSpan().SequenceEqual(headHash);
            if (!current) ClearLocked();
            return (Copy(balanceKeys, _balances, balances), Copy(accounts, _heads, heads));
        }
    }

    /// <summary>Records what a committed append left: the head it ended at, the head it started from, and the values it knew.</summary>
    public void Committed(long headSeq, byte[] headHash, long startSeq, Dictionary<LedgerStore.BalanceKey, long> balances, Dictionary<long, long> heads)
    {
        lock (_gate)
        {
            // If another append of this process committed in between, this one's values may be older than the cache's.
            if (_seq != startSeq && _seq != -1) ClearLocked();
            Merge(balances, _balances);
            Merge(heads, _heads);
            _seq = headSeq;
            _hash = headHash;
        }
    }

    public void Clear()
    {
        lock (_gate) ClearLocked();
    }

    private void ClearLocked()
    {
        _balances.Clear();
        _heads.Clear();
        _seq = -1;
        _hash = [];
    }

    private static List<TKey> Copy<TKey>(IEnumerable<TKey> keys, Dictionary<TKey, long> from, Dictionary<TKey, long> into)
        where TKey : notnull
    {
        var missing = new List<TKey>();
        foreach (var key in keys)
        {
            if (from.TryGetValue(key, out var value)) into[key] = value;
            else missing.Add(key);
        }

        return missing;
    }

    private static void Merge<TKey>(Dictionary<TKey, long> values, Dictionary<TKey, long> into)
        where TKey : notnull
    {
        if (into.Count + values.Count > EntriesMax) into.Clear();
        foreach (var (key, value) in values) into[key] = value;
    }
}
