using System.Data.Common;
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;
using Puhui.Governance;
using Puhui.Holdings;
using Puhui.Ledger;
using Puhui.Storage.Governance;

namespace Puhui.Storage.Holdings;

/// <summary>A certificate as the platform issued it: the exact signed payload, its signature and key, and whether it was revoked.</summary>
public sealed record Certificate(string Code, long ClaimId, string KeyId, string Payload, string Signature, DateTimeOffset IssuedAt, DateTimeOffset? RevokedAt,
    string? RevokedReason)
{
    public CertificateEnvelope Envelope => new(CertificatePayload.CurrentFormat, KeyId, CertificateEnvelope.Es256, Payload, Signature);

    /// <summary>The certificate file handed to its holder and checked by <c>puhui certificate verify</c>.</summary>
    public string File => CertificateSigning.Serialize(Envelope);
}

/// <summary>A neutrality claim: its application, what it claims, the retirements matched to it, and its certificate once certified.</summary>
public sealed record NeutralityClaim(Application Application, NeutralityClaimDefinition Definition, IReadOnlyList<Retirement> Retirements, Certificate? Certificate)
{
    public long MatchedGrams => Retirements.Aggregate(0L, (sum, r) => checked(sum + r.Grams));

    /// <summary>The matched retirements cover the emissions.</summary>
    public bool Covered => MatchedGrams >= Definition.EmissionsGrams;
}

/// <summary>A key that signed certificates; its public half (SubjectPublicKeyInfo, base64) is published so anyone can check them.</summary>
public sealed record CertificateKey(string KeyId, string Algorithm, string PublicKey, DateTimeOffset AddedAt);

/// <summary>What checking a certificate found: valid, or the problem and why; the payload when the signature held.</summary>
public sealed record CertificateVerification(CertificateProblem? Problem, string? Detail, CertificatePayload? Payload, Certificate? Issued)
{
    public bool Valid => Problem is null;

    public string Status => Problem switch
    {
        null => "valid",
        CertificateProblem.Revoked => "revoked",
        _ => "invalid",
    };
}

/// <summary>Who issues certificates and where they are checked: the platform's name and the public base URL the QR code points at.</summary>
public sealed record CertificateIssuer(string Name, string VerifyBaseUrl)
{
    public string VerifyUrl(string code) => VerifyBaseUrl.TrimEnd('/') + "/api/v1/public/certificates/" + Uri.EscapeDataString(code);
}

/// <summary>
/// Carbon-neutrality claims and certificates (JS 28–29, SZ 26, DESIGN §10). A claim is a governance application of
/// kind <c>neutrality-claim</c>; every match, request, decision and revocation is a step on the governance log.
/// Retiring against a claim is one database transaction with its ledger append and its match step. A retirement
/// counts towards one live claim only. Certifying signs the payload with the platform key and stores it with the
/// key's public half, so certificates signed before a key rotation still verify.
/// </summary>
public sealed class NeutralityClaims
{
    public const int CertificateListMax = 500;
    public const int RetirementsPerClaimMax = 1_000;

    private readonly WorkflowStore _workflows;
    private readonly ReductionHoldings _holdings;
    private readonly Lazy<CertificateSigner>? _signer;
    private readonly CertificateIssuer _issuer;

    /// <param name="signer">The platform key, read when the first certificate is signed; null where nothing is signed (checking needs only the stored public keys).</param>
    public NeutralityClaims(WorkflowStore workflows, ReductionHoldings holdings, Lazy<CertificateSigner>? signer, CertificateIssuer issuer)
    {
        _workflows = workflows ?? throw new ArgumentNullException(nameof(workflows));
        _holdings = holdings ?? throw new ArgumentNullException(nameof(holdings));
        _issuer = issuer ?? throw new ArgumentNullException(nameof(issuer));
        _signer = signer;
        workflows.Register(Workflows.NeutralityClaim.Kind, new ClaimEffects(this));
    }

    private SqlDialect Dialect => _workflows.Ledger.Dialect;

