using System.Data.Common;
using Puhui.Ledger;

namespace Puhui.Storage.Ledger;

/// <summary>One run of the expiry clearing: what it read and what it did, so far or in all.</summary>
/// <param name="Id">The run's row in <c>expiry_runs</c>.</param>
/// <param name="AsOf">Lots that expire on or before this day were due.</param>
/// <param name="ScannedAfter">The run read only lots that expire after this day; null when it read every lot.</param>
/// <param name="PointsCleared">Points moved from the lots to the expired sink.</param>
/// <param name="GramsCleared">Grams of reductions inside those points retired as voluntary cancellation.</param>
/// <param name="FinishedAt">When the run had read every due lot; null while it runs, or when it was interrupted.</param>
/// <param name="LotsSkipped">Lots that changed while the run read them (a redemption at the same moment); the next run clears them.</param>
/// <param name="SkippedFrom">The earliest expiry among the skipped lots, from which the next run reads; null when none was skipped.</param>
public sealed record ExpiryReport(
    long Id,
    DateOnly AsOf,
    DateOnly? ScannedAfter,
    string Actor,
    DateTimeOffset StartedAt,
    DateTimeOffset? FinishedAt,
    long LotsCleared,
    long PointsCleared,
    long GramsCleared,
    long LotsSkipped,
    DateOnly? SkippedFrom)
{
    public bool Finished => FinishedAt is not null;
}

/// <summary>
/// Clears every lot past its expiry (JS 37): the points go to the expired sink and the grams inside them are
/// retired as voluntary cancellation, one Expire transaction per lot keyed by the lot and the as-of day.
/// </summary>
/// <remarks>
/// A run reads the due lots in pages along the (expiry, id) index and appends each page as one group; the group's
/// counters in <c>expiry_runs</c> are written in the same database transaction, so the record of a run that is
/// interrupted is exact, and running again clears the rest: cleared lots hold nothing and are not read again, and
/// a lot read by two runs at once is cleared once because its key is. Memory is bounded by one page.
/// A run reads only lots that expire after <see cref="ScanFloorAsync"/>: the last finished run's as-of day less
/// <see cref="RefillWindowDays"/> (a redemption cancelled within its 30-day window may put points back into a lot
/// that has expired since), or less if that run skipped an earlier lot. With no finished run it reads every lot.
/// </remarks>
public static class ExpiryClearing
{
    /// <summary>Lots read, and Expire transactions appended, at once.</summary>
    public const int GroupSize = 500;

    /// <summary>
    /// Days before the last finished run's as-of day from which a run reads again: a cancelled redemption (allowed at
    /// most 30 days after it was made, and only from lots unexpired then) can refill a lot that expired since, plus one
    /// day for a redemption made late on the day the run cleared.
    /// </summary>
    public const int RefillWindowDays = 31;

    /// <summary>The most run records <see cref="ListRunsAsync"/> returns at once.</summary>
    public const int RunsPageMax = 1_000;

