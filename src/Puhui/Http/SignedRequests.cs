using System.Globalization;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Http.HttpResults;
using Puhui.Client;
using Puhui.Ledger;
using Puhui.Storage.Access;

namespace Puhui.Host.Http;

/// <summary>
/// Verifies an organisation's signed request (DESIGN §13): key id, timestamp within five minutes, an unused nonce, the
/// body's SHA-256 and the HMAC over all of them. The body is read here, within its size limit, and handed back.
/// </summary>
internal static class SignedRequests
{
    /// <param name="role">The role the key's organisation must carry for this endpoint: an operator's key does not use vouchers, a provider's does not ingest.</param>
    public static async Task<(VerifiedKey? Key, byte[] Body, ProblemHttpResult? Problem)> VerifyAsync(HttpContext http, ApiKeys keys, TimeProvider time, OrganisationRoles role,
        CancellationToken ct)
    {
        var headers = http.Request.Headers;
        string keyId = headers[SignatureHeaders.KeyId].ToString(), timestamp = headers[SignatureHeaders.Timestamp].ToString(),
            nonce = headers[SignatureHeaders.Nonce].ToString(), bodyHash = headers[SignatureHeaders.ContentSha256].ToString(),
            signature = headers[SignatureHeaders.Signature].ToString();
        if (keyId.Length == 0 || timestamp.Length == 0 || nonce.Length == 0 || bodyHash.Length == 0 || signature.Length == 0)
            return Refuse("signature-missing", $"send {SignatureHeaders.KeyId}, {SignatureHeaders.Timestamp}, {SignatureHeaders.Nonce}, {SignatureHeaders.ContentSha256} and {SignatureHeaders.Signature}");
        if (http.Request.ContentLength > WireLimits.BodyBytesMax)
            return Refuse("batch-too-large", $"a request body is at most {WireLimits.BodyBytesMax} bytes");

        var body = await ReadBodyAsync(http.Request.Body, ct);
        if (body is null) return Refuse("batch-too-large", $"a request body is at most {WireLimits.BodyBytesMax} bytes");
        if (!RequestSigner.TryParseTimestamp(timestamp, out var signedAt))
            return Refuse("timestamp-stale", "the timestamp is not Unix seconds");
        var now = time.GetUtcNow();
        if (!RequestSigner.IsWithinReplayWindow(signedAt, now))
            return Refuse("timestamp-stale", string.Create(CultureInfo.InvariantCulture, $"signed at {signedAt:O}; the platform's clock reads {now:O}"));
        if (!RequestSigner.IsValidNonce(nonce))
            return Refuse("nonce-reused", $"a nonce is {WireLimits.NonceLengthMin}–{WireLimits.NonceLengthMax} characters of A-Z, a-z, 0-9, '-' and '_'");
        if (!RequestSigner.VerifyBodyHash(body, bodyHash))
            return Refuse("body-hash-mismatch", $"{SignatureHeaders.ContentSha256} is not the SHA-256 of the body received");

        // Unknown, revoked and expired keys get one answer, so keys cannot be probed.
        var key = await keys.ResolveAsync(keyId, ct);
        if (key is null) return Refuse("key-unknown", null);
        // The request target exactly as sent, before any decoding, is what the client signed.
        var pathAndQuery = http.Features.Get<IHttpRequestFeature>()?.RawTarget is { Length: > 0 } raw ? raw : http.Request.Path.Value + http.Request.QueryString.Value;
        if (!RequestSigner.Verify(key.Secret, http.Request.Method, pathAndQuery, timestamp, nonce, bodyHash, signature))
            return Refuse("signature-invalid", "the signature does not verify over the string to sign");
        // A nonce need only be remembered while its timestamp is inside the window; after that the timestamp refuses it.
        if (!await keys.TryUseNonceAsync(keyId, nonce, signedAt + WireLimits.ReplayWindow + TimeSpan.FromSeconds(1), ct))
            return Refuse("nonce-reused", "this nonce was used before with this key");
        if (!key.Roles.HasFlag(role)) return Refuse("forbidden", $"this key's organisation does not carry the {role} role this endpoint needs");
        return (key, body, null);
    }

    private static (VerifiedKey?, byte[], ProblemHttpResult) Refuse(string code, string? detail) => (null, [], Problems.Of(code, detail));

    /// <summary>The whole body, or null when it is larger than the limit.</summary>
    private static async Task<byte[]?> ReadBodyAsync(Stream body, CancellationToken ct)
    {
        using var buffer = new MemoryStream();
        var chunk = new byte[81_920];
        int read;
        while ((read = await body.ReadAsync(chunk, ct)) > 0)
        {
            if (buffer.Length + read > WireLimits.BodyBytesMax) return null;
            buffer.Write(chunk, 0, read);
        }

        return buffer.ToArray();
    }
}