    /// <summary>Files a claim with the third-party accounting report attached; it starts matching retirements.</summary>
    public async Task<StepResult> FileAsync(Actor applicant, string applicantName, NeutralityClaimDefinition definition, IReadOnlyList<string> documents, string comment,
        CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(definition);
        ArgumentNullException.ThrowIfNull(documents);
        if (definition.Problem() is { } problem) return new StepResult(StepStatus.Invalid, null, null, null, problem);
        if (documents.Count == 0)
            return new StepResult(StepStatus.Invalid, null, null, null, "须附第三方机构的排放核算报告 / attach the third party's emissions report (JS 28)");
        var payload = JsonSerializer.Serialize(ClaimPayload.Of(definition), ClaimJson.Default.ClaimPayload);
        return await _workflows.SubmitAsync(Workflows.NeutralityClaim, definition.Title, definition.Title, definition.Title, applicant, applicantName, payload, documents,
            comment ?? "", null, ct);
    }

    public async Task<NeutralityClaim?> GetAsync(long claimId, CancellationToken ct = default)
    {
        var application = await _workflows.GetAsync(claimId, ct);
        if (application is null || application.Kind != Workflows.NeutralityClaim.Kind) return null;
        await using var connection = await Dialect.OpenAsync(ct);
        return await ReadClaimAsync(connection, null, application, ct);
    }

    /// <summary>Claims, optionally of one organisation, newest first.</summary>
    public async Task<IReadOnlyList<NeutralityClaim>> ListAsync(AccountId? applicant = null, CancellationToken ct = default)
    {
        var applications = await _workflows.ListAsync(Workflows.NeutralityClaim.Kind, null, applicant, ct: ct);
        await using var connection = await Dialect.OpenAsync(ct);
        var claims = new List<NeutralityClaim>();
        foreach (var application in applications) claims.Add(await ReadClaimAsync(connection, null, application, ct));
        return claims;
    }

    /// <summary>
    /// Retires whole kilograms of the claimant's batch against the claim, with the purpose its kind calls for and its
    /// beneficiary, and matches the retirement to it, all in one transaction. Refused unless the claim is matching
    /// retirements and the holder is its claimant.
    /// </summary>
    public async Task<HoldingResult<Retirement>> RetireAgainstAsync(long claimId, AccountId holder, BatchId batch, long grams, string requestKey, string actor,
        CancellationToken ct = default)
    {
        var claim = await GetAsync(claimId, ct);
        if (claim is null) return new(HoldingStatus.NotFound, null, $"碳中和认定申请 {claimId} 不存在 / neutrality claim {claimId} does not exist");
        if (claim.Application.Applicant != holder)
            return new(HoldingStatus.NotClaimant, null, $"只有申请人 {claim.Application.ApplicantName} 可为该申请注销 / only the claimant retires against claim {claimId}");
        var calendar = await _workflows.CalendarAsync(ct);
        var definition = claim.Definition;
        var stepActor = new Actor(WorkflowRole.Applicant, actor, holder);
        var hook = new RetirementHook(
            async (connection, tx, token) =>
            {
                // Holding the governance log's head orders this retirement with every step on the claim.
                await GovernanceLog.HoldHeadAsync(Dialect, connection, tx, token);
                var current = await WorkflowStore.FindAsync(connection, tx, claimId, token);
                if (current?.State != "matching")
                    return (HoldingStatus.ClaimNotOpen, $"认定申请 {claimId} 当前为 {current?.State}，不再匹配注销量 / claim {claimId} is {current?.State}, not matching retirements");
                return await FullProblemAsync(connection, tx, claimId, token) is { } full ? (HoldingStatus.Invalid, full) : null;
            },
            async (connection, tx, retirement, token) =>
            {
                var step = await _workflows.StepInsideAsync(connection, tx, claimId, new Step("match", Retirement: retirement.Id), stepActor, calendar, token);
                if (!step.Succeeded) throw new InvalidOperationException($"Matching retirement {retirement.Id} to claim {claimId} was refused after its check: {step.Detail}");
            });
        // A title is at most 200 characters, so the reason stays well inside HoldingRules.ReasonLengthMax.
        var reason = string.Create(CultureInfo.InvariantCulture, $"碳中和认定申请 #{claimId}：{definition.Title} / neutrality claim #{claimId}");
        return await _holdings.RetireAsync(holder, batch, grams, definition.Kind.Purpose(), definition.Beneficiary, claim.Application.ApplicantName, reason,
            definition.Jurisdiction, requestKey, actor, hook, ct);
    }

