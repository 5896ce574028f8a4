using System.Security.Cryptography;
using System.Text;
using Puhui.Client;

namespace Puhui.Tests.Client;

public class RequestSignerTests
{
    private const string Secret = "sk_test_0123456789abcdef";
    private const string Method = "POST";
    private const string Path = "/api/v1/behaviours:batch";
    private const string Timestamp = "1767225600";
    private const string Nonce = "AAECAwQFBgcICQoLDA0ODw";
    private static readonly byte[] Body = "{\"records\":[]}"u8.ToArray();
    private const string BodyHashHex = "1b8b4c0b6f6ad1d32565952720bc004eeb1f188f62045e4d5525ae2af8c78432";

    // Computed outside .NET (Python's hmac module) over the same string to sign; also in docs/ingestion-api.md.
    private const string SignatureHex = "ac55133481264f7baf8f05fec04787959f171c9d6b5b19b8e7df6618d9287a21";

    private static string Sign() => RequestSigner.Sign(Secret, Method, Path, Timestamp, Nonce, BodyHashHex);

    [Fact]
    public void Body_hash_is_lowercase_hex_sha256_of_the_exact_bytes()
    {
        Assert.Equal(BodyHashHex, RequestSigner.BodyHash(Body));
        Assert.Equal("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855", RequestSigner.BodyHash([]));
        Assert.NotEqual(BodyHashHex, RequestSigner.BodyHash("{\"records\":[] }"u8));
    }

    [Fact]
    public void String_to_sign_is_six_lines_without_a_trailing_newline()
    {
        var expected = "PUHUI1-HMAC-SHA256\nPOST\n/api/v1/behaviours:batch\n1767225600\nAAECAwQFBgcICQoLDA0ODw\n" + BodyHashHex;
        Assert.Equal(expected, RequestSigner.StringToSign(Method, Path, Timestamp, Nonce, BodyHashHex));
        Assert.Equal(expected, RequestSigner.StringToSign("post", Path, Timestamp, Nonce, BodyHashHex));
    }

    [Fact]
    public void Signature_is_hmac_sha256_of_the_literal_string_to_sign_keyed_with_the_secret()
    {
        var literal = "PUHUI1-HMAC-SHA256\nPOST\n/api/v1/behaviours:batch\n1767225600\nAAECAwQFBgcICQoLDA0ODw\n"
            + "1b8b4c0b6f6ad1d32565952720bc004eeb1f188f62045e4d5525ae2af8c78432";
        var independent = Convert.ToHexStringLower(HMACSHA256.HashData(Encoding.UTF8.GetBytes(Secret), Encoding.UTF8.GetBytes(literal)));

        Assert.Equal(independent, Sign());
        Assert.Equal(SignatureHex, Sign());
    }

    [Fact]
    public void The_worked_example_in_the_docs_signs_as_documented()
    {
        var body = """{"records":[{"scenario":"metro","externalId":"trip-20260101-0001","userRef":"card-8812","occurredAt":"2026-01-01T08:42:00+08:00","inputs":{"distance_km":12.4}}]}"""u8;
        var hash = RequestSigner.BodyHash(body);

        Assert.Equal(161, body.Length);
        Assert.Equal("2d81cea123bd57401b3233d85fe3a3a431021080013b1358b1b437f7a05f8ea7", hash);
        Assert.Equal("1767228180", RequestSigner.FormatTimestamp(new DateTimeOffset(2026, 1, 1, 8, 43, 0, TimeSpan.FromHours(8))));
        Assert.Equal(
            "2cc95b4a89854f96bdd0ac1b78f2a1bee8dd22504d1ac0c44017ad55596f33b2",
            RequestSigner.Sign("sk_live_5bXw2Qd9rT4yHk7MzV1pLc", "POST", Path, "1767228180", "q3Jb0mC1vE5xT8zN2fYh4w", hash));
    }

    [Fact]
    public void Verify_accepts_the_signature_in_either_case()
    {
        Assert.True(RequestSigner.Verify(Secret, Method, Path, Timestamp, Nonce, BodyHashHex, SignatureHex));
        Assert.True(RequestSigner.Verify(Secret, Method, Path, Timestamp, Nonce, BodyHashHex, SignatureHex.ToUpperInvariant()));
        Assert.True(RequestSigner.Verify(Secret, "post", Path, Timestamp, Nonce, BodyHashHex, SignatureHex));
    }

    public static TheoryData<string, string[]> Changes => new()
    {
        { "secret", ["sk_test_0123456789abcdeF", Method, Path, Timestamp, Nonce, BodyHashHex] },
        { "method", [Secret, "PUT", Path, Timestamp, Nonce, BodyHashHex] },
        { "path", [Secret, Method, "/api/v1/bindings", Timestamp, Nonce, BodyHashHex] },
        { "query", [Secret, Method, Path + "?x=1", Timestamp, Nonce, BodyHashHex] },
        { "timestamp", [Secret, Method, Path, "1767225601", Nonce, BodyHashHex] },
        { "nonce", [Secret, Method, Path, Timestamp, "AAECAwQFBgcICQoLDA0ODx", BodyHashHex] },
        { "body hash", [Secret, Method, Path, Timestamp, Nonce, RequestSigner.BodyHash("{\"records\":[{}]}"u8)] },
        { "body hash case", [Secret, Method, Path, Timestamp, Nonce, BodyHashHex.ToUpperInvariant()] },
    };

    [Theory, MemberData(nameof(Changes))]
    public void Verify_rejects_any_changed_part(string what, string[] parts)
    {
        Assert.False(RequestSigner.Verify(parts[0], parts[1], parts[2], parts[3], parts[4], parts[5], SignatureHex), what);
    }

