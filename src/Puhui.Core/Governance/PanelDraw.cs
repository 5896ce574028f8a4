using System.Buffers.Binary;
using System.Security.Cryptography;

namespace Puhui.Governance;

/// <summary>What a review needs from the pool: experts of these fields, this many, none tied to the applicant.</summary>
/// <param name="Fields">The required fields, in the order their seats are drawn; each is covered by at least one panel member.</param>
/// <param name="Size">Seats on the panel, at least one per required field.</param>
/// <param name="ApplicantAccount">The applicant organisation's account, when it has one.</param>
/// <param name="ApplicantOrganisation">The applicant organisation's name.</param>
public sealed record PanelRequest(IReadOnlyList<string> Fields, int Size, long? ApplicantAccount, string ApplicantOrganisation)
{
    public const int SizeMin = 1, SizeMax = 15;

    /// <summary>Equal when every member is, the fields compared in order.</summary>
    public bool Equals(PanelRequest? other) =>
        other is not null && Fields.SequenceEqual(other.Fields) && Size == other.Size && ApplicantAccount == other.ApplicantAccount
        && ApplicantOrganisation == other.ApplicantOrganisation;

    public override int GetHashCode() => HashCode.Combine(Fields.Count, Size, ApplicantAccount, ApplicantOrganisation);

    /// <summary>Returns a reason the request is invalid, or null when it is valid.</summary>
    public string? Problem()
    {
        if (ExpertRules.FieldsProblem("fields", Fields) is { } fields) return fields;
        if (Size is < SizeMin or > SizeMax) return $"size must be {SizeMin}–{SizeMax} seats";
        if (Fields.Count > Size) return $"each required field needs a seat: size {Size} is less than the {Fields.Count} fields required";
        if (ApplicantAccount is <= 0) return "applicantAccount must be a positive account id when given";
        return ExpertRules.TextProblem("applicantOrganisation", ApplicantOrganisation, 1, ExpertRules.OrganisationLengthMax);
    }
}

/// <summary>Why a candidate was not drawable, checked in this order: the first that applies is recorded.</summary>
public enum ExclusionReason : byte
{
    /// <summary>The expert's status is <see cref="ExpertStatus.Inactive"/>.</summary>
    Inactive = 1,

    /// <summary>The expert evaluates none of the required fields.</summary>
    NoRequiredField = 2,

    /// <summary>The expert works for the applicant (<see cref="ExpertRules.SameOrganisation"/>).</summary>
    SameOrganisation = 3,

    /// <summary>The expert declared a conflict of interest with the applicant.</summary>
    DeclaredConflict = 4,
}

/// <summary>A candidate left out of a draw, with the reason and a sentence saying so in Chinese and English.</summary>
public sealed record PanelExclusion(long ExpertId, ExclusionReason Reason, string Detail);

/// <summary>
/// Everything needed to check a draw after the fact (SZ 11): the algorithm, the seed, the request, the whole
/// pool as it stood, who was left out and why, and the panel in the order its seats were drawn.
/// <see cref="PanelDraw.Verify"/> recomputes the last two from the rest.
/// </summary>
/// <param name="Algorithm"><see cref="PanelDraw.AlgorithmV1"/>.</param>
/// <param name="SeedHex">The <see cref="PanelDraw.SeedBytes"/> random bytes of the seed, as lower-case hex.</param>
/// <param name="Candidates">Every expert of the pool at draw time, drawable or not, in id order.</param>
/// <param name="Excluded">The candidates left out, in id order.</param>
/// <param name="Panel">The drawn experts' ids, in the order drawn.</param>
public sealed record PanelDrawRecord(
    string Algorithm,
    string SeedHex,
    PanelRequest Request,
    IReadOnlyList<Expert> Candidates,
    IReadOnlyList<PanelExclusion> Excluded,
    IReadOnlyList<long> Panel)
{
    /// <summary>Equal when every member is, the lists compared element by element.</summary>
    public bool Equals(PanelDrawRecord? other) =>
        other is not null && Algorithm == other.Algorithm && SeedHex == other.SeedHex && Equals(Request, other.Request)
        && Candidates.SequenceEqual(other.Candidates) && Excluded.SequenceEqual(other.Excluded) && Panel.SequenceEqual(other.Panel);

    public override int GetHashCode() => HashCode.Combine(Algorithm, SeedHex, Request, Candidates.Count, Excluded.Count, Panel.Count);
}

