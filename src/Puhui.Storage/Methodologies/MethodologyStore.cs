using System.Data.Common;
using Puhui.Ledger;
using Puhui.Methodologies;

namespace Puhui.Storage.Methodologies;

/// <summary>What happened to a methodology version offered to the store.</summary>
public enum RegistrationStatus
{
    /// <summary>A version the store did not hold; stored now.</summary>
    Stored,

    /// <summary>The store held this version with exactly this text already.</summary>
    Unchanged,

    /// <summary>The store held this version with other text, never used; the new text replaced it.</summary>
    Replaced,

    /// <summary>The store holds this version with other text and something has used it: a change needs a new version.</summary>
    VersionInUse,

    /// <summary>The text is not a valid methodology, or one of its test vectors fails.</summary>
    Invalid,
}

/// <summary>The outcome of offering one methodology text to the store.</summary>
public sealed record Registration(RegistrationStatus Status, string? MethodologyId, string? Version, string? ContentHash, string? Problem)
{
    public bool Succeeded => Status is RegistrationStatus.Stored or RegistrationStatus.Unchanged or RegistrationStatus.Replaced;
}

/// <summary>Where a stored methodology version stands.</summary>
public enum MethodologyStanding : byte
{
    /// <summary>Filed and published: new scenarios and projects may use it.</summary>
    Filed = 1,

    /// <summary>A newer version of the methodology is filed; what used this one keeps using it.</summary>
    Revised = 2,

    /// <summary>Withdrawn by the administrator: nothing new may use it; what used it stands.</summary>
    Withdrawn = 3,
}

/// <summary>A methodology version as the store holds it.</summary>
/// <param name="ApplicationId">The governance application that filed it; null for a version imported by the administrator.</param>
public sealed record StoredMethodology(string MethodologyId, string Version, string ContentHash, string Content, MethodologyClass Class, MethodologyKind Kind,
    string TitleZh, string TitleEn, DateTimeOffset StoredAt, DateTimeOffset? FirstUsedAt, MethodologyStanding Standing = MethodologyStanding.Filed, long? ApplicationId = null)
{
    public static string Code(MethodologyStanding standing) => standing switch
    {
        MethodologyStanding.Filed => "filed",
        MethodologyStanding.Revised => "revised",
        MethodologyStanding.Withdrawn => "withdrawn",
        _ => "unknown",
    };

    /// <summary>Loads the stored text; the hash it carries is checked against the stored one.</summary>
    public Methodology Load()
    {
        var methodology = MethodologyLoader.Parse(Content);
        if (methodology.ContentHash != ContentHash)
            throw new InvalidOperationException($"Methodology {MethodologyId} {Version} does not hash to its stored hash {ContentHash}.");
        return methodology;
    }
}

/// <summary>
/// Methodology versions in the database, each the exact text that computes with it. A version may be
/// corrected until something uses it (a batch names it); from then on it is immutable and a change must be
/// published as a new version, which leaves the old one, and everything it computed, as it was.
/// </summary>
public sealed class MethodologyStore(SqlDialect dialect, TimeProvider? time = null)
{
    private readonly TimeProvider _time = time ?? TimeProvider.System;

    /// <summary>Loads a methodology text and runs its test vectors: the methodology, or why it is not valid.</summary>
    public static (Methodology? Methodology, string? Problem) Check(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        Methodology methodology;
        try
        {
            methodology = MethodologyLoader.Parse(text);
        }
        catch (MethodologyException e)
        {
            return (null, e.Message);
        }

        var failed = methodology.RunTestVectors().FirstOrDefault(r => !r.Passed);
        return failed is null ? (methodology, null) : (methodology, $"test vector '{failed.Vector.Name}' fails: {failed.Problem ?? failed.Actual}");
    }