    /// <summary>
    /// Clears what is due on <paramref name="asOf"/> and records the run. <paramref name="progress"/> hears the run's
    /// counters after every group. Cancelling leaves the run unfinished; what it cleared stays cleared and counted.
    /// </summary>
    public static async Task<ExpiryReport> RunAsync(LedgerStore store, DateOnly asOf, string actor, TimeProvider time,
        IProgress<ExpiryReport>? progress = null, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(store);
        ArgumentException.ThrowIfNullOrWhiteSpace(actor);
        ArgumentNullException.ThrowIfNull(time);
        var expired = await store.SystemAccountAsync(SystemAccounts.Expired, ct);
        var retired = await store.SystemAccountAsync(SystemAccounts.Retired, ct);
        var floor = await ScanFloorAsync(store, ct);
        var report = await StartAsync(store, asOf, floor, actor, time.GetUtcNow(), ct);

        LotPosition? after = null;
        while (true)
        {
            var due = await store.GetLotsDueAsync(floor, asOf, after, GroupSize, ct);
            if (due.Count == 0) break;
            after = LotPosition.Of(due[^1].Lot);
            var at = time.GetUtcNow();
            var group = new List<Transaction>(due.Count);
            foreach (var l in due)
            {
                group.Add(PointLotOperations.Build(TransactionKind.Expire, KeyOf(l.Lot.Id, asOf), actor, $"lot {l.Lot.Id} expired {LedgerStore.Iso(l.Lot.ExpiresOn)}", at,
                    l.Lot.Account, expired, retired, [new LotDraw(l.Lot, l.Points, l.Grams)]));
            }

            var counting = new GroupCounter(report, due);
            await store.AppendAsync(group, counting, ct);
            report = counting.After!;
            progress?.Report(report);
        }

        // Kept to the microsecond, as the row keeps it, so the report returned equals the one read back.
        report = report with { FinishedAt = CanonicalEncoding.FromUnixMicroseconds(CanonicalEncoding.ToUnixMicroseconds(time.GetUtcNow())) };
        await using (var connection = await store.Dialect.OpenAsync(ct))
        await using (var cmd = Sql.Command(connection, null, "UPDATE expiry_runs SET finished_us = @at WHERE id = @id")
            .With("@at", CanonicalEncoding.ToUnixMicroseconds(report.FinishedAt.Value)).With("@id", report.Id))
            await cmd.ExecuteNonQueryAsync(ct);
        progress?.Report(report);
        return report;
    }

    /// <summary>Clears what is due on <paramref name="asOf"/> with every transaction stamped <paramref name="at"/>.</summary>
    public static Task<ExpiryReport> RunAsync(LedgerStore store, DateOnly asOf, string actor, DateTimeOffset at, CancellationToken ct = default)
        => RunAsync(store, asOf, actor, new FixedTime(at), null, ct);

    /// <summary>The idempotency key of the Expire transaction that clears a lot as of a day.</summary>
    public static string KeyOf(LotId lot, DateOnly asOf) => $"expire:lot:{lot}:{LedgerStore.Iso(asOf)}";

    /// <summary>
    /// The day after which the next run reads lots: the last finished run's as-of day (the latest such day) less
    /// <see cref="RefillWindowDays"/>, or the day before the earliest lot that run skipped if that is earlier; null
    /// (every lot) when no run has finished.
    /// </summary>
    public static async Task<DateOnly?> ScanFloorAsync(LedgerStore store, CancellationToken ct = default)
    {
        await using var connection = await store.Dialect.OpenAsync(ct);
        await using var cmd = Sql.Command(connection, null,
            "SELECT as_of, skipped_from FROM expiry_runs WHERE finished_us IS NOT NULL ORDER BY as_of DESC, id DESC LIMIT 1");
        await using var r = await cmd.ExecuteReaderAsync(ct);
        if (!await r.ReadAsync(ct)) return null;
        var floor = LedgerStore.ParseDay(r.GetString(0)).AddDays(-RefillWindowDays);
        if (!r.IsDBNull(1))
        {
            var skipped = LedgerStore.ParseDay(r.GetString(1)).AddDays(-1);
            if (skipped < floor) floor = skipped;
        }

        return floor;
    }

    /// <summary>The records of runs, newest first: at most <paramref name="limit"/>, before run <paramref name="beforeId"/> when given.</summary>
    public static async Task<IReadOnlyList<ExpiryReport>> ListRunsAsync(LedgerStore store, int limit = 100, long? beforeId = null, CancellationToken ct = default)
    {
        if (limit is < 1 or > RunsPageMax) throw new ArgumentOutOfRangeException(nameof(limit), limit, $"A page holds 1–{RunsPageMax} runs.");
        await using var connection = await store.Dialect.OpenAsync(ct);
        await using var cmd = Sql.Command(connection, null,
            "SELECT id, as_of, scanned_after, actor, started_us, finished_us, lots_cleared, points_cleared, grams_cleared, lots_skipped, skipped_from "
            + "FROM expiry_runs WHERE id < @before ORDER BY id DESC LIMIT @limit")
            .With("@before", beforeId ?? long.MaxValue).With("@limit", limit);
        await using var r = await cmd.ExecuteReaderAsync(ct);
        var list = new List<ExpiryReport>();
        while (await r.ReadAsync(ct))
        {
            list.Add(new ExpiryReport(r.GetInt64(0), LedgerStore.ParseDay(r.GetString(1)), r.IsDBNull(2) ? null : LedgerStore.ParseDay(r.GetString(2)), r.GetString(3),
                CanonicalEncoding.FromUnixMicroseconds(r.GetInt64(4)), r.IsDBNull(5) ? null : CanonicalEncoding.FromUnixMicroseconds(r.GetInt64(5)),
                r.GetInt64(6), r.GetInt64(7), r.GetInt64(8), r.GetInt64(9), r.IsDBNull(10) ? null : LedgerStore.ParseDay(r.GetString(10))));
        }

        return list;
    }

