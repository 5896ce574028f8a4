using System.Globalization;

namespace Puhui.Governance;

/// <summary>The degrees a verification body's staff member may declare; JS 40(二) asks for a bachelor's degree or higher.</summary>
public static class Degrees
{
    public const string Bachelor = "bachelor";
    public const string Master = "master";
    public const string Doctorate = "doctorate";
    public const string Other = "other";

    public static IReadOnlyList<string> All { get; } = [Bachelor, Master, Doctorate, Other];

    /// <summary>A bachelor's degree or higher (本科以上学历).</summary>
    public static bool IsBachelorOrHigher(string? degree) => degree is Bachelor or Master or Doctorate;
}

/// <summary>The accreditations JS 40(三) accepts.</summary>
public static class AccreditationTypes
{
    /// <summary>A greenhouse-gas validation and verification body qualification (温室气体审定与核查机构资质).</summary>
    public const string GhgValidationVerification = "ghg-validation-verification";

    /// <summary>China National Accreditation Service for Conformity Assessment (CNAS).</summary>
    public const string Cnas = "cnas";

    /// <summary>China Inspection Body and Laboratory Mandatory Approval (CMA, 检验检测机构资质认定).</summary>
    public const string Cma = "cma";

    public static IReadOnlyList<string> All { get; } = [GhgValidationVerification, Cnas, Cma];
}

/// <summary>One member of staff an applicant declares for JS 40(二).</summary>
/// <param name="Degree">One of <see cref="Degrees"/>.</param>
/// <param name="ExperienceYears">Whole years of professional work experience.</param>
/// <param name="FullTime">Employed full-time (专职) by the applicant.</param>
/// <param name="ContinuingEducation">Takes the continuing education the administrator organises.</param>
public sealed record VerificationStaffMember(string Name, string Degree, int ExperienceYears, bool FullTime, bool ContinuingEducation)
{
    /// <summary>Holds a bachelor's degree or higher, has two years' professional experience and works full-time.</summary>
    public bool Qualifies => FullTime && Degrees.IsBachelorOrHigher(Degree) && ExperienceYears >= VerificationBodyConditions.ExperienceYearsMin;
}

/// <summary>One accreditation an applicant declares for JS 40(三).</summary>
/// <param name="Type">One of <see cref="AccreditationTypes"/>.</param>
/// <param name="Number">The certificate's number.</param>
/// <param name="Scope">What the accreditation covers, as the certificate states it.</param>
/// <param name="ValidUntil">The last day the certificate is valid.</param>
public sealed record VerificationAccreditation(string Type, string Number, string Scope, DateOnly ValidUntil);

