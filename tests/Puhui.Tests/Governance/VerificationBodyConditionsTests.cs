using Puhui.Governance;

namespace Puhui.Tests.Governance;

public sealed class VerificationBodyConditionsTests
{
    public static readonly DateOnly Today = new(2026, 3, 2);

    public static VerificationStaffMember Verifier(int i, string degree = Degrees.Bachelor, int years = 3, bool fullTime = true, bool education = true)
        => new($"核查员{i}", degree, years, fullTime, education);

    /// <summary>A declaration that meets every JS 40 condition on <see cref="Today"/>.</summary>
    public static VerificationBodyConditions Complete() => new(
        "南京市玄武区北京东路 1 号 / 1 Beijing East Road, Nanjing",
        "办公室 300 平方米，配备能源计量仪器 / 300 m² office with energy metering instruments",
        ManagementSystem: true,
        FinancialSystem: true,
        "《碳普惠核查管理制度》《财务管理制度》 / Verification management rules; financial rules",
        [Verifier(1), Verifier(2, Degrees.Master), Verifier(3, Degrees.Doctorate, 10), Verifier(4, years: 2), Verifier(5)],
        [new VerificationAccreditation(AccreditationTypes.GhgValidationVerification, "GHG-2024-0815", "温室气体审定与核查 / GHG validation and verification", new DateOnly(2028, 12, 31))]);

    /// <summary>Each JS 40 condition left unmet in one way, with the item the refusal must name and a phrase it must contain.</summary>
    public static TheoryData<string, string, string> Unmet => new()
    {
        { "no office address", "JS 40(一)", "fixed office" },
        { "no facilities", "JS 40(一)", "facilities, equipment" },
        { "no management system", "JS 40(一)", "management system" },
        { "no financial system", "JS 40(一)", "financial system" },
        { "systems not described", "JS 40(一)", "not described" },
        { "four staff", "JS 40(二)", "4 of the 5 required full-time staff" },
        { "a staff member without a degree", "JS 40(二)", "4 of the 5 required full-time staff" },
        { "a part-time staff member", "JS 40(二)", "4 of the 5 required full-time staff" },
        { "a staff member with one year's experience", "JS 40(二)", "4 of the 5 required full-time staff" },
        { "a staff member without continuing education", "JS 40(二)", "4 of the 5 required qualified full-time staff take the administrator's continuing education" },
        { "no accreditation", "JS 40(三)", "no greenhouse-gas validation and verification qualification" },
        { "an expired accreditation", "JS 40(三)", "expired, the last on 2026-03-01" },
        { "a CNAS accreditation without energy-metrology review", "JS 40(三)", "energy-metrology review work" },
    };

    public static VerificationBodyConditions Breaking(string condition)
    {
        var c = Complete();
        var staff = c.Staff.ToList();
        return condition switch
        {
            "no office address" => c with { OfficeAddress = " " },
            "no facilities" => c with { Facilities = "" },
            "no management system" => c with { ManagementSystem = false },
            "no financial system" => c with { FinancialSystem = false },
            "systems not described" => c with { SystemsDescription = "" },
            "four staff" => c with { Staff = staff.Take(4).ToList() },
            "a staff member without a degree" => c with { Staff = [.. staff.Take(4), Verifier(5, Degrees.Other)] },
            "a part-time staff member" => c with { Staff = [.. staff.Take(4), Verifier(5, fullTime: false)] },
            "a staff member with one year's experience" => c with { Staff = [.. staff.Take(4), Verifier(5, years: 1)] },
            "a staff member without continuing education" => c with { Staff = [.. staff.Take(4), Verifier(5, education: false)] },
            "no accreditation" => c with { Accreditations = [] },
            "an expired accreditation" => c with { Accreditations = [c.Accreditations[0] with { ValidUntil = Today.AddDays(-1) }] },
            "a CNAS accreditation without energy-metrology review" => c with
            {
                Accreditations = [new VerificationAccreditation(AccreditationTypes.Cnas, "CNAS L1234", "能源计量 / energy metering", new DateOnly(2028, 1, 1))],
            },
            _ => throw new ArgumentOutOfRangeException(nameof(condition), condition, "no such case"),
        };
    }