    [Theory]
    [InlineData("")]
    [InlineData("ac55")]
    [InlineData("ac55133481264f7baf8f05fec04787959f171c9d6b5b19b8e7df6618d9287a2")]
    [InlineData("ac55133481264f7baf8f05fec04787959f171c9d6b5b19b8e7df6618d9287a210")]
    [InlineData("ac55133481264f7baf8f05fec04787959f171c9d6b5b19b8e7df6618d9287a2g")]
    [InlineData("ac55133481264f7baf8f05fec04787959f171c9d6b5b19b8e7df6618d9287a2 ")]
    [InlineData("rNUTNIEmT3uvjwX+wEeHlZ8XHJ1rWxm4598mGNkoeiE=")]
    public void Verify_rejects_malformed_signatures(string signature)
    {
        Assert.False(RequestSigner.Verify(Secret, Method, Path, Timestamp, Nonce, BodyHashHex, signature));
    }

    [Fact]
    public void Verify_answers_false_rather_than_throwing_on_missing_parts()
    {
        Assert.False(RequestSigner.Verify(null, Method, Path, Timestamp, Nonce, BodyHashHex, SignatureHex));
        Assert.False(RequestSigner.Verify(Secret, Method, null, Timestamp, Nonce, BodyHashHex, SignatureHex));
        Assert.False(RequestSigner.Verify(Secret, Method, Path, "", Nonce, BodyHashHex, SignatureHex));
        Assert.False(RequestSigner.Verify(Secret, Method, Path, Timestamp, Nonce + "\n", BodyHashHex, SignatureHex));
        Assert.False(RequestSigner.Verify(Secret, Method, Path, Timestamp, Nonce, BodyHashHex, null));
    }

    [Fact]
    public void Signing_refuses_a_part_that_would_add_a_line()
    {
        Assert.Throws<ArgumentException>(() => RequestSigner.Sign(Secret, Method, Path + "\nx", Timestamp, Nonce, BodyHashHex));
        Assert.Throws<ArgumentException>(() => RequestSigner.Sign(Secret, Method, Path, "", Nonce, BodyHashHex));
        Assert.Throws<ArgumentException>(() => RequestSigner.Sign("", Method, Path, Timestamp, Nonce, BodyHashHex));
    }

    [Fact]
    public void Body_hash_verification_is_case_insensitive_and_exact()
    {
        Assert.True(RequestSigner.VerifyBodyHash(Body, BodyHashHex));
        Assert.True(RequestSigner.VerifyBodyHash(Body, BodyHashHex.ToUpperInvariant()));
        Assert.False(RequestSigner.VerifyBodyHash("{\"records\":[] }"u8, BodyHashHex));
        Assert.False(RequestSigner.VerifyBodyHash(Body, BodyHashHex[..^1]));
        Assert.False(RequestSigner.VerifyBodyHash(Body, null));
    }

    [Fact]
    public void New_nonces_are_22_url_safe_characters_and_never_repeat()
    {
        var nonces = Enumerable.Range(0, 1000).Select(_ => RequestSigner.NewNonce()).ToList();
        Assert.All(nonces, n =>
        {
            Assert.Equal(22, n.Length);
            Assert.True(RequestSigner.IsValidNonce(n), n);
        });
        Assert.Equal(nonces.Count, nonces.Distinct(StringComparer.Ordinal).Count());
    }

    [Theory]
    [InlineData(WireLimits.NonceLengthMin - 1, false)]
    [InlineData(WireLimits.NonceLengthMin, true)]
    [InlineData(WireLimits.NonceLengthMax, true)]
    [InlineData(WireLimits.NonceLengthMax + 1, false)]
    public void Nonce_length_is_checked_at_its_limits(int length, bool valid)
    {
        Assert.Equal(valid, RequestSigner.IsValidNonce(new string('a', length - 2) + "_-"));
    }

    [Theory]
    [InlineData("abcdefghijklmnop+")]
    [InlineData("abcdefghijklmnop=")]
    [InlineData("abcdefghijklmnop/")]
    [InlineData("abcdefghijklmnop ")]
    [InlineData("abcdefghijklmnoé")]
    public void Nonce_outside_the_url_safe_alphabet_is_invalid(string nonce)
    {
        Assert.False(RequestSigner.IsValidNonce(nonce));
    }

    [Fact]
    public void Timestamps_are_unix_seconds_in_invariant_digits()
    {
        var instant = new DateTimeOffset(2026, 1, 1, 8, 0, 0, TimeSpan.FromHours(8));
        Assert.Equal(Timestamp, RequestSigner.FormatTimestamp(instant));
        Assert.True(RequestSigner.TryParseTimestamp(Timestamp, out var parsed));
        Assert.Equal(instant, parsed);
        foreach (var bad in new[] { "", "-1", "+1767225600", " 1767225600", "1767225600.5", "1e9", "٠١", "9999999999999", null })
            Assert.False(RequestSigner.TryParseTimestamp(bad, out _), bad);
    }

    [Fact]
    public void Replay_window_includes_five_minutes_either_way_and_no_more()
    {
        var now = new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);
        Assert.True(RequestSigner.IsWithinReplayWindow(now - WireLimits.ReplayWindow, now));
        Assert.True(RequestSigner.IsWithinReplayWindow(now + WireLimits.ReplayWindow, now));
        Assert.False(RequestSigner.IsWithinReplayWindow(now - WireLimits.ReplayWindow - TimeSpan.FromSeconds(1), now));
        Assert.False(RequestSigner.IsWithinReplayWindow(now + WireLimits.ReplayWindow + TimeSpan.FromSeconds(1), now));
    }
}