    /// <summary>Matches a retirement the claimant made before (SZ 26: retire, then apply) to the claim.</summary>
    public Task<StepResult> MatchAsync(long claimId, long retirementId, Actor applicant, CancellationToken ct = default)
        => _workflows.ActAsync(claimId, new Step("match", Retirement: retirementId), applicant, ct);

    public async Task<Certificate?> CertificateAsync(string code, CancellationToken ct = default)
    {
        await using var connection = await Dialect.OpenAsync(ct);
        return await ReadCertificateAsync(connection, null, "code = @v", code, ct);
    }

    /// <summary>Issued certificates by claim, after <paramref name="afterClaim"/>; at most <see cref="CertificateListMax"/>.</summary>
    public async Task<IReadOnlyList<Certificate>> CertificatesAsync(long afterClaim = 0, int limit = 100, CancellationToken ct = default)
    {
        if (limit is < 1 or > CertificateListMax) throw new ArgumentOutOfRangeException(nameof(limit), limit, $"A page holds 1–{CertificateListMax} certificates.");
        await using var connection = await Dialect.OpenAsync(ct);
        await using var cmd = Sql.Command(connection, null, CertificateSelect + " WHERE claim_id > @after ORDER BY claim_id LIMIT " + limit.ToString(CultureInfo.InvariantCulture))
            .With("@after", afterClaim);
        var list = new List<Certificate>();
        await using var r = await cmd.ExecuteReaderAsync(ct);
        while (await r.ReadAsync(ct)) list.Add(ReadCertificate(r));
        return list;
    }

    public async Task<IReadOnlyList<CertificateKey>> KeysAsync(CancellationToken ct = default)
    {
        await using var connection = await Dialect.OpenAsync(ct);
        await using var cmd = Sql.Command(connection, null, "SELECT key_id, algorithm, public_key, added_us FROM certificate_keys ORDER BY added_us, key_id");
        var list = new List<CertificateKey>();
        await using var r = await cmd.ExecuteReaderAsync(ct);
        while (await r.ReadAsync(ct)) list.Add(new CertificateKey(r.GetString(0), r.GetString(1), r.GetString(2), CanonicalEncoding.FromUnixMicroseconds(r.GetInt64(3))));
        return list;
    }

    /// <summary>Checks the certificate issued under a code, as <see cref="VerifyAsync"/> checks a file.</summary>
    public async Task<CertificateVerification> VerifyCodeAsync(string code, CancellationToken ct = default)
    {
        var issued = await CertificateAsync(code, ct);
        return issued is null
            ? new CertificateVerification(CertificateProblem.NotIssued, $"平台未签发编号为 {code} 的证书 / no certificate {code} was issued here", null, null)
            : await VerifyAsync(issued.File, ct);
    }