    private static async Task<ExpiryReport> StartAsync(LedgerStore store, DateOnly asOf, DateOnly? floor, string actor, DateTimeOffset at, CancellationToken ct)
    {
        await using var connection = await store.Dialect.OpenAsync(ct);
        await using var cmd = Sql.Command(connection, null,
            "INSERT INTO expiry_runs (as_of, scanned_after, actor, started_us, lots_cleared, points_cleared, grams_cleared, lots_skipped) "
            + "VALUES (@asOf, @after, @actor, @at, 0, 0, 0, 0) RETURNING id")
            .With("@asOf", LedgerStore.Iso(asOf)).With("@after", floor is { } f ? LedgerStore.Iso(f) : null).With("@actor", actor)
            .With("@at", CanonicalEncoding.ToUnixMicroseconds(at));
        var id = Convert.ToInt64(await cmd.ExecuteScalarAsync(ct), System.Globalization.CultureInfo.InvariantCulture);
        return new ExpiryReport(id, asOf, floor, actor, CanonicalEncoding.FromUnixMicroseconds(CanonicalEncoding.ToUnixMicroseconds(at)), null,
            0, 0, 0, 0, null);
    }

    private sealed class FixedTime(DateTimeOffset at) : TimeProvider
    {
        public override DateTimeOffset GetUtcNow() => at;
    }

    /// <summary>Counts what one group cleared and skipped and writes the run's counters inside the group's append.</summary>
    private sealed class GroupCounter(ExpiryReport before, IReadOnlyList<LotBalance> due) : LedgerStore.IAppendUnit
    {
        public ExpiryReport? After { get; private set; }

        public Task<IReadOnlyList<Transaction>> PrepareAsync(DbConnection connection, DbTransaction tx, CancellationToken ct)
            => throw new InvalidOperationException("The group is built before the append.");

        public async Task CompleteAsync(DbConnection connection, DbTransaction tx, IReadOnlyList<AppendResult> results, CancellationToken ct)
        {
            var (lots, skipped, skippedFrom) = (before.LotsCleared, before.LotsSkipped, before.SkippedFrom);
            var (points, grams) = (before.PointsCleared, before.GramsCleared);
            for (var i = 0; i < results.Count; i++)
            {
                switch (results[i].Status)
                {
                    case AppendStatus.Committed:
                        lots++;
                        points = checked(points + due[i].Points.Value);
                        grams = checked(grams + due[i].Grams.Value);
                        break;
                    case AppendStatus.Replayed:
                        // Cleared as of this day already, by an earlier or a concurrent run; anything put back since is
                        // cleared by the next day's run.
                        break;
                    default:
                        skipped++;
                        if (skippedFrom is null || due[i].Lot.ExpiresOn < skippedFrom) skippedFrom = due[i].Lot.ExpiresOn;
                        break;
                }
            }

            await using var cmd = Sql.Command(connection, tx,
                "UPDATE expiry_runs SET lots_cleared = @lots, points_cleared = @points, grams_cleared = @grams, lots_skipped = @skipped, skipped_from = @from WHERE id = @id")
                .With("@lots", lots).With("@points", points).With("@grams", grams).With("@skipped", skipped)
                .With("@from", skippedFrom is { } d ? LedgerStore.Iso(d) : null).With("@id", before.Id);
            await cmd.ExecuteNonQueryAsync(ct);
            After = before with { LotsCleared = lots, PointsCleared = points, GramsCleared = grams, LotsSkipped = skipped, SkippedFrom = skippedFrom };
        }
    }
}