    /// <summary>
    /// Checks a methodology text (it must load and pass every test vector) and stores its version as filed: the
    /// administrator's import of the platform's shipped library. Applications file theirs through the governance workflow.
    /// </summary>
    public async Task<Registration> RegisterAsync(string text, CancellationToken ct = default)
    {
        var (checkedMethodology, problem) = Check(text);
        if (problem is not null || checkedMethodology is not { } methodology)
            return new Registration(RegistrationStatus.Invalid, checkedMethodology?.Id, checkedMethodology?.Version, checkedMethodology?.ContentHash, problem);

        var content = MethodologyLoader.Canonical(text);
        await using var connection = await dialect.OpenAsync(ct);
        // Registrations queue on the ledger's write lock, so two of the same version cannot interleave.
        await using var tx = await dialect.BeginAppendAsync(connection, ct);
        var existing = await FindAsync(connection, tx, methodology.Id, methodology.Version, ct);
        RegistrationStatus status;
        if (existing is null)
        {
            await using var insert = Sql.Command(connection, tx, """
                INSERT INTO methodology_versions (methodology_id, version, content_hash, content, class, kind, title_zh, title_en, stored_us, first_used_us)
                VALUES (@id, @version, @hash, @content, @class, @kind, @zh, @en, @at, NULL)
                """)
                .With("@id", methodology.Id).With("@version", methodology.Version).With("@hash", methodology.ContentHash).With("@content", content)
                .With("@class", (int)methodology.Class).With("@kind", (int)methodology.Kind).With("@zh", methodology.Title.Zh).With("@en", methodology.Title.En)
                .With("@at", Now());
            await insert.ExecuteNonQueryAsync(ct);
            status = RegistrationStatus.Stored;
        }
        else if (existing.ContentHash == methodology.ContentHash)
        {
            status = RegistrationStatus.Unchanged;
        }
        else if (existing.FirstUsedAt is not null)
        {
            await tx.RollbackAsync(ct);
            return new Registration(RegistrationStatus.VersionInUse, methodology.Id, methodology.Version, methodology.ContentHash,
                $"version {methodology.Version} of {methodology.Id} has been in use since {existing.FirstUsedAt:yyyy-MM-dd}; publish the change as a new version");
        }
        else
        {
            await using var update = Sql.Command(connection, tx, """
                UPDATE methodology_versions SET content_hash = @hash, content = @content, class = @class, kind = @kind, title_zh = @zh, title_en = @en, stored_us = @at
                WHERE methodology_id = @id AND version = @version AND first_used_us IS NULL
                """)
                .With("@id", methodology.Id).With("@version", methodology.Version).With("@hash", methodology.ContentHash).With("@content", content)
                .With("@class", (int)methodology.Class).With("@kind", (int)methodology.Kind).With("@zh", methodology.Title.Zh).With("@en", methodology.Title.En)
                .With("@at", Now());
            if (await update.ExecuteNonQueryAsync(ct) == 0)
            {
                // A batch named the version between our read and our update: it is frozen now.
                await tx.RollbackAsync(ct);
                return new Registration(RegistrationStatus.VersionInUse, methodology.Id, methodology.Version, methodology.ContentHash,
                    $"version {methodology.Version} of {methodology.Id} has just been used; publish the change as a new version");
            }

            status = RegistrationStatus.Replaced;
        }

        await tx.CommitAsync(ct);
        return new Registration(status, methodology.Id, methodology.Version, methodology.ContentHash, null);
    }

    /// <summary>
    /// Stores a version filed by a governance application, inside the application's transaction, and marks the
    /// methodology's earlier filed versions revised. False when the store already holds that version.
    /// </summary>
    public static async Task<bool> FileWithinAsync(DbConnection connection, DbTransaction tx, Methodology methodology, string text, long applicationId, long atMicroseconds,
        CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(methodology);
        if (await FindAsync(connection, tx, methodology.Id, methodology.Version, ct) is not null) return false;
        await using (var insert = Sql.Command(connection, tx, """
            INSERT INTO methodology_versions (methodology_id, version, content_hash, content, class, kind, title_zh, title_en, stored_us, first_used_us, status, application_id)
            VALUES (@id, @version, @hash, @content, @class, @kind, @zh, @en, @at, NULL, @status, @app)
            """)
            .With("@id", methodology.Id).With("@version", methodology.Version).With("@hash", methodology.ContentHash).With("@content", MethodologyLoader.Canonical(text))
            .With("@class", (int)methodology.Class).With("@kind", (int)methodology.Kind).With("@zh", methodology.Title.Zh).With("@en", methodology.Title.En)
            .With("@at", atMicroseconds).With("@status", (int)MethodologyStanding.Filed).With("@app", applicationId))
            await insert.ExecuteNonQueryAsync(ct);
        await using var revise = Sql.Command(connection, tx,
            "UPDATE methodology_versions SET status = @revised WHERE methodology_id = @id AND version <> @version AND status = @filed")
            .With("@revised", (int)MethodologyStanding.Revised).With("@id", methodology.Id).With("@version", methodology.Version).With("@filed", (int)MethodologyStanding.Filed);
        await revise.ExecuteNonQueryAsync(ct);
        return true;
    }

