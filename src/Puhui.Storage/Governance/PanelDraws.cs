using System.Data.Common;
using System.Globalization;
using System.Security.Cryptography;
using System.Text.Json;
using Puhui.Governance;
using Puhui.Ledger;
using Puhui.Storage.Ledger;

namespace Puhui.Storage.Governance;

/// <summary>The outcome of drawing and storing a panel: the stored draw, a shortfall (nothing stored), or the problem with the request.</summary>
/// <param name="DrawId">The stored draw's id; 0 unless <see cref="PanelDrawStatus.Drawn"/>.</param>
public sealed record PanelDrawOutcome(PanelDrawStatus Status, long DrawId, PanelDrawRecord? Record, PanelShortfall? Shortfall, string? Problem);

/// <summary>A draw as stored: what it was for, the record, who drew it and when.</summary>
/// <param name="Subject">What the panel reviews, e.g. <c>application:42</c>.</param>
public sealed record StoredPanelDraw(long Id, string Subject, PanelDrawRecord Record, string DrawnBy, DateTimeOffset At);

/// <summary>
/// Panels drawn from the expert pool (SZ 11): each draw is stored whole, with its seed and the pool as it stood,
/// so that anyone can replay it (<see cref="PanelDraw.Verify"/>). Draws are never changed or deleted; drawing
/// again for the same subject adds a draw.
/// </summary>
public sealed class PanelDraws(LedgerStore store, TimeProvider time)
{
    public const int SubjectLengthMax = 100;

    /// <summary>The most draws <see cref="ListDrawsAsync"/> returns for one subject, oldest first.</summary>
    public const int ListMax = 200;

    /// <summary>
    /// Draws a panel for <paramref name="subject"/> inside the caller's transaction: reads the pool, draws with a
    /// fresh seed of <see cref="PanelDraw.SeedBytes"/> bytes from <see cref="RandomNumberGenerator"/>, and stores
    /// the record. A shortfall or an invalid request stores nothing. The draw commits or rolls back with
    /// <paramref name="tx"/>.
    /// </summary>
    public static async Task<PanelDrawOutcome> DrawAsync(DbConnection connection, DbTransaction tx, string subject, PanelRequest request, string actor, long atMicroseconds,
        CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(connection);
        ArgumentNullException.ThrowIfNull(tx);
        ArgumentNullException.ThrowIfNull(request);
        ArgumentException.ThrowIfNullOrWhiteSpace(actor);
        if (SubjectProblem(subject) is { } subjectProblem) return new(PanelDrawStatus.Invalid, 0, null, null, subjectProblem);
        if (request.Problem() is { } problem) return new(PanelDrawStatus.Invalid, 0, null, null, problem);

        var pool = await ExpertStore.ReadPoolAsync(connection, tx, ct);
        var result = PanelDraw.Draw(pool, request, RandomNumberGenerator.GetBytes(PanelDraw.SeedBytes));
        if (result.Status != PanelDrawStatus.Drawn) return new(result.Status, 0, null, result.Shortfall, result.Problem);

        var record = result.Record!;
        await using var insert = Sql.Command(connection, tx, "INSERT INTO panel_draws (subject, record, drawn_by, at_us) VALUES (@s, @r, @by, @at) RETURNING id")
            .With("@s", subject).With("@r", JsonSerializer.Serialize(record, ExpertJson.Default.PanelDrawRecord)).With("@by", actor).With("@at", atMicroseconds);
        var id = Convert.ToInt64(await insert.ExecuteScalarAsync(ct), CultureInfo.InvariantCulture);
        return new(PanelDrawStatus.Drawn, id, record, null, null);
    }

    /// <summary>Draws a panel in a transaction of its own, at the store's time: for a draw that is not one step of a larger change.</summary>
    public async Task<PanelDrawOutcome> DrawAsync(string subject, PanelRequest request, string actor, CancellationToken ct = default)
    {
        await using var connection = await store.Dialect.OpenAsync(ct);
        await using var tx = await connection.BeginTransactionAsync(ct);
        var outcome = await DrawAsync(connection, tx, subject, request, actor, CanonicalEncoding.ToUnixMicroseconds(time.GetUtcNow()), ct);
        if (outcome.Status == PanelDrawStatus.Drawn) await tx.CommitAsync(ct);
        return outcome;
    }

    public async Task<StoredPanelDraw?> GetDrawAsync(long drawId, CancellationToken ct = default)
    {
        await using var connection = await store.Dialect.OpenAsync(ct);
        await using var cmd = Sql.Command(connection, null, "SELECT id, subject, record, drawn_by, at_us FROM panel_draws WHERE id = @id").With("@id", drawId);
        await using var r = await cmd.ExecuteReaderAsync(ct);
        return await r.ReadAsync(ct) ? Read(r) : null;
    }

    /// <summary>The draws for <paramref name="subject"/>, oldest first (at most <see cref="ListMax"/>).</summary>
    public async Task<IReadOnlyList<StoredPanelDraw>> ListDrawsAsync(string subject, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(subject);
        await using var connection = await store.Dialect.OpenAsync(ct);
        await using var cmd = Sql.Command(connection, null, "SELECT id, subject, record, drawn_by, at_us FROM panel_draws WHERE subject = @s ORDER BY id LIMIT @limit")
            .With("@s", subject).With("@limit", ListMax);
        var list = new List<StoredPanelDraw>();
        await using var r = await cmd.ExecuteReaderAsync(ct);
        while (await r.ReadAsync(ct)) list.Add(Read(r));
        return list;
    }

    /// <summary>A subject is 1–<see cref="SubjectLengthMax"/> printable characters without spaces, such as <c>application:42</c>.</summary>
    public static string? SubjectProblem(string? subject)
    {
        if (string.IsNullOrEmpty(subject) || subject.Length > SubjectLengthMax || subject.Any(c => char.IsControl(c) || char.IsWhiteSpace(c)))
            return $"subject must be 1–{SubjectLengthMax} characters without spaces, e.g. application:42";
        return null;
    }

    private static StoredPanelDraw Read(DbDataReader r) => new(
        r.GetInt64(0),
        r.GetString(1),
        JsonSerializer.Deserialize(r.GetString(2), ExpertJson.Default.PanelDrawRecord) ?? throw new InvalidOperationException("A panel draw's record is empty."),
        r.GetString(3),
        CanonicalEncoding.FromUnixMicroseconds(r.GetInt64(4)));
}