    /// <summary>
    /// Checks a certificate file: its signature under a key this platform signed with (old keys included), that the
    /// platform issued exactly this payload under its code and has not revoked it, and that every retirement it
    /// rests on is still in the registry as it was, still matched to the claim.
    /// </summary>
    public async Task<CertificateVerification> VerifyAsync(string file, CancellationToken ct = default)
    {
        var keys = (await KeysAsync(ct)).ToDictionary(k => k.KeyId, k => Convert.FromBase64String(k.PublicKey), StringComparer.Ordinal);
        var signature = CertificateSigning.Verify(file, id => keys.GetValueOrDefault(id));
        if (!signature.Valid) return new CertificateVerification(signature.Problem, signature.Detail, null, null);
        var payload = signature.Payload!;
        await using var connection = await Dialect.OpenAsync(ct);
        var issued = await ReadCertificateAsync(connection, null, "code = @v", payload.Code, ct);
        if (issued is null || issued.Payload != signature.Envelope!.Payload || issued.ClaimId != payload.ClaimId)
            return new CertificateVerification(CertificateProblem.NotIssued,
                $"签名有效，但平台未以编号 {payload.Code} 签发此内容 / the signature holds, but no certificate {payload.Code} with this content was issued here", payload, issued);
        if (issued.RevokedAt is { } revokedAt)
            return new CertificateVerification(CertificateProblem.Revoked,
                string.Create(CultureInfo.InvariantCulture, $"证书已于 {revokedAt:yyyy-MM-dd} 撤销 / the certificate was revoked on {revokedAt:yyyy-MM-dd}: {issued.RevokedReason}"), payload, issued);
        foreach (var stated in payload.Retirements)
        {
            var retirement = await ReductionHoldings.ReadRetirementAsync(connection, null, stated.Id, ct);
            if (retirement is null)
                return new CertificateVerification(CertificateProblem.RetirementMissing,
                    $"证书所依据的注销记录 #{stated.Id}（{stated.Serials}）在登记簿中不存在 / retirement #{stated.Id} ({stated.Serials}) the certificate rests on is not in the registry",
                    payload, issued);
            if (Describe(retirement, stated.BatchCode) != stated)
                return new CertificateVerification(CertificateProblem.RetirementChanged,
                    $"注销记录 #{stated.Id} 与证书不符 / retirement #{stated.Id} no longer matches the certificate: {retirement.Serials[0]} {retirement.Grams} g for {retirement.Beneficiary}",
                    payload, issued);
            var matchedTo = await MatchedClaimAsync(connection, null, stated.Id, ct);
            if (matchedTo != payload.ClaimId)
                return new CertificateVerification(CertificateProblem.RetirementDetached,
                    $"注销记录 #{stated.Id} 已不计入认定申请 #{payload.ClaimId} / retirement #{stated.Id} no longer counts towards claim #{payload.ClaimId}", payload, issued);
        }

        return new CertificateVerification(null, null, payload, issued);
    }

    // ---- effects -----------------------------------------------------------------------------------------

    private sealed class ClaimEffects(NeutralityClaims claims) : IApplicationEffects
    {
        public Task<string?> ApplyAsync(StepContext context, CancellationToken ct) => context.Transition.Action switch
        {
            "match" => claims.MatchWithinAsync(context, ct),
            "request-certification" => ShortfallAsync(claims, context, ct),
            "certify" => claims.CertifyWithinAsync(context, ct),
            "revoke" => RevokeWithinAsync(context, ct),
            _ => Task.FromResult<string?>(null),
        };

        private static async Task<string?> ShortfallAsync(NeutralityClaims claims, StepContext context, CancellationToken ct) => (await claims.CoverageAsync(context, ct)).Shortfall;
    }

    private async Task<string?> MatchWithinAsync(StepContext context, CancellationToken ct)
    {
        if (context.Step.Retirement is not { } retirementId) return "须指明要匹配的注销记录 / give the retirement to match";
        var definition = DefinitionOf(context.Application);
        var retirement = await ReductionHoldings.ReadRetirementAsync(context.Connection, context.Transaction, retirementId, ct);
        if (retirement is null) return $"注销记录 {retirementId} 不存在 / retirement {retirementId} does not exist";
        if (retirement.Holder != context.Application.Applicant) return $"注销记录 {retirementId} 不是申请人的注销 / retirement {retirementId} was not made by the claimant";
        if (retirement.Purpose != definition.Kind.Purpose())
            return $"注销用途须为 {definition.Kind.Purpose().Code()} / a {definition.Kind.Code()} claim counts retirements for {definition.Kind.Purpose().Code()}, not {retirement.Purpose.Code()}";
        if (retirement.Beneficiary != definition.Beneficiary)
            return $"注销记录的受益方须为 {definition.Beneficiary} / the retirement's beneficiary is {retirement.Beneficiary}, not {definition.Beneficiary}";
        if (await FullProblemAsync(context.Connection, context.Transaction, context.Application.Id, ct) is { } full) return full;
        if (await MatchedClaimAsync(context.Connection, context.Transaction, retirementId, ct) is { } other)
        {
            var holding = await WorkflowStore.FindAsync(context.Connection, context.Transaction, other, ct);
            if (other == context.Application.Id) return $"注销记录 {retirementId} 已计入本申请 / retirement {retirementId} already counts towards this claim";
            if (holding is not null && holding.State is not ("refused" or "retracted"))
                return $"注销记录 {retirementId} 已计入认定申请 #{other}，不能重复计算 / retirement {retirementId} already counts towards claim #{other}: it is never counted twice";
        }

        var nowUs = CanonicalEncoding.ToUnixMicroseconds(context.At);
        await using (var delete = Sql.Command(context.Connection, context.Transaction, "DELETE FROM claim_retirements WHERE retirement_id = @r").With("@r", retirementId))
            await delete.ExecuteNonQueryAsync(ct);
        await using (var insert = Sql.Command(context.Connection, context.Transaction, """
            INSERT INTO claim_retirements (retirement_id, claim_id, matched_seq, matched_us) VALUES (@r, @c, @seq, @at)
            """).With("@r", retirementId).With("@c", context.Application.Id).With("@seq", context.Head.Seq + 1).With("@at", nowUs))
            await insert.ExecuteNonQueryAsync(ct);
        context.RetirementId = retirementId;
        context.Grams = retirement.Grams;
        context.TransactionId = retirement.TransactionId;
        return null;
    }

