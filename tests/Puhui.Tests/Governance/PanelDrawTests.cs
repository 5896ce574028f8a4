using System.Security.Cryptography;
using Puhui.Governance;

namespace Puhui.Tests.Governance;

/// <summary>Algorithm v1 pinned, exclusions and their sentences, shortfalls, request limits, determinism and tampering.</summary>
public class PanelDrawTests
{
    private static readonly byte[] Seed = [.. Enumerable.Range(0, PanelDraw.SeedBytes).Select(i => (byte)i)];

    private static Expert E(long id, string organisation, long? account, string[] fields, ExpertStatus status = ExpertStatus.Active, params ExpertConflict[] conflicts) =>
        new(id, $"专家{id}", organisation, account, fields, "高级工程师", status, conflicts);

    private static readonly PanelRequest Request = new(["energy", "transport"], 4, 500, "Applicant Co");

    /// <summary>Ten experts: six eligible (1, 2, 3, 7, 9, 10) and one of each exclusion.</summary>
    private static readonly Expert[] Pool =
    [
        E(10, "Org G", null, ["transport"]),
        E(1, "Org A", 601, ["transport"]),
        E(2, "Org B", null, ["energy"]),
        E(3, "Org C", 603, ["transport", "energy"]),
        E(4, "Org D", null, ["energy"], ExpertStatus.Inactive),
        E(5, "APPLICANT CO ", null, ["transport"]),
        E(6, "Org E", null, ["energy"], ExpertStatus.Active, new ExpertConflict(500, "申请单位的旧名", "曾任顾问")),
        E(7, "Org F", 500 + 107, ["transport", "waste"]),
        E(8, "Org H", null, ["waste"]),
        E(9, "Org I", null, ["energy"]),
    ];

    [Fact]
    public void Algorithm_v1_draws_the_panel_an_independent_implementation_computes()
    {
        // Computed apart from this code base (Python's hashlib): SHA-256(seed ‖ counter LE) → first 8 bytes LE,
        // rejection sampling, field seats first, then the rest.
        var result = PanelDraw.Draw(Pool, Request, Seed);
        Assert.Equal(PanelDrawStatus.Drawn, result.Status);
        Assert.Equal([3L, 1, 10, 9], result.Record!.Panel);
        Assert.Equal("000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f", result.Record.SeedHex);
        Assert.Equal([1L, 2, 3, 4, 5, 6, 7, 8, 9, 10], result.Record.Candidates.Select(c => c.Id));
    }

    [Fact]
    public void Each_excluded_candidate_is_recorded_with_the_first_reason_that_applies_and_its_fixed_sentence()
    {
        var record = PanelDraw.Draw(Pool, Request, Seed).Record!;
        Assert.Equal(
        [
            new PanelExclusion(4, ExclusionReason.Inactive, "专家已停用 / the expert is inactive"),
            new PanelExclusion(5, ExclusionReason.SameOrganisation, "与申请单位同属一个单位 / works for the applicant, APPLICANT CO "),
            new PanelExclusion(6, ExclusionReason.DeclaredConflict, "已声明与申请单位存在利益冲突 / declared a conflict of interest with 申请单位的旧名"),
            new PanelExclusion(8, ExclusionReason.NoRequiredField, "专业领域不符 / evaluates waste, none of the required energy, transport"),
        ], record.Excluded);

        // Inactive comes first even for an expert of the applicant without the fields.
        var both = PanelDraw.Draw([E(1, "Applicant Co", 500, ["waste"], ExpertStatus.Inactive)], Request with { Size = 2 }, Seed);
        Assert.Equal(ExclusionReason.Inactive, Assert.Single(both.Shortfall!.Excluded).Reason);
    }

    [Fact]
    public void Known_accounts_decide_whether_organisations_are_the_same_and_names_decide_otherwise()
    {
        Assert.True(ExpertRules.SameOrganisation(500, "Another name", 500, "Applicant Co"));
        Assert.False(ExpertRules.SameOrganisation(501, "Applicant Co", 500, "Applicant Co"));
        Assert.True(ExpertRules.SameOrganisation(null, "  applicant co", 500, "Applicant Co"));
        Assert.True(ExpertRules.SameOrganisation(501, "ＡＰＰＬＩＣＡＮＴ　ＣＯ", null, "Applicant Co"));
        Assert.False(ExpertRules.SameOrganisation(null, "Applicant Company", null, "Applicant Co"));
    }