    [Fact]
    public void A_complete_declaration_meets_every_condition()
    {
        var c = Complete();
        Assert.Null(c.Problem());
        Assert.Empty(c.Unmet(Today));
        Assert.Empty(c.Problems(Today));
        Assert.Equal(5, c.QualifiedStaff);
    }

    [Theory]
    [MemberData(nameof(Unmet))]
    public void Each_unmet_condition_is_named_by_its_JS_40_item(string condition, string item, string phrase)
    {
        var problems = Breaking(condition).Problems(Today);

        var problem = Assert.Single(problems);
        Assert.StartsWith(item + ": ", problem, StringComparison.Ordinal);
        Assert.Contains(phrase, problem, StringComparison.Ordinal);
    }

    [Fact]
    public void Every_unmet_condition_is_listed_at_once()
    {
        var empty = new VerificationBodyConditions("", "", false, false, "", [], []);

        var problems = empty.Problems(Today);

        Assert.Equal(["JS 40(一)", "JS 40(一)", "JS 40(一)", "JS 40(一)", "JS 40(二)", "JS 40(三)"], problems.Select(p => p[..p.IndexOf(':', StringComparison.Ordinal)]));
        Assert.Contains("0 of the 5", problems[4], StringComparison.Ordinal);
    }

    [Fact]
    public void An_accreditation_counts_through_its_last_valid_day()
    {
        var c = Complete() with { Accreditations = [Complete().Accreditations[0] with { ValidUntil = Today }] };
        Assert.Empty(c.Unmet(Today));
        Assert.Single(c.Unmet(Today.AddDays(1)));
    }

    [Theory]
    [InlineData(AccreditationTypes.Cnas)]
    [InlineData(AccreditationTypes.Cma)]
    public void A_laboratory_accreditation_qualifies_an_organisation_doing_energy_metrology_review(string type)
    {
        var c = Complete() with
        {
            Accreditations = [new VerificationAccreditation(type, "L0001", "能源计量审查 / energy-metrology review", new DateOnly(2027, 6, 30))],
            EnergyMetrologyReview = true,
        };
        Assert.Empty(c.Problems(Today));
        Assert.Single((c with { EnergyMetrologyReview = false }).Problems(Today));
    }

    [Fact]
    public void Extra_staff_who_do_not_qualify_do_not_matter()
    {
        var c = Complete() with { Staff = [.. Complete().Staff, Verifier(6, Degrees.Other, 0, fullTime: false, education: false)] };
        Assert.Empty(c.Problems(Today));
    }

    public static TheoryData<string, string> Malformed => new()
    {
        { "officeAddress", "officeAddress" },
        { "facilities", "facilities" },
        { "systemsDescription", "systemsDescription" },
        { "staff", "staff must list" },
        { "staff.name", "staff[0].name" },
        { "staff.nameEmpty", "staff[0].name" },
        { "staff.degree", "staff[0].degree" },
        { "staff.experienceYears", "staff[0].experienceYears" },
        { "staff.experienceYearsNegative", "staff[0].experienceYears" },
        { "accreditations", "accreditations must list" },
        { "accreditations.type", "accreditations[0].type" },
        { "accreditations.number", "accreditations[0].number" },
        { "accreditations.scope", "accreditations[0].scope" },
        { "accreditations.twice", "listed twice" },
    };