    /// <summary>Reads the claim as the step's transaction sees it, records its matched grams on the step, and says why they fall short of its emissions, or null.</summary>
    private async Task<(NeutralityClaim Claim, string? Shortfall)> CoverageAsync(StepContext context, CancellationToken ct)
    {
        var claim = await ReadClaimAsync(context.Connection, context.Transaction, context.Application, ct);
        context.Grams = claim.MatchedGrams;
        if (claim.Covered) return (claim, null);
        var missingKg = (claim.Definition.RequiredGrams - claim.MatchedGrams) / HoldingRules.GramsPerKilogram;
        return (claim, string.Create(CultureInfo.InvariantCulture,
            $"已匹配注销 {claim.MatchedGrams} 克，排放 {claim.Definition.EmissionsGrams} 克，尚缺 {missingKg} 千克 / {claim.MatchedGrams} g retired against {claim.Definition.EmissionsGrams} g of emissions: {missingKg} kg short"));
    }

    private async Task<string?> CertifyWithinAsync(StepContext context, CancellationToken ct)
    {
        var (claim, shortfall) = await CoverageAsync(context, ct);
        if (shortfall is not null) return shortfall;
        if (_signer is null) return "平台未配置证书签名密钥，无法颁发证书 / no certificate signing key is configured: certificates cannot be issued";
        CertificateSigner signer;
        try
        {
            signer = _signer.Value;
        }
        catch (InvalidOperationException e)
        {
            return "证书签名密钥无法读取，无法颁发证书 / the certificate signing key cannot be read: " + e.Message;
        }

        var connection = context.Connection;
        var tx = context.Transaction;
        var nowUs = CanonicalEncoding.ToUnixMicroseconds(context.At);
        if (await RegisterKeyAsync(connection, tx, signer, nowUs, ct) is { } keyProblem) return keyProblem;

        var code = CodeOf(context.Today.Year, context.Application.Id);
        var retirements = new List<CertificateRetirement>();
        foreach (var retirement in claim.Retirements)
        {
            string batchCode;
            await using (var cmd = Sql.Command(connection, tx, "SELECT code FROM batches WHERE id = @b").With("@b", retirement.Batch.Value))
                batchCode = (string)(await cmd.ExecuteScalarAsync(ct))!;
            retirements.Add(Describe(retirement, batchCode));
        }

        var documents = new List<string>();
        await using (var cmd = Sql.Command(connection, tx, "SELECT sha256 FROM application_documents WHERE application_id = @a ORDER BY seq, sha256")
            .With("@a", context.Application.Id))
        await using (var r = await cmd.ExecuteReaderAsync(ct))
        {
            while (await r.ReadAsync(ct)) documents.Add(r.GetString(0));
        }

        var definition = claim.Definition;
        var payload = new CertificatePayload(CertificatePayload.CurrentFormat, code, _issuer.Name, context.Application.Id, definition.Kind.Code(), definition.Title,
            definition.Beneficiary, context.Application.Applicant.Value, context.Application.ApplicantName, Day(definition.From), Day(definition.To),
            definition.EmissionsGrams, definition.Accountant, definition.Jurisdiction, documents.Distinct(StringComparer.Ordinal).ToList(), retirements, claim.MatchedGrams,
            context.Actor.Name, Instant(context.At), _issuer.VerifyUrl(code));
        var envelope = signer.Sign(CertificateSigning.Serialize(payload));
        await using (var insert = Sql.Command(connection, tx, """
            INSERT INTO certificates (code, claim_id, key_id, payload, signature, issued_us, revoked_us, revoked_reason)
            VALUES (@code, @claim, @key, @payload, @signature, @at, NULL, NULL)
            """).With("@code", code).With("@claim", context.Application.Id).With("@key", envelope.KeyId).With("@payload", envelope.Payload)
            .With("@signature", envelope.Signature).With("@at", nowUs))
            await insert.ExecuteNonQueryAsync(ct);
        context.CertificateCode = code;
        return null;
    }

