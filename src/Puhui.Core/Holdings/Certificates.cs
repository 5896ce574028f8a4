using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace Puhui.Holdings;

/// <summary>What a neutrality claim makes neutral: one event (a conference, a games) or an organisation's period (a year's operations).</summary>
public enum NeutralityKind : byte
{
    Event = 1,
    Period = 2,
}

public static class NeutralityKinds
{
    public static string Code(this NeutralityKind kind) => kind switch
    {
        NeutralityKind.Event => "event",
        NeutralityKind.Period => "period",
        _ => throw new ArgumentOutOfRangeException(nameof(kind), kind, "Not a neutrality kind."),
    };

    public static bool TryParse(string? code, out NeutralityKind kind)
    {
        kind = code switch
        {
            "event" => NeutralityKind.Event,
            "period" => NeutralityKind.Period,
            _ => 0,
        };
        return kind != 0;
    }

    /// <summary>
    /// The retirement purpose that counts towards a claim of this kind: an event's neutrality (NJ 10, JS 26) or a
    /// voluntary offset of an organisation's own emissions (SZ 26).
    /// </summary>
    public static RetirementPurpose Purpose(this NeutralityKind kind) => kind switch
    {
        NeutralityKind.Event => RetirementPurpose.EventNeutrality,
        NeutralityKind.Period => RetirementPurpose.VoluntaryOffset,
        _ => throw new ArgumentOutOfRangeException(nameof(kind), kind, "Not a neutrality kind."),
    };
}

/// <summary>
/// What an organisation claims neutral: an event or a period, its emissions as the third-party accounting body
/// found them (JS 28), and on whose behalf its retirements are made.
/// </summary>
/// <param name="Beneficiary">The event or organisation made neutral; each matching retirement names it as its beneficiary.</param>
/// <param name="EmissionsGrams">The emissions to match, in gCO2e.</param>
/// <param name="Accountant">The qualified third party that accounted the emissions (JS 28); its report is attached as a document.</param>
public sealed record NeutralityClaimDefinition(NeutralityKind Kind, string Title, string Beneficiary, DateOnly From, DateOnly To, long EmissionsGrams, string Accountant,
    string Jurisdiction)
{
    public const int TitleLengthMax = 200;
    public const int SpanDaysMax = 366;
    public const long EmissionsGramsMax = 1_000_000_000_000_000;

    /// <summary>Why the definition cannot be filed, or null.</summary>
    public string? Problem()
    {
        if (!Enum.IsDefined(Kind)) return "kind 须为 event 或 period / kind is event or period";
        if (HoldingRules.TextProblem("title", Title, TitleLengthMax, required: true) is { } title) return title;
        if (HoldingRules.TextProblem("beneficiary", Beneficiary, HoldingRules.NameLengthMax, required: true) is { } beneficiary) return beneficiary;
        if (HoldingRules.TextProblem("accountant", Accountant, HoldingRules.NameLengthMax, required: true) is { } accountant) return accountant;
        if (HoldingRules.TextProblem("jurisdiction", Jurisdiction, HoldingRules.JurisdictionLengthMax, required: false) is { } jurisdiction) return jurisdiction;
        if (To < From) return "结束日期早于开始日期 / to is before from";
        if (To.DayNumber - From.DayNumber + 1 > SpanDaysMax)
            return string.Create(CultureInfo.InvariantCulture, $"期间最长 {SpanDaysMax} 天 / a claim covers at most {SpanDaysMax} days");
        return EmissionsGrams is <= 0 or > EmissionsGramsMax
            ? string.Create(CultureInfo.InvariantCulture, $"排放量须为 1–{EmissionsGramsMax} 克 / emissionsGrams is 1–{EmissionsGramsMax}")
            : null;
    }

    /// <summary>The whole kilograms of retirement that cover the emissions: retirements move in whole kilograms.</summary>
    public long RequiredGrams => checked((EmissionsGrams + HoldingRules.GramsPerKilogram - 1) / HoldingRules.GramsPerKilogram * HoldingRules.GramsPerKilogram);
}

/// <summary>One retirement a certificate rests on, as it stood when the certificate was issued.</summary>
/// <param name="Serials">The retirement's serial range, <c>{region}-{batch}-{from}-{to}</c>.</param>
public sealed record CertificateRetirement(long Id, long Batch, string BatchCode, long Grams, string Purpose, string Beneficiary, string Serials, string TransactionId,
    string RetiredAt);