public enum PanelDrawStatus : byte
{
    /// <summary>The panel was drawn; the result holds its record.</summary>
    Drawn = 1,

    /// <summary>Too few drawable experts, or a required field none of them covers: nothing was drawn.</summary>
    Shortfall = 2,

    /// <summary>The request (or, on replay, the record) breaks a rule; see the problem.</summary>
    Invalid = 3,
}

/// <summary>Why a panel could not be drawn.</summary>
/// <param name="Eligible">Candidates that were drawable.</param>
/// <param name="Size">Seats the request asked for.</param>
/// <param name="UncoveredFields">Required fields no drawable candidate evaluates, in request order.</param>
/// <param name="Excluded">The candidates left out and why, as a record would have listed them.</param>
public sealed record PanelShortfall(int Eligible, int Size, IReadOnlyList<string> UncoveredFields, IReadOnlyList<PanelExclusion> Excluded);

/// <summary>The outcome of a draw: a record, a shortfall, or the problem with the request.</summary>
public sealed record PanelDrawResult(PanelDrawStatus Status, PanelDrawRecord? Record, PanelShortfall? Shortfall, string? Problem)
{
    public static PanelDrawResult Drawn(PanelDrawRecord record) => new(PanelDrawStatus.Drawn, record, null, null);

    public static PanelDrawResult Short(PanelShortfall shortfall) => new(PanelDrawStatus.Shortfall, null, shortfall, null);

    public static PanelDrawResult Invalid(string problem) => new(PanelDrawStatus.Invalid, null, null, problem);
}

/// <summary>
/// Draws review panels from the expert pool at random, leaving out conflicts of interest, reproducibly: anyone
/// holding a <see cref="PanelDrawRecord"/> can recompute who was excluded and who was drawn.
/// </summary>
/// <remarks>
/// <para>Algorithm <c>v1</c>, a contract that never changes (a new algorithm gets a new name):</para>
/// <list type="number">
/// <item>Candidates are the whole pool in id order. Each is excluded for the first reason that applies, in the
/// order of <see cref="ExclusionReason"/>: inactive; evaluates none of the required fields; the same
/// organisation as the applicant; a declared conflict with the applicant. Organisations match as
/// <see cref="ExpertRules.SameOrganisation"/> says. Each exclusion's detail is the fixed sentence
/// <see cref="Detail"/> writes.</item>
/// <item>Eligible experts are the candidates not excluded, in id order. When fewer are eligible than seats, or a
/// required field has no eligible expert, the outcome is a shortfall and nothing is drawn.</item>
/// <item>The random stream: draw <c>k</c> (counting from 0) is the first 8 bytes, read as a little-endian
/// UInt64, of SHA-256(seed ‖ k as 8 bytes little-endian).</item>
/// <item>An index uniform in [0, n) takes draws until one, <c>x</c>, is at least 2^64 mod n, and is
/// <c>x mod n</c>: rejection sampling, so that no index is more likely than another.</item>
/// <item>For each required field in request order, when no panel member evaluates it yet, one seat goes to an
/// expert drawn uniformly from the eligible experts not on the panel that evaluate the field, in id order.</item>
/// <item>The remaining seats go, one at a time, to experts drawn uniformly from the eligible experts not on the
/// panel, in id order.</item>
/// </list>
/// <para>System.Random is never used: its algorithm is not a stable contract across .NET versions.</para>
/// </remarks>
public static class PanelDraw
{
    public const string AlgorithmV1 = "v1";
    public const int SeedBytes = 32;

    /// <summary>
    /// Draws a panel from <paramref name="pool"/> with <paramref name="seed"/> (<see cref="SeedBytes"/> bytes,
    /// fresh from a cryptographic generator in production). An invalid request is answered as
    /// <see cref="PanelDrawStatus.Invalid"/>; an invalid pool (duplicate ids, an invalid expert, more than
    /// <see cref="ExpertRules.PoolMax"/> experts) is a bug of the caller and throws.
    /// </summary>
    public static PanelDrawResult Draw(IReadOnlyList<Expert> pool, PanelRequest request, byte[] seed)
    {
        ArgumentNullException.ThrowIfNull(pool);
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(seed);
        if (seed.Length != SeedBytes) throw new ArgumentException($"A seed is {SeedBytes} bytes, not {seed.Length}.", nameof(seed));
        var candidates = pool.OrderBy(e => e.Id).ToList();
        if (CandidatesProblem(candidates) is { } problem) throw new ArgumentException(problem, nameof(pool));
        if (request.Problem() is { } requestProblem) return PanelDrawResult.Invalid(requestProblem);
        return Compute(candidates, request, seed);
    }