    private static async Task<string?> RevokeWithinAsync(StepContext context, CancellationToken ct)
    {
        await using var update = Sql.Command(context.Connection, context.Transaction, """
            UPDATE certificates SET revoked_us = @at, revoked_reason = @reason WHERE claim_id = @claim AND revoked_us IS NULL
            """).With("@at", CanonicalEncoding.ToUnixMicroseconds(context.At)).With("@reason", context.Step.Comment).With("@claim", context.Application.Id);
        if (await update.ExecuteNonQueryAsync(ct) != 1) return $"认定申请 {context.Application.Id} 没有有效证书 / claim {context.Application.Id} has no standing certificate";
        await using var read = Sql.Command(context.Connection, context.Transaction, "SELECT code FROM certificates WHERE claim_id = @claim").With("@claim", context.Application.Id);
        context.CertificateCode = (string?)await read.ExecuteScalarAsync(ct);
        return null;
    }

    /// <summary>Stores the signer's public key the first time it signs; a different key under the same id is refused.</summary>
    private static async Task<string?> RegisterKeyAsync(DbConnection connection, DbTransaction tx, CertificateSigner signer, long nowUs, CancellationToken ct)
    {
        var publicKey = Convert.ToBase64String(signer.PublicKey);
        string? stored;
        await using (var read = Sql.Command(connection, tx, "SELECT public_key FROM certificate_keys WHERE key_id = @k").With("@k", signer.KeyId))
            stored = (string?)await read.ExecuteScalarAsync(ct);
        if (stored is not null)
            return stored == publicKey ? null : $"证书密钥编号 {signer.KeyId} 已属于另一把密钥 / key id {signer.KeyId} belongs to another key";
        await using var insert = Sql.Command(connection, tx, "INSERT INTO certificate_keys (key_id, algorithm, public_key, added_us) VALUES (@k, @alg, @pub, @at)")
            .With("@k", signer.KeyId).With("@alg", CertificateEnvelope.Es256).With("@pub", publicKey).With("@at", nowUs);
        await insert.ExecuteNonQueryAsync(ct);
        return null;
    }

    // ---- reading -----------------------------------------------------------------------------------------

    /// <summary>A certificate's code: the year it was issued and its claim, e.g. <c>PHCN-2026-000042</c>.</summary>
    public static string CodeOf(int year, long claimId) => string.Create(CultureInfo.InvariantCulture, $"PHCN-{year:D4}-{claimId:D6}");

    private static CertificateRetirement Describe(Retirement retirement, string batchCode)
        => new(retirement.Id, retirement.Batch.Value, batchCode, retirement.Grams, retirement.Purpose.Code(), retirement.Beneficiary, retirement.Serials[0].ToString(),
            retirement.TransactionId, Instant(retirement.At));

    internal static NeutralityClaimDefinition DefinitionOf(Application application)
    {
        var payload = JsonSerializer.Deserialize(application.Payload, ClaimJson.Default.ClaimPayload)
            ?? throw new InvalidOperationException($"Claim {application.Id} has no definition.");
        return payload.ToDefinition();
    }