/// <summary>
/// What an organisation declares when it applies to become a verification body (核查机构, JS 40–41): a fixed office,
/// the facilities and equipment for verification work, its management and financial systems (JS 40(一)); five
/// full-time staff with a bachelor's degree or higher and two years' professional experience who take the
/// administrator's continuing education (JS 40(二)); and a greenhouse-gas validation and verification qualification,
/// or energy-metrology review work with a CNAS or CMA accreditation (JS 40(三)). The declaration is checked here;
/// its evidence is in the application's documents, which the administrator reviews.
/// </summary>
/// <param name="OfficeAddress">The fixed office's address.</param>
/// <param name="Facilities">The facilities, equipment and office conditions for verification work.</param>
/// <param name="ManagementSystem">A management system for verification activities is in place.</param>
/// <param name="FinancialSystem">A financial system is in place.</param>
/// <param name="SystemsDescription">What the management and financial systems are, e.g. the titles of the rules.</param>
/// <param name="EnergyMetrologyReview">The organisation does energy-metrology review work (能源计量审查), which with a CNAS or CMA accreditation meets JS 40(三).</param>
public sealed record VerificationBodyConditions(
    string OfficeAddress,
    string Facilities,
    bool ManagementSystem,
    bool FinancialSystem,
    string SystemsDescription,
    IReadOnlyList<VerificationStaffMember> Staff,
    IReadOnlyList<VerificationAccreditation> Accreditations,
    bool EnergyMetrologyReview = false)
{
    /// <summary>Full-time staff with a bachelor's degree and two years' experience that JS 40(二) requires.</summary>
    public const int QualifiedStaffMin = 5;

    /// <summary>Years of professional experience JS 40(二) requires of each of them.</summary>
    public const int ExperienceYearsMin = 2;

    public const int OfficeAddressLengthMax = 200;
    public const int FacilitiesLengthMax = 2_000;
    public const int SystemsDescriptionLengthMax = 2_000;
    public const int StaffMax = 100;
    public const int StaffNameLengthMax = 50;
    public const int ExperienceYearsMax = 60;
    public const int AccreditationsMax = 20;
    public const int AccreditationNumberLengthMax = 64;
    public const int AccreditationScopeLengthMax = 500;

    /// <summary>The staff who count towards JS 40(二): qualified and taking the continuing education.</summary>
    public int QualifiedStaff => Staff?.Count(s => s is not null && s.Qualifies && s.ContinuingEducation) ?? 0;

    /// <summary>Why the declaration is malformed (a missing field, an unknown code, a limit exceeded), or null.</summary>
    public string? Problem()
    {
        if (OfficeAddress is null || OfficeAddress.Length > OfficeAddressLengthMax) return $"officeAddress must be at most {OfficeAddressLengthMax} characters";
        if (Facilities is null || Facilities.Length > FacilitiesLengthMax) return $"facilities must be at most {FacilitiesLengthMax} characters";
        if (SystemsDescription is null || SystemsDescription.Length > SystemsDescriptionLengthMax)
            return $"systemsDescription must be at most {SystemsDescriptionLengthMax} characters";
        if (Staff is null || Staff.Count > StaffMax) return $"staff must list at most {StaffMax} people";
        for (var i = 0; i < Staff.Count; i++)
        {
            var s = Staff[i];
            var at = $"staff[{i.ToString(CultureInfo.InvariantCulture)}]";
            if (s is null) return $"{at} is missing";
            if (string.IsNullOrWhiteSpace(s.Name) || s.Name.Length > StaffNameLengthMax) return $"{at}.name must be 1–{StaffNameLengthMax} characters";
            if (!Degrees.All.Contains(s.Degree, StringComparer.Ordinal)) return $"{at}.degree must be one of {string.Join(", ", Degrees.All)}";
            if (s.ExperienceYears is < 0 or > ExperienceYearsMax) return $"{at}.experienceYears must be 0–{ExperienceYearsMax}";
        }

        if (Accreditations is null || Accreditations.Count > AccreditationsMax) return $"accreditations must list at most {AccreditationsMax}";
        for (var i = 0; i < Accreditations.Count; i++)
        {
            var a = Accreditations[i];
            var at = $"accreditations[{i.ToString(CultureInfo.InvariantCulture)}]";
            if (a is null) return $"{at} is missing";
            if (!AccreditationTypes.All.Contains(a.Type, StringComparer.Ordinal)) return $"{at}.type must be one of {string.Join(", ", AccreditationTypes.All)}";
            if (string.IsNullOrWhiteSpace(a.Number) || a.Number.Length > AccreditationNumberLengthMax) return $"{at}.number must be 1–{AccreditationNumberLengthMax} characters";
            if (string.IsNullOrWhiteSpace(a.Scope) || a.Scope.Length > AccreditationScopeLengthMax) return $"{at}.scope must be 1–{AccreditationScopeLengthMax} characters";
        }

        var repeated = Accreditations.GroupBy(a => (a.Type, a.Number.Trim())).FirstOrDefault(g => g.Count() > 1);
        if (repeated is not null) return $"the {repeated.Key.Type} accreditation {repeated.Key.Item2} is listed twice";
        return null;
    }

    /// <summary>
    /// Each JS 40 condition the declaration does not meet on <paramref name="today"/>, named by its item; empty when
    /// all are met. An accreditation counts only while it is valid. Call on a declaration without a <see cref="Problem"/>.
    /// </summary>
    public IReadOnlyList<string> Unmet(DateOnly today)
    {
        if (Problem() is { } problem) throw new InvalidOperationException($"The declaration is malformed: {problem}.");
        var unmet = new List<string>();
        if (string.IsNullOrWhiteSpace(OfficeAddress)) unmet.Add("JS 40(一): no fixed office address is given");
        if (string.IsNullOrWhiteSpace(Facilities)) unmet.Add("JS 40(一): the facilities, equipment and office conditions for verification work are not described");
        if (!ManagementSystem) unmet.Add("JS 40(一): no management system for verification activities is in place");
        if (!FinancialSystem) unmet.Add("JS 40(一): no financial system is in place");
        if ((ManagementSystem || FinancialSystem) && string.IsNullOrWhiteSpace(SystemsDescription))
            unmet.Add("JS 40(一): the management and financial systems are not described");

        var qualified = Staff.Count(s => s.Qualifies);
        if (qualified < QualifiedStaffMin)
        {
            unmet.Add($"JS 40(二): {N(qualified)} of the {N(QualifiedStaffMin)} required full-time staff hold a bachelor's degree and {N(ExperienceYearsMin)} years' experience");
        }
        else if (QualifiedStaff < QualifiedStaffMin)
        {
            unmet.Add($"JS 40(二): {N(QualifiedStaff)} of the {N(QualifiedStaffMin)} required qualified full-time staff take the administrator's continuing education");
        }

        var valid = Accreditations.Where(a => a.ValidUntil >= today).ToList();
        var ghg = valid.Any(a => a.Type == AccreditationTypes.GhgValidationVerification);
        var laboratory = valid.Any(a => a.Type is AccreditationTypes.Cnas or AccreditationTypes.Cma);
        if (!ghg && !(laboratory && EnergyMetrologyReview))
        {
            if (laboratory)
            {
                unmet.Add("JS 40(三): a CNAS or CMA accreditation qualifies only an organisation doing energy-metrology review work, and none is declared");
            }
            else if (Accreditations.Count > valid.Count)
            {
                var last = Accreditations.Max(a => a.ValidUntil);
                unmet.Add($"JS 40(三): every accreditation has expired, the last on {last.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture)}");
            }
            else
            {
                unmet.Add("JS 40(三): no greenhouse-gas validation and verification qualification, nor energy-metrology review work with a CNAS or CMA accreditation");
            }
        }

        return unmet;
    }

    /// <summary>Everything wrong with the declaration on <paramref name="today"/>: its malformation, else each unmet JS 40 condition.</summary>
    public IReadOnlyList<string> Problems(DateOnly today) => Problem() is { } problem ? [problem] : Unmet(today);

    private static string N(int value) => value.ToString(CultureInfo.InvariantCulture);
}
