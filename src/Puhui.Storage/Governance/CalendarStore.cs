using System.Data.Common;
using System.Globalization;
using Puhui.Governance;
using Puhui.Ledger;
using Puhui.Storage.Ledger;

namespace Puhui.Storage.Governance;

/// <summary>One recorded change to the calendar: what the day was and what it became (null: an ordinary day).</summary>
public sealed record CalendarEdit(long Id, DateOnly Date, CalendarDay? Previous, CalendarDay? Current, string Actor, string Comment, DateTimeOffset At);

public enum CalendarWriteStatus
{
    /// <summary>The day changed and the edit was recorded.</summary>
    Done,

    /// <summary>The day already was what was asked: nothing changed and nothing was recorded.</summary>
    Unchanged,

    /// <summary>The request breaks a rule of the calendar; see the problem. Nothing changed.</summary>
    Invalid,
}

/// <param name="Edit">The recorded edit when <see cref="CalendarWriteStatus.Done"/>; null otherwise.</param>
/// <param name="Day">The day's listing after the request: null for an ordinary day.</param>
/// <param name="Problem">Why the request was refused, for people; null unless <see cref="CalendarWriteStatus.Invalid"/>.</param>
public sealed record CalendarWrite(CalendarWriteStatus Status, CalendarEdit? Edit, CalendarDay? Day, string? Problem);

/// <summary>
/// The working-day calendar in the database (DESIGN §10): seeded once from the calendar the platform ships
/// (<see cref="WorkingDayCalendarData.Shipped"/>) the first time a store is read, then edited day by day by the
/// administrator, every edit recorded with its actor and comment in an append-only history.
/// </summary>
/// <remarks>
/// <see cref="GetAsync"/> serves the calendar from memory. This instance's own edits replace it at once; edits made
/// by another process (another host on the same PostgreSQL, the command line) are seen within
/// <see cref="CacheLifetime"/>.
/// </remarks>
public sealed class CalendarStore(LedgerStore store, TimeProvider time)
{
    /// <summary>How long a calendar read from the database is served before it is read again.</summary>
    public static readonly TimeSpan CacheLifetime = TimeSpan.FromSeconds(30);

    public const int CommentLengthMax = 1_000;
    public const int ActorLengthMax = 200;
    public const int EditsLimitMax = 500;

    /// <summary>Who wrote the seeded days, as <c>calendar_days.updated_by</c> records it.</summary>
    public const string SeedActor = "seed:" + WorkingDayCalendarData.ShippedFileName;

    private sealed record Cached(WorkingDayCalendar Calendar, DateTimeOffset Until);

    private Cached? _cached;
    private long _generation;
    private bool _seeded;

    /// <summary>The calendar as the database holds it, seeding it from the shipped file first if it never was.</summary>
    public async Task<WorkingDayCalendar> GetAsync(CancellationToken ct = default)
    {
        var now = time.GetUtcNow();
        if (Volatile.Read(ref _cached) is { } cached && now < cached.Until) return cached.Calendar;
        var generation = Interlocked.Read(ref _generation);
        await EnsureSeededAsync(ct);
        await using var connection = await store.Dialect.OpenAsync(ct);
        var calendar = await ReadAsync(connection, null, ct);
        // An edit by this instance that ran during the read wins: its own cache entry is newer than what was read.
        if (Interlocked.Read(ref _generation) == generation) Volatile.Write(ref _cached, new Cached(calendar, now + CacheLifetime));
        return calendar;
    }

    /// <summary>Lists <paramref name="day"/>, replacing whatever its date held. Setting what is already there records nothing.</summary>
    public async Task<CalendarWrite> SetDayAsync(CalendarDay day, string actor, string comment, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(day);
        if (Refusal(actor, comment) is { } refused) return refused;
        if (WorkingDayCalendar.Problem(day) is { } problem) return new(CalendarWriteStatus.Invalid, null, null, problem);
        return await EditAsync(day.Date, day, actor, comment, ct);
    }

    /// <summary>Makes <paramref name="date"/> an ordinary day again. An ordinary day already records nothing.</summary>
    public async Task<CalendarWrite> ResetDayAsync(DateOnly date, string actor, string comment, CancellationToken ct = default)
    {
        if (Refusal(actor, comment) is { } refused) return refused;
        if (date.Year is < WorkingDayCalendar.YearMin or > WorkingDayCalendar.YearMax)
            return new(CalendarWriteStatus.Invalid, null, null, $"{Text(date)} lies outside the years {WorkingDayCalendar.YearMin}–{WorkingDayCalendar.YearMax}");
        return await EditAsync(date, null, actor, comment, ct);
    }