    /// <summary>
    /// Recomputes the draw a record describes from its candidates, request and seed: the record it should be, a
    /// shortfall, or <see cref="PanelDrawStatus.Invalid"/> when the record is malformed (unknown algorithm, a
    /// seed that is not hex of <see cref="SeedBytes"/> bytes, candidates out of id order, an invalid member).
    /// </summary>
    public static PanelDrawResult Recompute(PanelDrawRecord record)
    {
        ArgumentNullException.ThrowIfNull(record);
        if (record.Algorithm != AlgorithmV1) return PanelDrawResult.Invalid($"algorithm {record.Algorithm} is unknown; this build replays {AlgorithmV1}");
        if (record.SeedHex is not { Length: SeedBytes * 2 } || !record.SeedHex.All(char.IsAsciiHexDigit))
            return PanelDrawResult.Invalid($"the seed is not {SeedBytes} bytes of hex");
        if (record.Request is null || record.Request.Fields is null) return PanelDrawResult.Invalid("the request is missing");
        if (record.Request.Problem() is { } requestProblem) return PanelDrawResult.Invalid(requestProblem);
        if (record.Candidates is null) return PanelDrawResult.Invalid("the candidates are missing");
        if (CandidatesProblem(record.Candidates) is { } problem) return PanelDrawResult.Invalid(problem);
        return Compute(record.Candidates, record.Request, Convert.FromHexString(record.SeedHex));
    }

    /// <summary>The panel recomputed from the record's candidates and seed; empty when they yield none (<see cref="Recompute"/> says why).</summary>
    public static IReadOnlyList<long> Replay(PanelDrawRecord record) => Recompute(record).Record?.Panel ?? [];

    /// <summary>True when the recomputed exclusions (reasons and details) and panel (members and order) are exactly the recorded ones.</summary>
    public static bool Verify(PanelDrawRecord record)
    {
        ArgumentNullException.ThrowIfNull(record);
        var replayed = Recompute(record).Record;
        return replayed is not null && record.Excluded is not null && record.Panel is not null
            && replayed.Excluded.SequenceEqual(record.Excluded) && replayed.Panel.SequenceEqual(record.Panel);
    }

    /// <summary>
    /// The fixed sentence of an exclusion, part of algorithm v1: Chinese, then English. A conflict's reason is
    /// the expert's and is not repeated here.
    /// </summary>
    public static string Detail(ExclusionReason reason, Expert expert, PanelRequest request)
    {
        ArgumentNullException.ThrowIfNull(expert);
        ArgumentNullException.ThrowIfNull(request);
        return reason switch
        {
            ExclusionReason.Inactive => "专家已停用 / the expert is inactive",
            ExclusionReason.NoRequiredField =>
                $"专业领域不符 / evaluates {string.Join(", ", expert.Fields)}, none of the required {string.Join(", ", request.Fields)}",
            ExclusionReason.SameOrganisation => $"与申请单位同属一个单位 / works for the applicant, {expert.Organisation}",
            ExclusionReason.DeclaredConflict =>
                $"已声明与申请单位存在利益冲突 / declared a conflict of interest with {(ConflictWith(expert, request) ?? throw new ArgumentException($"Expert {expert.Id} declared no conflict with {request.ApplicantOrganisation}.", nameof(expert))).Organisation}",
        };
    }