    private async Task<NeutralityClaim> ReadClaimAsync(DbConnection connection, DbTransaction? tx, Application application, CancellationToken ct)
    {
        var ids = new List<long>();
        await using (var cmd = Sql.Command(connection, tx, "SELECT retirement_id FROM claim_retirements WHERE claim_id = @c ORDER BY retirement_id").With("@c", application.Id))
        await using (var r = await cmd.ExecuteReaderAsync(ct))
        {
            while (await r.ReadAsync(ct)) ids.Add(r.GetInt64(0));
        }

        var retirements = new List<Retirement>();
        foreach (var id in ids) retirements.Add((await ReductionHoldings.ReadRetirementAsync(connection, tx, id, ct))!);
        var certificate = await ReadCertificateAsync(connection, tx, "claim_id = @v", application.Id, ct);
        return new NeutralityClaim(application, DefinitionOf(application), retirements, certificate);
    }

    private static async Task<long?> MatchedClaimAsync(DbConnection connection, DbTransaction? tx, long retirementId, CancellationToken ct)
    {
        await using var cmd = Sql.Command(connection, tx, "SELECT claim_id FROM claim_retirements WHERE retirement_id = @r").With("@r", retirementId);
        return await cmd.ExecuteScalarAsync(ct) is { } v and not DBNull ? Convert.ToInt64(v, CultureInfo.InvariantCulture) : null;
    }

    /// <summary>Why the claim takes no more retirements (it matches <see cref="RetirementsPerClaimMax"/>), or null.</summary>
    private static async Task<string?> FullProblemAsync(DbConnection connection, DbTransaction tx, long claimId, CancellationToken ct)
    {
        await using var cmd = Sql.Command(connection, tx, "SELECT COUNT(*) FROM claim_retirements WHERE claim_id = @c").With("@c", claimId);
        return Convert.ToInt64(await cmd.ExecuteScalarAsync(ct), CultureInfo.InvariantCulture) < RetirementsPerClaimMax ? null
            : $"一项申请最多匹配 {RetirementsPerClaimMax} 笔注销 / a claim matches at most {RetirementsPerClaimMax} retirements";
    }

    private const string CertificateSelect = "SELECT code, claim_id, key_id, payload, signature, issued_us, revoked_us, revoked_reason FROM certificates";

    private static async Task<Certificate?> ReadCertificateAsync(DbConnection connection, DbTransaction? tx, string where, object value, CancellationToken ct)
    {
        await using var cmd = Sql.Command(connection, tx, CertificateSelect + " WHERE " + where).With("@v", value);
        await using var r = await cmd.ExecuteReaderAsync(ct);
        return await r.ReadAsync(ct) ? ReadCertificate(r) : null;
    }

    private static Certificate ReadCertificate(DbDataReader r)
        => new(r.GetString(0), r.GetInt64(1), r.GetString(2), r.GetString(3), r.GetString(4), CanonicalEncoding.FromUnixMicroseconds(r.GetInt64(5)),
            r.IsDBNull(6) ? null : CanonicalEncoding.FromUnixMicroseconds(r.GetInt64(6)), r.IsDBNull(7) ? null : r.GetString(7));

    /// <summary>An instant as certificates state it: UTC to the second.</summary>
    private static string Instant(DateTimeOffset at) => at.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture);

    private static string Day(DateOnly day) => day.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);

    /// <summary>A claim's definition as its application's payload holds it.</summary>
    internal sealed record ClaimPayload(string Kind, string Title, string Beneficiary, string From, string To, long EmissionsGrams, string Accountant, string Jurisdiction)
    {
        public static ClaimPayload Of(NeutralityClaimDefinition d)
            => new(d.Kind.Code(), d.Title, d.Beneficiary, Day(d.From), Day(d.To), d.EmissionsGrams, d.Accountant, d.Jurisdiction);

        public NeutralityClaimDefinition ToDefinition()
        {
            if (!NeutralityKinds.TryParse(Kind, out var kind)) throw new InvalidOperationException($"Unknown neutrality kind '{Kind}' in the store.");
            return new NeutralityClaimDefinition(kind, Title, Beneficiary, DateOnly.ParseExact(From, "yyyy-MM-dd", CultureInfo.InvariantCulture),
                DateOnly.ParseExact(To, "yyyy-MM-dd", CultureInfo.InvariantCulture), EmissionsGrams, Accountant, Jurisdiction);
        }
    }
}

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase)]
[JsonSerializable(typeof(NeutralityClaims.ClaimPayload))]
internal sealed partial class ClaimJson : JsonSerializerContext;