    /// <summary>The latest edits, newest first.</summary>
    public async Task<IReadOnlyList<CalendarEdit>> ListEditsAsync(int limit, CancellationToken ct = default)
    {
        if (limit is < 1 or > EditsLimitMax) throw new ArgumentOutOfRangeException(nameof(limit), limit, $"A list holds 1–{EditsLimitMax} edits.");
        await using var connection = await store.Dialect.OpenAsync(ct);
        await using var cmd = Sql.Command(connection, null,
            "SELECT id, date, previous_kind, previous_name_zh, previous_name_en, new_kind, new_name_zh, new_name_en, actor, comment, at_us "
            + "FROM calendar_edits ORDER BY id DESC LIMIT @limit").With("@limit", limit);
        var list = new List<CalendarEdit>();
        await using var r = await cmd.ExecuteReaderAsync(ct);
        while (await r.ReadAsync(ct))
        {
            var date = ParseStoredDate(r.GetString(1));
            list.Add(new CalendarEdit(r.GetInt64(0), date, ReadDay(r, 2, date), ReadDay(r, 5, date), r.GetString(8), r.GetString(9),
                CanonicalEncoding.FromUnixMicroseconds(r.GetInt64(10))));
        }

        return list;
    }

    private static CalendarWrite? Refusal(string actor, string comment)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(actor);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(actor.Length, ActorLengthMax);
        ArgumentNullException.ThrowIfNull(comment);
        return comment.Length > CommentLengthMax
            ? new(CalendarWriteStatus.Invalid, null, null, $"a comment is at most {CommentLengthMax} characters")
            : null;
    }

    private async Task<CalendarWrite> EditAsync(DateOnly date, CalendarDay? day, string actor, string comment, CancellationToken ct)
    {
        await EnsureSeededAsync(ct);
        var now = CanonicalEncoding.ToUnixMicroseconds(time.GetUtcNow());
        await using var connection = await store.Dialect.OpenAsync(ct);
        await using var tx = await BeginEditAsync(connection, ct);
        // Read under the edit lock: the previous value recorded is the one this edit replaced.
        var calendar = await ReadAsync(connection, tx, ct);
        var previous = calendar.Find(date);
        if (previous == day) return new(CalendarWriteStatus.Unchanged, null, previous, null);
        if (day is not null && (day.Date.Year < calendar.FirstYear - 1 || day.Date.Year > calendar.LastYear + 1))
        {
            return new(CalendarWriteStatus.Invalid, null, previous,
                $"{Text(date)}: the calendar covers {calendar.FirstYear}–{calendar.LastYear} and grows a year at a time; list {calendar.LastYear + 1} (or {calendar.FirstYear - 1}) first");
        }

        var next = day is null ? calendar.Without(date) : calendar.With(day);
        if (day is null)
        {
            await using var delete = Sql.Command(connection, tx, "DELETE FROM calendar_days WHERE date = @d").With("@d", Text(date));
            await delete.ExecuteNonQueryAsync(ct);
        }
        else
        {
            await using var upsert = Sql.Command(connection, tx,
                "INSERT INTO calendar_days (date, kind, name_zh, name_en, updated_us, updated_by) VALUES (@d, @kind, @zh, @en, @now, @actor) "
                + "ON CONFLICT (date) DO UPDATE SET kind = excluded.kind, name_zh = excluded.name_zh, name_en = excluded.name_en, updated_us = excluded.updated_us, updated_by = excluded.updated_by")
                .With("@d", Text(date)).With("@kind", WorkingDayCalendarData.KindCode(day.Kind)).With("@zh", day.NameZh).With("@en", day.NameEn)
                .With("@now", now).With("@actor", actor);
            await upsert.ExecuteNonQueryAsync(ct);
        }

        await using (var meta = Sql.Command(connection, tx, "UPDATE calendar_meta SET first_year = @first, last_year = @last, updated_us = @now WHERE id = 1")
            .With("@first", next.FirstYear).With("@last", next.LastYear).With("@now", now))
            await meta.ExecuteNonQueryAsync(ct);

        long id;
        await using (var record = Sql.Command(connection, tx,
            "INSERT INTO calendar_edits (date, previous_kind, previous_name_zh, previous_name_en, new_kind, new_name_zh, new_name_en, actor, comment, at_us) "
            + "VALUES (@d, @pk, @pzh, @pen, @nk, @nzh, @nen, @actor, @comment, @now) RETURNING id")
            .With("@d", Text(date)).With("@pk", previous is null ? null : WorkingDayCalendarData.KindCode(previous.Kind)).With("@pzh", previous?.NameZh).With("@pen", previous?.NameEn)
            .With("@nk", day is null ? null : WorkingDayCalendarData.KindCode(day.Kind)).With("@nzh", day?.NameZh).With("@nen", day?.NameEn)
            .With("@actor", actor).With("@comment", comment).With("@now", now))
            id = Convert.ToInt64(await record.ExecuteScalarAsync(ct), CultureInfo.InvariantCulture);

        await tx.CommitAsync(ct);
        Interlocked.Increment(ref _generation);
        Volatile.Write(ref _cached, new Cached(next, time.GetUtcNow() + CacheLifetime));
        return new(CalendarWriteStatus.Done, new CalendarEdit(id, date, previous, day, actor, comment, CanonicalEncoding.FromUnixMicroseconds(now)), day, null);
    }

    /// <summary>
    /// Writes the shipped calendar into a store that never held one. The meta row is inserted first and only the
    /// transaction that inserted it writes the days, so processes reading a new store at once seed it once.
    /// </summary>
    private async Task EnsureSeededAsync(CancellationToken ct)
    {
        if (Volatile.Read(ref _seeded)) return;
        await using var connection = await store.Dialect.OpenAsync(ct);
        await using (var check = Sql.Command(connection, null, "SELECT COUNT(*) FROM calendar_meta"))
        {
            if (Convert.ToInt64(await check.ExecuteScalarAsync(ct), CultureInfo.InvariantCulture) > 0)
            {
                Volatile.Write(ref _seeded, true);
                return;
            }
        }

        var shipped = WorkingDayCalendarData.Shipped();
        var now = CanonicalEncoding.ToUnixMicroseconds(time.GetUtcNow());
        await using var tx = store.Dialect.Kind == StoreKind.Sqlite ? await store.Dialect.BeginAppendAsync(connection, ct) : await connection.BeginTransactionAsync(ct);
        int inserted;
        // On PostgreSQL a second seeder waits here on the first one's uncommitted row, then inserts nothing.
        await using (var meta = Sql.Command(connection, tx,
            "INSERT INTO calendar_meta (id, first_year, last_year, provisional_years, seeded_us, updated_us) VALUES (1, @first, @last, @provisional, @now, @now) "
            + "ON CONFLICT (id) DO NOTHING")
            .With("@first", shipped.FirstYear).With("@last", shipped.LastYear)
            .With("@provisional", string.Join(",", shipped.ProvisionalYears.Select(y => y.ToString(CultureInfo.InvariantCulture)))).With("@now", now))
            inserted = await meta.ExecuteNonQueryAsync(ct);
        if (inserted == 1)
        {
            string[] columns = ["date", "kind", "name_zh", "name_en", "updated_us", "updated_by"];
            await Sql.InsertRowsAsync(connection, tx, "calendar_days", columns, shipped.Days, (day, c) => c switch
            {
                0 => Text(day.Date),
                1 => WorkingDayCalendarData.KindCode(day.Kind),
                2 => day.NameZh,
                3 => day.NameEn,
                4 => now,
                _ => SeedActor,
            }, "", ct);
        }

        await tx.CommitAsync(ct);
        Volatile.Write(ref _seeded, true);
    }

    /// <summary>Edits queue one after another, across processes: SQLite's write lock, or the meta row's lock on PostgreSQL.</summary>
    private async Task<DbTransaction> BeginEditAsync(DbConnection connection, CancellationToken ct)
    {
        if (store.Dialect.Kind == StoreKind.Sqlite) return await store.Dialect.BeginAppendAsync(connection, ct);
        var tx = await connection.BeginTransactionAsync(System.Data.IsolationLevel.ReadCommitted, ct);
        await using var lockMeta = Sql.Command(connection, tx, "SELECT id FROM calendar_meta WHERE id = 1 FOR UPDATE");
        await lockMeta.ExecuteNonQueryAsync(ct);
        return tx;
    }

    private static async Task<WorkingDayCalendar> ReadAsync(DbConnection connection, DbTransaction? tx, CancellationToken ct)
    {
        int first, last;
        string provisional;
        await using (var meta = Sql.Command(connection, tx, "SELECT first_year, last_year, provisional_years FROM calendar_meta WHERE id = 1"))
        await using (var r = await meta.ExecuteReaderAsync(ct))
        {
            if (!await r.ReadAsync(ct)) throw new InvalidOperationException("calendar_meta has no row although the calendar was seeded.");
            (first, last, provisional) = (r.GetInt32(0), r.GetInt32(1), r.GetString(2));
        }

        var days = new List<CalendarDay>();
        await using (var cmd = Sql.Command(connection, tx, "SELECT date, kind, name_zh, name_en FROM calendar_days ORDER BY date"))
        await using (var r = await cmd.ExecuteReaderAsync(ct))
        {
            while (await r.ReadAsync(ct))
            {
                var date = ParseStoredDate(r.GetString(0));
                days.Add(new CalendarDay(date, StoredKind(r.GetString(1), date), r.GetString(2), r.GetString(3)));
            }
        }

        var years = provisional.Length == 0 ? [] : provisional.Split(',').Select(y => int.Parse(y, NumberStyles.None, CultureInfo.InvariantCulture));
        return new WorkingDayCalendar(days, first, last, years);
    }

    private static CalendarDay? ReadDay(DbDataReader r, int at, DateOnly date)
        => r.IsDBNull(at) ? null : new CalendarDay(date, StoredKind(r.GetString(at), date), r.GetString(at + 1), r.GetString(at + 2));

    private static CalendarDayKind StoredKind(string code, DateOnly date)
        => WorkingDayCalendarData.ParseKind(code) ?? throw new InvalidOperationException($"The calendar holds an unknown kind {code} on {Text(date)}.");

    private static DateOnly ParseStoredDate(string text)
        => WorkingDayCalendarData.ParseDate(text) ?? throw new InvalidOperationException($"The calendar holds a malformed date {text}.");

    private static string Text(DateOnly date) => date.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);
}
