using System.Buffers;
using System.Buffers.Text;
using System.Diagnostics.CodeAnalysis;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace Puhui.Client;

/// <summary>
/// The request signature of the ingestion API (scheme <see cref="Algorithm"/>), used by the client to sign and by
/// the server to verify. The string to sign is six lines joined by <c>\n</c>, without a trailing newline:
/// <code>
/// PUHUI1-HMAC-SHA256
/// {METHOD in upper case}
/// {path and query exactly as on the request line}
/// {timestamp: Unix seconds}
/// {nonce}
/// {lowercase hex SHA-256 of the body bytes}
/// </code>
/// The signature is the lowercase hex HMAC-SHA256 of its UTF-8 bytes, keyed with the UTF-8 bytes of the secret.
/// </summary>
public static class RequestSigner
{
    /// <summary>The first line of the string to sign; it names the scheme so that a later one cannot be confused with it.</summary>
    public const string Algorithm = "PUHUI1-HMAC-SHA256";

    /// <summary>The length of a SHA-256 or HMAC-SHA256 value in hex characters.</summary>
    public const int HexLength = 2 * SHA256.HashSizeInBytes;

    private const int NonceBytes = 16;

    /// <summary>The lowercase hex SHA-256 of the exact body bytes (of an empty body for a request without one).</summary>
    public static string BodyHash(ReadOnlySpan<byte> body)
    {
        Span<byte> hash = stackalloc byte[SHA256.HashSizeInBytes];
        SHA256.HashData(body, hash);
        return Convert.ToHexStringLower(hash);
    }

    /// <summary>
    /// Whether <paramref name="bodyHashHex"/> is the SHA-256 of <paramref name="body"/>, hex in either case; a
    /// malformed hash is <see langword="false"/>.
    /// </summary>
    public static bool VerifyBodyHash(ReadOnlySpan<byte> body, string? bodyHashHex)
    {
        Span<byte> claimed = stackalloc byte[SHA256.HashSizeInBytes];
        if (!TryDecodeHash(bodyHashHex, claimed))
            return false;
        Span<byte> actual = stackalloc byte[SHA256.HashSizeInBytes];
        SHA256.HashData(body, actual);
        return CryptographicOperations.FixedTimeEquals(actual, claimed);
    }

    /// <summary>The string to sign. Throws <see cref="ArgumentException"/> if a part is empty or contains a line feed.</summary>
    public static string StringToSign(string method, string pathAndQuery, string timestamp, string nonce, string bodyHashHex)
    {
        RequirePart(method, nameof(method));
        RequirePart(pathAndQuery, nameof(pathAndQuery));
        RequirePart(timestamp, nameof(timestamp));
        RequirePart(nonce, nameof(nonce));
        RequirePart(bodyHashHex, nameof(bodyHashHex));
        return string.Join('\n', Algorithm, method.ToUpperInvariant(), pathAndQuery, timestamp, nonce, bodyHashHex);
    }

    /// <summary>The lowercase hex HMAC-SHA256 of the string to sign, keyed with the UTF-8 bytes of <paramref name="secret"/>.</summary>
    public static string Sign(string secret, string method, string pathAndQuery, string timestamp, string nonce, string bodyHashHex)
    {
        ArgumentException.ThrowIfNullOrEmpty(secret);
        Span<byte> mac = stackalloc byte[HMACSHA256.HashSizeInBytes];
        Mac(secret, StringToSign(method, pathAndQuery, timestamp, nonce, bodyHashHex), mac);
        return Convert.ToHexStringLower(mac);
    }