/// <summary>
/// The signed content of a carbon-neutral certificate (碳中和证书): the claim, the retirements that match it with
/// their serial ranges, who certified it and when. Times are ISO 8601 in UTC, dates ISO 8601.
/// </summary>
public sealed record CertificatePayload(string Format, string Code, string Issuer, long ClaimId, string Kind, string Title, string Beneficiary, long Organisation,
    string OrganisationName, string From, string To, long EmissionsGrams, string Accountant, string Jurisdiction, IReadOnlyList<string> Reports,
    IReadOnlyList<CertificateRetirement> Retirements, long RetiredGrams, string CertifiedBy, string IssuedAt, string VerifyUrl)
{
    public const string CurrentFormat = "puhui-certificate/1";
}

/// <summary>
/// A certificate as it is handed out and checked: the payload's exact UTF-8 JSON text, and an ES256 signature over
/// those bytes by the platform key named by <see cref="KeyId"/>. The payload is signed as text, not re-serialised,
/// so a changed byte anywhere in it breaks the signature.
/// </summary>
public sealed record CertificateEnvelope(string Format, string KeyId, string Algorithm, string Payload, string Signature)
{
    public const string Es256 = "ES256";

    /// <summary>A certificate file is at most this long: a claim with a few hundred retirements fits with room to spare.</summary>
    public const int FileLengthMax = 4 * 1024 * 1024;
}

/// <summary>Why a certificate does not verify.</summary>
public enum CertificateProblem : byte
{
    /// <summary>The file is not a certificate: not JSON, a field missing, an unknown format or algorithm.</summary>
    Malformed = 1,

    /// <summary>No key of this platform has the envelope's key id.</summary>
    UnknownKey = 2,

    /// <summary>The signature does not match the payload under the named key: the payload or the signature was changed.</summary>
    BadSignature = 3,

    /// <summary>The signature holds, but the platform never issued a certificate of this code with this payload.</summary>
    NotIssued = 4,

    /// <summary>The administrator revoked the certificate.</summary>
    Revoked = 5,

    /// <summary>A retirement the certificate rests on is not in the registry.</summary>
    RetirementMissing = 6,

    /// <summary>A retirement the certificate rests on no longer matches it: another batch, amount, beneficiary or serial range.</summary>
    RetirementChanged = 7,

    /// <summary>A retirement the certificate rests on is no longer matched to its claim.</summary>
    RetirementDetached = 8,
}

public static class CertificateProblems
{
    public static string Code(this CertificateProblem problem) => problem switch
    {
        CertificateProblem.Malformed => "malformed",
        CertificateProblem.UnknownKey => "unknown-key",
        CertificateProblem.BadSignature => "bad-signature",
        CertificateProblem.NotIssued => "not-issued",
        CertificateProblem.Revoked => "revoked",
        CertificateProblem.RetirementMissing => "retirement-missing",
        CertificateProblem.RetirementChanged => "retirement-changed",
        CertificateProblem.RetirementDetached => "retirement-detached",
        _ => throw new ArgumentOutOfRangeException(nameof(problem), problem, "Not a certificate problem."),
    };
}

/// <summary>The outcome of reading and checking a certificate's signature; the store adds whether it still stands.</summary>
public sealed record SignatureCheck(CertificateEnvelope? Envelope, CertificatePayload? Payload, CertificateProblem? Problem, string? Detail)
{
    public bool Valid => Problem is null;
}

/// <summary>
/// Signing and checking certificates with ECDSA P-256 over SHA-256 (ES256, signature as r‖s). A key's id is the
/// start of the SHA-256 of its SubjectPublicKeyInfo, so a key names itself and a rotated key can never be
/// mistaken for the one before it.
/// </summary>
public static class CertificateSigning
{
    private static readonly CertificateJson Compact = new(new JsonSerializerOptions(CertificateJson.Default.Options)
    {
        Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    });

    private static readonly CertificateJson Indented = new(new JsonSerializerOptions(CertificateJson.Default.Options)
    {
        Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
        WriteIndented = true,
    });

    public static string KeyIdOf(ECDsa key)
    {
        ArgumentNullException.ThrowIfNull(key);
        return KeyIdOf(key.ExportSubjectPublicKeyInfo());
    }

    public static string KeyIdOf(byte[] subjectPublicKeyInfo)
        => "p256-" + Convert.ToHexStringLower(SHA256.HashData(subjectPublicKeyInfo))[..16];

    /// <summary>The payload's text as it is signed: compact JSON with Chinese kept legible.</summary>
    public static string Serialize(CertificatePayload payload) => JsonSerializer.Serialize(payload, Compact.CertificatePayload);

    /// <summary>The envelope as a certificate file: indented JSON.</summary>
    public static string Serialize(CertificateEnvelope envelope) => JsonSerializer.Serialize(envelope, Indented.CertificateEnvelope);

