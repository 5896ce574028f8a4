using System.Security.Cryptography;
using System.Text.Json;
using Puhui.Holdings;

namespace Puhui.Tests.Holdings;

/// <summary>The certificate envelope without a store: ES256 over the payload's exact text, key ids, and what a file must hold.</summary>
public sealed class CertificateSigningTests
{
    private static readonly CertificatePayload Payload = new(CertificatePayload.CurrentFormat, "PHCN-2026-000001", "测试平台 / Test platform", 1, "event", "博览会 / Expo",
        "博览会 / Expo", 7, "博览中心 / Expo centre", "2026-01-20", "2026-01-22", 1_500_500, "核算中心", "320100", ["ab"],
        [new CertificateRetirement(3, 1, "PRJ1-20250101-20250630", 1_501_000, "event-neutrality", "博览会 / Expo", "320115-1-1-1501", "tx", "2026-01-23T00:00:00Z")],
        1_501_000, "admin:a", "2026-01-24T00:00:00Z", "https://puhui.example/api/v1/public/certificates/PHCN-2026-000001");

    [Fact]
    public void A_signed_payload_verifies_under_its_key_and_reads_back_equal()
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var text = CertificateSigning.Serialize(Payload);
        Assert.Contains("博览会 / Expo", text, StringComparison.Ordinal);
        var envelope = CertificateSigning.Sign(text, key);
        Assert.Equal(CertificateSigning.KeyIdOf(key), envelope.KeyId);
        Assert.Matches("^p256-[0-9a-f]{16}$", envelope.KeyId);
        Assert.Equal(86, envelope.Signature.Length);

        var check = CertificateSigning.Verify(CertificateSigning.Serialize(envelope), id => id == envelope.KeyId ? key.ExportSubjectPublicKeyInfo() : null);
        Assert.True(check.Valid, check.Detail);
        Assert.Equal(JsonSerializer.Serialize(Payload), JsonSerializer.Serialize(check.Payload));
    }

    [Fact]
    public void Every_byte_of_the_payload_is_covered_by_the_signature()
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var envelope = CertificateSigning.Sign(CertificateSigning.Serialize(Payload), key);
        var spki = key.ExportSubjectPublicKeyInfo();
        for (var i = 0; i < envelope.Payload.Length; i += 7)
        {
            var chars = envelope.Payload.ToCharArray();
            chars[i] = chars[i] == 'x' ? 'y' : 'x';
            var check = CertificateSigning.Verify(CertificateSigning.Serialize(envelope with { Payload = new string(chars) }), _ => spki);
            Assert.Equal(CertificateProblem.BadSignature, check.Problem);
        }
    }

    [Theory]
    [InlineData("", "empty")]
    [InlineData("[1,2]", "not valid JSON")]
    [InlineData("{\"format\":\"puhui-certificate/1\",\"keyId\":\"k\",\"algorithm\":\"ES256\",\"payload\":\"{}\"}", "missing")]
    [InlineData("{\"format\":\"puhui-certificate/9\",\"keyId\":\"k\",\"algorithm\":\"ES256\",\"payload\":\"{}\",\"signature\":\"AA\"}", "unknown format")]
    [InlineData("{\"format\":\"puhui-certificate/1\",\"keyId\":\"k\",\"algorithm\":\"RS256\",\"payload\":\"{}\",\"signature\":\"AA\"}", "unsupported algorithm")]
    public void A_file_that_is_not_a_certificate_is_malformed_and_says_why(string file, string reason)
    {
        var check = CertificateSigning.Verify(file, _ => throw new InvalidOperationException("no key is looked up for a malformed file"));
        Assert.Equal(CertificateProblem.Malformed, check.Problem);
        Assert.Contains(reason, check.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public void A_signed_text_that_is_not_a_certificate_payload_is_malformed_even_with_a_good_signature()
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var envelope = CertificateSigning.Sign("{\"hello\":1}", key);
        var check = CertificateSigning.Verify(CertificateSigning.Serialize(envelope), _ => key.ExportSubjectPublicKeyInfo());
        Assert.Equal(CertificateProblem.Malformed, check.Problem);
    }

    [Fact]
    public void Only_p256_keys_sign()
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP384);
        Assert.Throws<ArgumentException>(() => CertificateSigning.Sign("{}", key));
    }

    [Theory]
    [InlineData(1, 1_000)]
    [InlineData(1_000, 1_000)]
    [InlineData(1_001, 2_000)]
    [InlineData(1_500_500, 1_501_000)]
    public void A_claim_needs_its_emissions_rounded_up_to_whole_kilograms(long emissions, long required)
    {
        var claim = new NeutralityClaimDefinition(NeutralityKind.Event, "t", "b", new DateOnly(2026, 1, 1), new DateOnly(2026, 1, 1), emissions, "a", "");
        Assert.Null(claim.Problem());
        Assert.Equal(required, claim.RequiredGrams);
    }

    [Fact]
    public void Neutrality_kinds_round_trip_and_name_the_purpose_they_count()
    {
        foreach (var kind in Enum.GetValues<NeutralityKind>())
        {
            Assert.True(NeutralityKinds.TryParse(kind.Code(), out var parsed));
            Assert.Equal(kind, parsed);
        }

        Assert.False(NeutralityKinds.TryParse("Event", out _));
        Assert.Equal(RetirementPurpose.EventNeutrality, NeutralityKind.Event.Purpose());
        Assert.Equal(RetirementPurpose.VoluntaryOffset, NeutralityKind.Period.Purpose());
    }
}
