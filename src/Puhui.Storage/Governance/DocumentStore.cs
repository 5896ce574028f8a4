using System.Security.Cryptography;
using System.Text.RegularExpressions;
using Puhui.Ledger;

namespace Puhui.Storage.Governance;

/// <summary>A stored document's description; its content is read separately.</summary>
public sealed record StoredDocument(string Sha256, string Name, string MediaType, long SizeBytes, string StoredBy, DateTimeOffset StoredAt);

/// <summary>
/// Documents by content: each stored once under its SHA-256 and never overwritten, so a hash on the governance log
/// always names the same bytes. Storing the same bytes again returns the first record.
/// </summary>
public sealed partial class DocumentStore(SqlDialect dialect, TimeProvider time)
{
    public const int SizeBytesMax = 8 * 1024 * 1024;
    public const int NameLengthMax = 200;

    /// <summary>Why the document cannot be stored, or null.</summary>
    public static string? Problem(string name, string mediaType, int sizeBytes)
    {
        if (string.IsNullOrWhiteSpace(name) || name.Length > NameLengthMax || name.IndexOfAny(['/', '\\', '\0']) >= 0)
            return $"name must be 1–{NameLengthMax} characters without / or \\";
        if (mediaType is null || !MediaTypePattern().IsMatch(mediaType)) return "mediaType must be a media type such as application/pdf";
        if (sizeBytes == 0) return "the document is empty";
        if (sizeBytes > SizeBytesMax) return $"a document is at most {SizeBytesMax / (1024 * 1024)} MiB";
        return null;
    }

    public async Task<StoredDocument> StoreAsync(string name, string mediaType, byte[] content, string storedBy, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(content);
        if (Problem(name, mediaType, content.Length) is { } problem) throw new ArgumentException(problem, nameof(content));
        var sha = Convert.ToHexStringLower(SHA256.HashData(content));
        await using var connection = await dialect.OpenAsync(ct);
        await using (var insert = Sql.Command(connection, null, """
            INSERT INTO documents (sha256, name, media_type, size_bytes, content, stored_by, stored_us) VALUES (@sha, @name, @type, @size, @content, @by, @at)
            ON CONFLICT (sha256) DO NOTHING
            """)
            .With("@sha", sha).With("@name", name).With("@type", mediaType).With("@size", (long)content.Length).With("@content", content)
            .With("@by", storedBy).With("@at", CanonicalEncoding.ToUnixMicroseconds(time.GetUtcNow())))
            await insert.ExecuteNonQueryAsync(ct);
        return await GetAsync(sha, ct) ?? throw new InvalidOperationException($"Document {sha} vanished after it was stored.");
    }

    public async Task<StoredDocument?> GetAsync(string sha256, CancellationToken ct)
    {
        await using var connection = await dialect.OpenAsync(ct);
        await using var cmd = Sql.Command(connection, null, "SELECT sha256, name, media_type, size_bytes, stored_by, stored_us FROM documents WHERE sha256 = @sha").With("@sha", sha256);
        await using var r = await cmd.ExecuteReaderAsync(ct);
        return await r.ReadAsync(ct)
            ? new StoredDocument(r.GetString(0), r.GetString(1), r.GetString(2), r.GetInt64(3), r.GetString(4), CanonicalEncoding.FromUnixMicroseconds(r.GetInt64(5)))
            : null;
    }

    /// <summary>The document's bytes, checked against its name: a stored document that no longer hashes to it is a broken invariant.</summary>
    public async Task<byte[]?> ReadAsync(string sha256, CancellationToken ct)
    {
        await using var connection = await dialect.OpenAsync(ct);
        await using var cmd = Sql.Command(connection, null, "SELECT content FROM documents WHERE sha256 = @sha").With("@sha", sha256);
        var content = await cmd.ExecuteScalarAsync(ct) as byte[];
        if (content is not null && Convert.ToHexStringLower(SHA256.HashData(content)) != sha256)
            throw new InvalidOperationException($"Document {sha256} no longer hashes to its name.");
        return content;
    }

    /// <summary>
    /// Whether a document is public: attached to an application in a state the public may read (under notice,
    /// filed, approved, running …) as listed by <paramref name="publicStates"/> per kind.
    /// </summary>
    public async Task<bool> IsDisclosedAsync(string sha256, IReadOnlyDictionary<string, IReadOnlyList<string>> publicStates, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(publicStates);
        await using var connection = await dialect.OpenAsync(ct);
        await using var cmd = Sql.Command(connection, null,
            "SELECT a.kind, a.state FROM application_documents d JOIN applications a ON a.id = d.application_id WHERE d.sha256 = @sha").With("@sha", sha256);
        await using var r = await cmd.ExecuteReaderAsync(ct);
        while (await r.ReadAsync(ct))
        {
            if (publicStates.TryGetValue(r.GetString(0), out var states) && states.Contains(r.GetString(1), StringComparer.Ordinal)) return true;
        }

        return false;
    }

    /// <summary>The applications a document is attached to, by id.</summary>
    public async Task<IReadOnlyList<long>> ApplicationsAsync(string sha256, CancellationToken ct)
    {
        await using var connection = await dialect.OpenAsync(ct);
        await using var cmd = Sql.Command(connection, null, "SELECT DISTINCT application_id FROM application_documents WHERE sha256 = @sha ORDER BY application_id").With("@sha", sha256);
        var ids = new List<long>();
        await using var r = await cmd.ExecuteReaderAsync(ct);
        while (await r.ReadAsync(ct)) ids.Add(r.GetInt64(0));
        return ids;
    }

    public static bool IsSha256(string? text) => text is { Length: 64 } && HexPattern().IsMatch(text);

    [GeneratedRegex("^[a-z0-9!#$&^_.+-]{1,64}/[a-z0-9!#$&^_.+-]{1,64}$", RegexOptions.CultureInvariant)]
    private static partial Regex MediaTypePattern();

    [GeneratedRegex("^[0-9a-f]{64}$", RegexOptions.CultureInvariant)]
    private static partial Regex HexPattern();
}
