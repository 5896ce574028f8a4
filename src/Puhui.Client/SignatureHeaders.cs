namespace Puhui.Client;

/// <summary>The five request headers that carry a signature (see <see cref="RequestSigner"/>).</summary>
public static class SignatureHeaders
{
    /// <summary>The operator's key id (<c>pk_...</c>).</summary>
    public const string KeyId = "X-Puhui-Key-Id";

    /// <summary>When the request was signed: Unix seconds, invariant decimal digits.</summary>
    public const string Timestamp = "X-Puhui-Timestamp";

    /// <summary>A value never used before with this key: 16 to 64 characters of <c>[A-Za-z0-9_-]</c>.</summary>
    public const string Nonce = "X-Puhui-Nonce";

    /// <summary>The lowercase hex SHA-256 of the exact body bytes.</summary>
    public const string ContentSha256 = "X-Puhui-Content-SHA256";

    /// <summary>The lowercase hex HMAC-SHA256 of the string to sign.</summary>
    public const string Signature = "X-Puhui-Signature";

    /// <summary>All five, in the order above.</summary>
    public static IReadOnlyList<string> All { get; } = [KeyId, Timestamp, Nonce, ContentSha256, Signature];

    /// <summary>
    /// Sets the five headers on <paramref name="request"/>, replacing any already there. A header whose value is
    /// <see langword="null"/> is left out (tests use that to send an unsigned request).
    /// </summary>
    public static void Apply(
        HttpRequestMessage request, string? keyId, string? timestamp, string? nonce, string? bodyHashHex, string? signatureHex)
    {
        ArgumentNullException.ThrowIfNull(request);
        Set(request, KeyId, keyId);
        Set(request, Timestamp, timestamp);
        Set(request, Nonce, nonce);
        Set(request, ContentSha256, bodyHashHex);
        Set(request, Signature, signatureHex);
    }

    private static void Set(HttpRequestMessage request, string name, string? value)
    {
        request.Headers.Remove(name);
        if (value is not null && !request.Headers.TryAddWithoutValidation(name, value))
            throw new ArgumentException($"'{value}' is not a valid value for {name}.", nameof(request));
    }
}
