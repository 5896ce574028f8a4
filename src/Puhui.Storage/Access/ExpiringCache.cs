using System.Collections.Concurrent;

namespace Puhui.Storage.Access;

/// <summary>
/// A small in-memory cache of credentials that were found valid, each entry kept until a given time. It never
/// holds more than <see cref="EntriesMax"/> entries: when full, expired entries go, and if that is not enough,
/// everything goes (the store is the truth; the cache only spares it lookups).
/// </summary>
/// <remarks>
/// A writer that makes an entry invalid calls <see cref="Invalidate"/>; a reader that looked the value up in the
/// store passes the <see cref="Generation"/> it read before the lookup to <see cref="Set"/>, which then caches
/// nothing if an invalidation happened in between, so a revocation is never undone by a lookup that raced it.
/// </remarks>
internal sealed class ExpiringCache<TValue>
{
    public const int EntriesMax = 10_000;

    private readonly ConcurrentDictionary<string, (TValue Value, DateTimeOffset Until)> _entries = new(StringComparer.Ordinal);
    private long _generation;

    public long Generation => Interlocked.Read(ref _generation);

    public bool TryGet(string key, DateTimeOffset now, out TValue value)
    {
        if (_entries.TryGetValue(key, out var entry) && now < entry.Until)
        {
            value = entry.Value;
            return true;
        }

        value = default!;
        return false;
    }

    public void Set(string key, TValue value, DateTimeOffset until, DateTimeOffset now, long generationBeforeLookup)
    {
        if (until <= now) return;
        if (_entries.Count >= EntriesMax)
        {
            foreach (var (k, entry) in _entries)
            {
                if (entry.Until <= now) _entries.TryRemove(k, out _);
            }

            if (_entries.Count >= EntriesMax) _entries.Clear();
        }

        _entries[key] = (value, until);
        // Checked after the write: an invalidation that ran during the lookup, or since, removes what was just cached.
        if (Generation != generationBeforeLookup) _entries.TryRemove(key, out _);
    }

    /// <summary>Forgets one entry, and makes lookups that started before now unable to cache their result.</summary>
    public void Invalidate(string key)
    {
        Interlocked.Increment(ref _generation);
        _entries.TryRemove(key, out _);
    }
}