    /// <summary>
    /// Whether <paramref name="signatureHex"/> (hex in either case) is the signature of the request, compared in
    /// constant time. Malformed input of any kind is <see langword="false"/>, never an exception, so a server can
    /// pass header values straight in. The caller still checks the timestamp (<see cref="IsWithinReplayWindow"/>),
    /// the nonce (<see cref="IsValidNonce"/> and its own memory of used ones) and the body hash
    /// (<see cref="VerifyBodyHash"/>).
    /// </summary>
    public static bool Verify(
        string? secret, string? method, string? pathAndQuery, string? timestamp, string? nonce, string? bodyHashHex, string? signatureHex)
    {
        if (string.IsNullOrEmpty(secret) || !IsPart(method) || !IsPart(pathAndQuery) || !IsPart(timestamp)
            || !IsPart(nonce) || !IsPart(bodyHashHex))
            return false;
        Span<byte> claimed = stackalloc byte[HMACSHA256.HashSizeInBytes];
        if (!TryDecodeHash(signatureHex, claimed))
            return false;
        Span<byte> expected = stackalloc byte[HMACSHA256.HashSizeInBytes];
        Mac(secret, StringToSign(method, pathAndQuery, timestamp, nonce, bodyHashHex), expected);
        return CryptographicOperations.FixedTimeEquals(expected, claimed);
    }

    /// <summary>A fresh nonce: 16 random bytes in unpadded base64url, 22 characters.</summary>
    public static string NewNonce()
    {
        Span<byte> bytes = stackalloc byte[NonceBytes];
        RandomNumberGenerator.Fill(bytes);
        return Base64Url.EncodeToString(bytes);
    }

    /// <summary>
    /// Whether <paramref name="nonce"/> has <see cref="WireLimits.NonceLengthMin"/> to
    /// <see cref="WireLimits.NonceLengthMax"/> characters, each of <c>[A-Za-z0-9_-]</c>.
    /// </summary>
    public static bool IsValidNonce(string? nonce) =>
        nonce is { Length: >= WireLimits.NonceLengthMin and <= WireLimits.NonceLengthMax }
        && !nonce.AsSpan().ContainsAnyExcept(NonceChars);

    private static readonly SearchValues<char> NonceChars =
        SearchValues.Create("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-");

    /// <summary>The timestamp header value for an instant: whole Unix seconds, invariant decimal digits.</summary>
    public static string FormatTimestamp(DateTimeOffset instant) =>
        instant.ToUnixTimeSeconds().ToString(CultureInfo.InvariantCulture);

    /// <summary>
    /// Parses a timestamp header value: ASCII decimal digits only (no sign, no spaces), 1 to 12 of them.
    /// </summary>
    public static bool TryParseTimestamp(string? timestamp, out DateTimeOffset instant)
    {
        instant = default;
        if (timestamp is not { Length: >= 1 and <= 12 } || timestamp.AsSpan().ContainsAnyExceptInRange('0', '9'))
            return false;
        var seconds = long.Parse(timestamp, NumberStyles.None, CultureInfo.InvariantCulture);
        if (seconds > DateTimeOffset.MaxValue.ToUnixTimeSeconds())
            return false;
        instant = DateTimeOffset.FromUnixTimeSeconds(seconds);
        return true;
    }

    /// <summary>
    /// Whether a signed timestamp is at most <see cref="WireLimits.ReplayWindow"/> before or after
    /// <paramref name="now"/> (both ends included).
    /// </summary>
    public static bool IsWithinReplayWindow(DateTimeOffset timestamp, DateTimeOffset now) =>
        timestamp >= now - WireLimits.ReplayWindow && timestamp <= now + WireLimits.ReplayWindow;

    private static void Mac(string secret, string stringToSign, Span<byte> destination)
    {
        var key = Encoding.UTF8.GetBytes(secret);
        var data = Encoding.UTF8.GetBytes(stringToSign);
        HMACSHA256.HashData(key, data, destination);
        CryptographicOperations.ZeroMemory(key);
    }

    private static bool TryDecodeHash(string? hex, Span<byte> destination) =>
        hex is { Length: HexLength }
        && Convert.FromHexString(hex, destination, out var consumed, out var written) == OperationStatus.Done
        && consumed == HexLength && written == destination.Length;

    private static bool IsPart([NotNullWhen(true)] string? part) => !string.IsNullOrEmpty(part) && !part.Contains('\n', StringComparison.Ordinal);

    private static void RequirePart(string part, string name)
    {
        ArgumentException.ThrowIfNullOrEmpty(part, name);
        if (part.Contains('\n', StringComparison.Ordinal))
            throw new ArgumentException("A part of the string to sign must not contain a line feed.", name);
    }
}