    [Fact]
    public void Too_few_eligible_experts_or_an_uncovered_field_is_a_shortfall_naming_both()
    {
        var tooFew = PanelDraw.Draw(Pool, Request with { Size = 7 }, Seed);
        Assert.Equal(PanelDrawStatus.Shortfall, tooFew.Status);
        Assert.Null(tooFew.Record);
        Assert.Equal((6, 7, 0), (tooFew.Shortfall!.Eligible, tooFew.Shortfall.Size, tooFew.Shortfall.UncoveredFields.Count));

        // Expert 4 is the only forester, and inactive; expert 8 evaluates waste and is now eligible.
        var uncovered = PanelDraw.Draw(Pool, new PanelRequest(["forestry", "waste", "finance"], 3, 500, "Applicant Co"), Seed);
        Assert.Equal(PanelDrawStatus.Shortfall, uncovered.Status);
        Assert.Equal(2, uncovered.Shortfall!.Eligible);
        Assert.Equal(["forestry", "finance"], uncovered.Shortfall.UncoveredFields);

        Assert.Equal(PanelDrawStatus.Drawn, PanelDraw.Draw(Pool, Request with { Size = 6 }, Seed).Status);
        Assert.Equal(PanelDrawStatus.Shortfall, PanelDraw.Draw([], Request, Seed).Status);
    }

    [Theory]
    [InlineData(0, "size must be 1–15 seats")]
    [InlineData(PanelRequest.SizeMax + 1, "size must be 1–15 seats")]
    [InlineData(1, "each required field needs a seat: size 1 is less than the 2 fields required")]
    public void A_request_outside_its_limits_is_invalid(int size, string problem)
    {
        var result = PanelDraw.Draw(Pool, Request with { Size = size }, Seed);
        Assert.Equal((PanelDrawStatus.Invalid, problem), (result.Status, result.Problem));
    }

    [Fact]
    public void Request_and_expert_limits_hold_at_their_boundaries()
    {
        Assert.Null((Request with { Size = PanelRequest.SizeMax }).Problem());
        var eight = Enumerable.Range(0, ExpertRules.FieldsMax).Select(i => "field-" + (char)('a' + i)).ToList();
        Assert.Null(new PanelRequest(eight, 8, null, "X").Problem());
        Assert.NotNull(new PanelRequest([.. eight, "field-z"], 9, null, "X").Problem());
        Assert.NotNull(new PanelRequest(["energy", "energy"], 2, null, "X").Problem());
        Assert.NotNull(new PanelRequest([], 2, null, "X").Problem());
        Assert.NotNull(new PanelRequest(["energy"], 2, null, " ").Problem());
        Assert.NotNull(new PanelRequest(["energy"], 2, 0, "X").Problem());
        Assert.NotNull(new PanelRequest(["energy"], 2, null, new string('x', ExpertRules.OrganisationLengthMax + 1)).Problem());

        Assert.True(ExpertRules.IsField("a" + new string('b', ExpertRules.FieldLengthMax - 1)));
        Assert.False(ExpertRules.IsField("a" + new string('b', ExpertRules.FieldLengthMax)));
        Assert.True(ExpertRules.IsField("ab"));
        Assert.False(ExpertRules.IsField("a"));
        Assert.False(ExpertRules.IsField("Energy"));
        Assert.False(ExpertRules.IsField("1energy"));
        Assert.False(ExpertRules.IsField("energy\n"));
        Assert.False(ExpertRules.IsField("能源"));

        var ok = new NewExpert(new string('名', ExpertRules.NameLengthMax), new string('单', ExpertRules.OrganisationLengthMax), null, eight, new string('职', ExpertRules.TitleLengthMax));
        Assert.Null(ok.Problem());
        Assert.NotNull((ok with { Name = ok.Name + "名" }).Problem());
        Assert.NotNull((ok with { Name = "" }).Problem());
        Assert.NotNull((ok with { Organisation = ok.Organisation + "单" }).Problem());
        Assert.NotNull((ok with { Title = ok.Title + "职" }).Problem());
        Assert.Null((ok with { Title = "" }).Problem());
        Assert.NotNull((ok with { Fields = [.. eight, "field-z"] }).Problem());
        Assert.NotNull((ok with { OrganisationAccount = -1 }).Problem());
        Assert.NotNull((ok with { Name = "张\u0000三" }).Problem());
        Assert.Null(new ExpertConflict(null, "X", new string('r', ExpertConflict.ReasonLengthMax)).Problem());
        Assert.NotNull(new ExpertConflict(null, "X", new string('r', ExpertConflict.ReasonLengthMax + 1)).Problem());
        Assert.NotNull(new ExpertConflict(null, "X", "").Problem());
    }

    [Fact]
    public void The_same_seed_draws_the_same_panel_and_one_changed_seed_byte_changes_it_in_almost_every_pool()
    {
        const int pools = 60;
        var changed = 0;
        for (var p = 0; p < pools; p++)
        {
            var pool = Enumerable.Range(1, 30).Select(i => E(i * 3 + p, "Org " + (i % 7), null, i % 2 == 0 ? ["energy"] : ["transport", "data"])).ToList();
            var request = new PanelRequest(["energy", "transport"], 4, null, "Applicant Co");
            var seed = SHA256.HashData(BitConverter.GetBytes(p));
            var first = PanelDraw.Draw(pool, request, seed).Record!;
            Assert.Equal(first, PanelDraw.Draw(pool, request, (byte[])seed.Clone()).Record);
            Assert.Equal(first, PanelDraw.Draw([.. Enumerable.Reverse(pool)], request, seed).Record);

            var other = (byte[])seed.Clone();
            other[p % PanelDraw.SeedBytes] ^= 0x01;
            if (!PanelDraw.Draw(pool, request, other).Record!.Panel.SequenceEqual(first.Panel)) changed++;
        }

        // Two panels of 4 from 15 + 15 experts coincide by chance about once in 50 000 draws.
        Assert.True(changed >= pools - 1, $"{changed} of {pools} panels changed");
    }