    /// <summary>Each limit exceeded by one; <see cref="AtLimit"/> is the same declaration exactly at the limit.</summary>
    private static VerificationBodyConditions OverLimit(string field, int over)
    {
        var c = Complete();
        var s = c.Staff[0];
        var a = c.Accreditations[0];
        return field switch
        {
            "officeAddress" => c with { OfficeAddress = new string('址', VerificationBodyConditions.OfficeAddressLengthMax + over) },
            "facilities" => c with { Facilities = new string('设', VerificationBodyConditions.FacilitiesLengthMax + over) },
            "systemsDescription" => c with { SystemsDescription = new string('制', VerificationBodyConditions.SystemsDescriptionLengthMax + over) },
            "staff" => c with { Staff = Enumerable.Range(1, VerificationBodyConditions.StaffMax + over).Select(i => Verifier(i)).ToList() },
            "staff.name" => c with { Staff = [s with { Name = new string('名', VerificationBodyConditions.StaffNameLengthMax + over) }, .. c.Staff.Skip(1)] },
            "staff.experienceYears" => c with { Staff = [s with { ExperienceYears = VerificationBodyConditions.ExperienceYearsMax + over }, .. c.Staff.Skip(1)] },
            "accreditations" => c with
            {
                Accreditations = Enumerable.Range(1, VerificationBodyConditions.AccreditationsMax + over).Select(i => a with { Number = $"GHG-{i}" }).ToList(),
            },
            "accreditations.number" => c with { Accreditations = [a with { Number = new string('9', VerificationBodyConditions.AccreditationNumberLengthMax + over) }] },
            "accreditations.scope" => c with { Accreditations = [a with { Scope = new string('范', VerificationBodyConditions.AccreditationScopeLengthMax + over) }] },
            _ => throw new ArgumentOutOfRangeException(nameof(field), field, "no such limit"),
        };
    }

    private static VerificationBodyConditions AtLimit(string field) => OverLimit(field, 0);

    private static VerificationBodyConditions MalformedBy(string field)
    {
        var c = Complete();
        var s = c.Staff[0];
        var a = c.Accreditations[0];
        return field switch
        {
            "staff.nameEmpty" => c with { Staff = [s with { Name = " " }, .. c.Staff.Skip(1)] },
            "staff.degree" => c with { Staff = [s with { Degree = "Bachelor" }, .. c.Staff.Skip(1)] },
            "staff.experienceYearsNegative" => c with { Staff = [s with { ExperienceYears = -1 }, .. c.Staff.Skip(1)] },
            "accreditations.type" => c with { Accreditations = [a with { Type = "iso-14065" }] },
            "accreditations.twice" => c with { Accreditations = [a, a with { Scope = "again" }] },
            _ => OverLimit(field, 1),
        };
    }

    [Theory]
    [MemberData(nameof(Malformed))]
    public void A_malformed_declaration_is_refused_naming_the_member(string field, string named)
    {
        var problem = MalformedBy(field).Problem();

        Assert.NotNull(problem);
        Assert.Contains(named, problem, StringComparison.Ordinal);
        Assert.Equal([problem], MalformedBy(field).Problems(Today));
        Assert.Throws<InvalidOperationException>(() => MalformedBy(field).Unmet(Today));
    }

    [Theory]
    [InlineData("officeAddress")]
    [InlineData("facilities")]
    [InlineData("systemsDescription")]
    [InlineData("staff")]
    [InlineData("staff.name")]
    [InlineData("staff.experienceYears")]
    [InlineData("accreditations")]
    [InlineData("accreditations.number")]
    [InlineData("accreditations.scope")]
    public void Every_limit_is_inclusive(string field)
    {
        Assert.Null(AtLimit(field).Problem());
        Assert.NotNull(OverLimit(field, 1).Problem());
    }

    [Fact]
    public void Missing_lists_and_members_from_a_careless_request_are_malformed_not_crashes()
    {
        var c = Complete();
        Assert.NotNull((c with { Staff = null! }).Problem());
        Assert.NotNull((c with { Accreditations = null! }).Problem());
        Assert.NotNull((c with { OfficeAddress = null! }).Problem());
        Assert.NotNull((c with { Staff = [null!] }).Problem());
        Assert.NotNull((c with { Accreditations = [null!] }).Problem());
        Assert.NotNull((c with { Staff = [c.Staff[0] with { Degree = null! }] }).Problem());
    }
}