    /// <summary>Sets a stored version's standing inside a governance step's transaction; false when the store does not hold it.</summary>
    public static async Task<bool> SetStandingWithinAsync(DbConnection connection, DbTransaction tx, string methodologyId, string version, MethodologyStanding standing, CancellationToken ct)
    {
        await using var update = Sql.Command(connection, tx, "UPDATE methodology_versions SET status = @status WHERE methodology_id = @id AND version = @version")
            .With("@status", (int)standing).With("@id", methodologyId).With("@version", version);
        return await update.ExecuteNonQueryAsync(ct) == 1;
    }

    public async Task<StoredMethodology?> GetAsync(string methodologyId, string version, CancellationToken ct = default)
    {
        await using var connection = await dialect.OpenAsync(ct);
        return await FindAsync(connection, null, methodologyId, version, ct);
    }

    /// <summary>Every stored version, by id and then version as stored.</summary>
    public async Task<IReadOnlyList<StoredMethodology>> ListAsync(CancellationToken ct = default)
    {
        await using var connection = await dialect.OpenAsync(ct);
        await using var cmd = Sql.Command(connection, null, Select + " ORDER BY methodology_id, stored_us, version");
        await using var r = await cmd.ExecuteReaderAsync(ct);
        var list = new List<StoredMethodology>();
        while (await r.ReadAsync(ct)) list.Add(Read(r));
        return list;
    }

    /// <summary>
    /// Records that something computed with a version, which freezes it. Returns false when the store does not
    /// hold that version. Called by the ledger when a batch names the version.
    /// </summary>
    public static async Task<bool> MarkUsedAsync(DbConnection connection, DbTransaction? tx, string methodologyId, string version, long atMicroseconds, CancellationToken ct)
    {
        await using var cmd = Sql.Command(connection, tx,
            "UPDATE methodology_versions SET first_used_us = COALESCE(first_used_us, @at) WHERE methodology_id = @id AND version = @version")
            .With("@at", atMicroseconds).With("@id", methodologyId).With("@version", version);
        return await cmd.ExecuteNonQueryAsync(ct) == 1;
    }

    private const string Select = "SELECT methodology_id, version, content_hash, content, class, kind, title_zh, title_en, stored_us, first_used_us, status, application_id FROM methodology_versions";

    private static async Task<StoredMethodology?> FindAsync(DbConnection connection, DbTransaction? tx, string methodologyId, string version, CancellationToken ct)
    {
        await using var cmd = Sql.Command(connection, tx, Select + " WHERE methodology_id = @id AND version = @version").With("@id", methodologyId).With("@version", version);
        await using var r = await cmd.ExecuteReaderAsync(ct);
        return await r.ReadAsync(ct) ? Read(r) : null;
    }

    private static StoredMethodology Read(DbDataReader r) => new(r.GetString(0), r.GetString(1), r.GetString(2), r.GetString(3),
        (MethodologyClass)r.GetInt32(4), (MethodologyKind)r.GetInt32(5), r.GetString(6), r.GetString(7),
        CanonicalEncoding.FromUnixMicroseconds(r.GetInt64(8)), r.IsDBNull(9) ? null : CanonicalEncoding.FromUnixMicroseconds(r.GetInt64(9)),
        (MethodologyStanding)r.GetInt64(10), r.IsDBNull(11) ? null : r.GetInt64(11));

    private long Now() => CanonicalEncoding.ToUnixMicroseconds(_time.GetUtcNow());
}