    [Fact]
    public void Each_eligible_expert_is_about_equally_likely_to_be_drawn()
    {
        var pool = Enumerable.Range(1, 5).Select(i => E(i, "Org " + i, null, ["energy"])).ToList();
        var request = new PanelRequest(["energy"], 1, null, "Applicant Co");
        var counts = new int[6];
        for (var s = 0; s < 5_000; s++) counts[PanelDraw.Draw(pool, request, SHA256.HashData(BitConverter.GetBytes(s))).Record!.Panel[0]]++;
        // 1000 expected each; a standard deviation is about 28, so 150 is over five of them.
        Assert.All(counts.Skip(1), c => Assert.InRange(c, 850, 1_150));
    }

    public static TheoryData<string> Tamperings => ["panel member swapped", "panel reordered", "panel shortened", "member made inactive", "member moved to the applicant",
        "member declares a conflict", "member removed from the candidates", "seed changed", "exclusion detail changed", "exclusion reason changed", "algorithm renamed",
        "request resized", "candidates out of order"];

    [Theory, MemberData(nameof(Tamperings))]
    public void A_tampered_record_fails_verification(string tampering)
    {
        var record = PanelDraw.Draw(Pool, Request, Seed).Record!;
        Assert.True(PanelDraw.Verify(record));
        var member = record.Panel[0];
        var tampered = tampering switch
        {
            "panel member swapped" => record with { Panel = [7, .. record.Panel.Skip(1)] },
            "panel reordered" => record with { Panel = [.. record.Panel.Reverse()] },
            "panel shortened" => record with { Panel = [.. record.Panel.Take(3)] },
            "member made inactive" => record with { Candidates = Change(record, member, e => e with { Status = ExpertStatus.Inactive }) },
            "member moved to the applicant" => record with { Candidates = Change(record, member, e => e with { OrganisationAccount = 500 }) },
            "member declares a conflict" => record with { Candidates = Change(record, member, e => e with { Conflicts = [new ExpertConflict(null, "applicant co", "x")] }) },
            "member removed from the candidates" => record with { Candidates = [.. record.Candidates.Where(c => c.Id != member)] },
            "seed changed" => record with { SeedHex = "ff" + record.SeedHex[2..] },
            "exclusion detail changed" => record with { Excluded = [record.Excluded[0] with { Detail = "调整 / adjusted" }, .. record.Excluded.Skip(1)] },
            "exclusion reason changed" => record with { Excluded = [record.Excluded[0] with { Reason = ExclusionReason.NoRequiredField }, .. record.Excluded.Skip(1)] },
            "algorithm renamed" => record with { Algorithm = "v2" },
            "request resized" => record with { Request = Request with { Size = 3 } },
            "candidates out of order" => record with { Candidates = [.. record.Candidates.Reverse()] },
            _ => throw new ArgumentOutOfRangeException(nameof(tampering)),
        };
        Assert.False(PanelDraw.Verify(tampered), tampering);
    }

    [Fact]
    public void Replay_recomputes_the_panel_from_the_record_alone()
    {
        var record = PanelDraw.Draw(Pool, Request, Seed).Record!;
        Assert.Equal(record.Panel, PanelDraw.Replay(record with { Panel = [1, 2, 3, 4] }));
        Assert.Empty(PanelDraw.Replay(record with { SeedHex = "not hex" }));
        Assert.Equal(PanelDrawStatus.Invalid, PanelDraw.Recompute(record with { SeedHex = "not hex" }).Status);
        Assert.Equal(PanelDrawStatus.Shortfall, PanelDraw.Recompute(record with { Request = Request with { Size = 9 } }).Status);
    }

    [Fact]
    public void A_pool_the_caller_should_never_pass_throws()
    {
        Assert.Throws<ArgumentException>(() => PanelDraw.Draw(Pool, Request, new byte[16]));
        Assert.Throws<ArgumentException>(() => PanelDraw.Draw([.. Pool, E(3, "Twin", null, ["energy"])], Request, Seed));
        Assert.Throws<ArgumentException>(() => PanelDraw.Draw([E(1, "Org", null, ["Energy"])], Request, Seed));
    }

    private static List<Expert> Change(PanelDrawRecord record, long id, Func<Expert, Expert> change) =>
        [.. record.Candidates.Select(c => c.Id == id ? change(c) : c)];
}