    private static PanelDrawResult Compute(IReadOnlyList<Expert> candidates, PanelRequest request, byte[] seed)
    {
        var excluded = new List<PanelExclusion>();
        var eligible = new List<Expert>();
        foreach (var expert in candidates)
        {
            if (Exclusion(expert, request) is { } reason) excluded.Add(new PanelExclusion(expert.Id, reason, Detail(reason, expert, request)));
            else eligible.Add(expert);
        }

        var uncovered = request.Fields.Where(f => !eligible.Any(e => e.Fields.Contains(f))).ToList();
        if (eligible.Count < request.Size || uncovered.Count > 0)
            return PanelDrawResult.Short(new PanelShortfall(eligible.Count, request.Size, uncovered, excluded));

        var stream = new RandomStream(seed);
        var panel = new List<Expert>(request.Size);
        var seated = new HashSet<long>();
        foreach (var field in request.Fields)
        {
            if (panel.Any(e => e.Fields.Contains(field))) continue;
            var withField = eligible.Where(e => e.Fields.Contains(field) && !seated.Contains(e.Id)).ToList();
            var drawn = withField[stream.Below(withField.Count)];
            panel.Add(drawn);
            seated.Add(drawn.Id);
        }

        while (panel.Count < request.Size)
        {
            var rest = eligible.Where(e => !seated.Contains(e.Id)).ToList();
            var drawn = rest[stream.Below(rest.Count)];
            panel.Add(drawn);
            seated.Add(drawn.Id);
        }

        var record = new PanelDrawRecord(AlgorithmV1, Convert.ToHexStringLower(seed), request, [.. candidates], excluded, [.. panel.Select(e => e.Id)]);
        return PanelDrawResult.Drawn(record);
    }

    private static ExclusionReason? Exclusion(Expert expert, PanelRequest request)
    {
        if (expert.Status != ExpertStatus.Active) return ExclusionReason.Inactive;
        if (!expert.Fields.Any(request.Fields.Contains)) return ExclusionReason.NoRequiredField;
        if (ExpertRules.SameOrganisation(expert.OrganisationAccount, expert.Organisation, request.ApplicantAccount, request.ApplicantOrganisation))
            return ExclusionReason.SameOrganisation;
        if (ConflictWith(expert, request) is not null) return ExclusionReason.DeclaredConflict;
        return null;
    }

    /// <summary>The first conflict the expert declared with the applicant, or null.</summary>
    private static ExpertConflict? ConflictWith(Expert expert, PanelRequest request) =>
        expert.Conflicts.FirstOrDefault(c => ExpertRules.SameOrganisation(c.Account, c.Organisation, request.ApplicantAccount, request.ApplicantOrganisation));

    /// <summary>Candidates must be valid experts in strictly increasing id order, at most <see cref="ExpertRules.PoolMax"/>.</summary>
    private static string? CandidatesProblem(IReadOnlyList<Expert> candidates)
    {
        if (candidates.Count > ExpertRules.PoolMax) return $"a draw has at most {ExpertRules.PoolMax} candidates, not {candidates.Count}";
        for (var i = 0; i < candidates.Count; i++)
        {
            if (candidates[i] is not { } expert) return "a candidate is missing";
            if (expert.Fields is null || expert.Conflicts is null) return $"candidate {expert.Id} is missing its fields or conflicts";
            if (expert.Problem() is { } problem) return $"candidate {expert.Id}: {problem}";
            if (i > 0 && candidates[i - 1].Id >= expert.Id) return $"candidates are not in increasing id order at {expert.Id}";
        }

        return null;
    }

    /// <summary>The v1 random stream: SHA-256 of the seed and a counter, 8 bytes per draw.</summary>
    private sealed class RandomStream
    {
        private readonly byte[] _input;
        private ulong _counter;

        public RandomStream(byte[] seed)
        {
            _input = new byte[seed.Length + sizeof(ulong)];
            seed.CopyTo(_input, 0);
        }

        public ulong Next()
        {
            BinaryPrimitives.WriteUInt64LittleEndian(_input.AsSpan(_input.Length - sizeof(ulong)), _counter);
            _counter++;
            Span<byte> hash = stackalloc byte[SHA256.HashSizeInBytes];
            SHA256.HashData(_input, hash);
            return BinaryPrimitives.ReadUInt64LittleEndian(hash);
        }

        /// <summary>An index uniform in [0, n), by rejection sampling.</summary>
        public int Below(int n)
        {
            if (n < 1) throw new InvalidOperationException($"A uniform index is drawn from at least one choice, not {n}.");
            var range = (ulong)n;
            var rejectBelow = unchecked(0UL - range) % range; // 2^64 mod n
            while (true)
            {
                var x = Next();
                if (x >= rejectBelow) return (int)(x % range);
            }
        }
    }
}