    public static CertificateEnvelope Sign(string payload, ECDsa key)
    {
        ArgumentNullException.ThrowIfNull(payload);
        ArgumentNullException.ThrowIfNull(key);
        if (key.KeySize != 256) throw new ArgumentException("Certificates are signed with a P-256 key.", nameof(key));
        var signature = key.SignData(Encoding.UTF8.GetBytes(payload), HashAlgorithmName.SHA256, DSASignatureFormat.IeeeP1363FixedFieldConcatenation);
        return new CertificateEnvelope(CertificatePayload.CurrentFormat, KeyIdOf(key), CertificateEnvelope.Es256, payload, Base64Url(signature));
    }

    /// <summary>
    /// Reads a certificate file and checks its signature with the public key (SubjectPublicKeyInfo) that
    /// <paramref name="publicKeyOf"/> gives for its key id, or null when the platform has no such key.
    /// </summary>
    public static SignatureCheck Verify(string file, Func<string, byte[]?> publicKeyOf)
    {
        ArgumentNullException.ThrowIfNull(publicKeyOf);
        if (string.IsNullOrWhiteSpace(file)) return Malformed("空文件 / the file is empty");
        if (file.Length > CertificateEnvelope.FileLengthMax) return Malformed("文件过大 / the file is too large to be a certificate");
        CertificateEnvelope? envelope;
        try
        {
            envelope = JsonSerializer.Deserialize(file, CertificateJson.Default.CertificateEnvelope);
        }
        catch (JsonException e)
        {
            return Malformed($"不是有效的 JSON / not valid JSON: {e.Message}");
        }

        if (envelope is not { Format: not null, KeyId: not null, Algorithm: not null, Payload: not null, Signature: not null })
            return Malformed("缺少 format、keyId、algorithm、payload 或 signature / format, keyId, algorithm, payload or signature is missing");
        if (envelope.Format != CertificatePayload.CurrentFormat) return Malformed($"未知格式 / unknown format {envelope.Format}", envelope);
        if (envelope.Algorithm != CertificateEnvelope.Es256) return Malformed($"不支持的算法 / unsupported algorithm {envelope.Algorithm}", envelope);
        var spki = publicKeyOf(envelope.KeyId);
        if (spki is null)
            return new SignatureCheck(envelope, null, CertificateProblem.UnknownKey, $"平台没有编号为 {envelope.KeyId} 的证书密钥 / the platform has no certificate key {envelope.KeyId}");
        if (!TryBase64Url(envelope.Signature, out var signature))
            return new SignatureCheck(envelope, null, CertificateProblem.BadSignature, "签名不是 base64url / the signature is not base64url");
        bool holds;
        using (var key = ECDsa.Create())
        {
            key.ImportSubjectPublicKeyInfo(spki, out _);
            holds = key.VerifyData(Encoding.UTF8.GetBytes(envelope.Payload), signature, HashAlgorithmName.SHA256, DSASignatureFormat.IeeeP1363FixedFieldConcatenation);
        }

        if (!holds)
            return new SignatureCheck(envelope, null, CertificateProblem.BadSignature,
                $"签名与内容不符：证书内容或签名已被改动，或并非由密钥 {envelope.KeyId} 签发 / the signature does not match the payload under key {envelope.KeyId}: the certificate was altered or signed by another key");
        CertificatePayload? payload;
        try
        {
            payload = JsonSerializer.Deserialize(envelope.Payload, CertificateJson.Default.CertificatePayload);
        }
        catch (JsonException e)
        {
            return Malformed($"签名内容不是证书 / the signed payload is not a certificate: {e.Message}", envelope);
        }

        return payload is { Code: not null, Retirements: not null } && payload.Format == CertificatePayload.CurrentFormat
            ? new SignatureCheck(envelope, payload, null, null)
            : Malformed("签名内容不是证书 / the signed payload is not a certificate", envelope);
    }

    /// <summary>Reads a payload's text without checking any signature: for showing a certificate the platform itself holds.</summary>
    public static CertificatePayload ReadPayload(string payload)
        => JsonSerializer.Deserialize(payload, CertificateJson.Default.CertificatePayload) ?? throw new JsonException("The payload is empty.");

    private static SignatureCheck Malformed(string detail, CertificateEnvelope? envelope = null) => new(envelope, null, CertificateProblem.Malformed, detail);

    public static string Base64Url(byte[] bytes) => Convert.ToBase64String(bytes).TrimEnd('=').Replace('+', '-').Replace('/', '_');

    private static bool TryBase64Url(string text, out byte[] bytes)
    {
        var padded = text.Replace('-', '+').Replace('_', '/');
        padded += (padded.Length % 4) switch { 2 => "==", 3 => "=", _ => "" };
        bytes = new byte[padded.Length];
        if (!Convert.TryFromBase64String(padded, bytes, out var written)) return false;
        bytes = bytes[..written];
        return true;
    }
}

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase, WriteIndented = false)]
[JsonSerializable(typeof(CertificatePayload))]
[JsonSerializable(typeof(CertificateEnvelope))]
internal sealed partial class CertificateJson : JsonSerializerContext;
