using System.Text;

namespace Puhui.Governance;

/// <summary>Whether an expert of the pool (专家库) may be drawn for a panel.</summary>
public enum ExpertStatus : byte
{
    /// <summary>In the pool and drawable.</summary>
    Active = 1,

    /// <summary>Kept in the pool's history but never drawn: retired, on leave, or removed by the administrator.</summary>
    Inactive = 2,
}

/// <summary>
/// A conflict of interest an expert declared with an organisation: the expert is never drawn for that
/// organisation's applications (SZ 11, DESIGN §10).
/// </summary>
/// <param name="Account">The organisation's account, when it has one; matched before the name.</param>
/// <param name="Organisation">The organisation's name, matched as <see cref="ExpertRules.SameOrganisation"/> describes.</param>
/// <param name="Reason">Why, in the expert's words (employment, consulting, family …); not shown to the public.</param>
public sealed record ExpertConflict(long? Account, string Organisation, string Reason)
{
    public const int ReasonLengthMax = 500;

    /// <summary>Returns a reason the declaration is invalid, or null when it is valid.</summary>
    public string? Problem()
    {
        if (Account is <= 0) return "account must be a positive account id when given";
        if (ExpertRules.TextProblem("organisation", Organisation, 1, ExpertRules.OrganisationLengthMax) is { } organisation) return organisation;
        return ExpertRules.TextProblem("reason", Reason, 1, ReasonLengthMax);
    }
}

/// <summary>
/// One expert of the pool (专家库, NJ 2, SZ 6): who they are, where they work, the fields they evaluate, and the
/// conflicts of interest they declared. The pool is public (SZ 27) apart from the reasons of conflicts.
/// </summary>
/// <param name="Organisation">Where the expert works, as a name; <paramref name="OrganisationAccount"/> names it exactly when the organisation has an account.</param>
/// <param name="Fields">The fields the expert evaluates: lower-case codes such as <c>transport</c>, <c>energy</c>, <c>forestry</c>, <c>waste</c>, <c>buildings</c>, <c>finance</c>, <c>data</c>, each once.</param>
/// <param name="Title">A professional title (教授, 高级工程师 …); may be empty.</param>
/// <param name="Conflicts">Declared conflicts of interest, in the order declared.</param>
public sealed record Expert(
    long Id,
    string Name,
    string Organisation,
    long? OrganisationAccount,
    IReadOnlyList<string> Fields,
    string Title,
    ExpertStatus Status,
    IReadOnlyList<ExpertConflict> Conflicts)
{
    /// <summary>Equal when every member is, the lists compared element by element.</summary>
    public bool Equals(Expert? other) =>
        other is not null && Id == other.Id && Name == other.Name && Organisation == other.Organisation && OrganisationAccount == other.OrganisationAccount
        && Fields.SequenceEqual(other.Fields) && Title == other.Title && Status == other.Status && Conflicts.SequenceEqual(other.Conflicts);

    public override int GetHashCode() => HashCode.Combine(Id, Name, Organisation, OrganisationAccount, Fields.Count, Title, Status, Conflicts.Count);

    /// <summary>Returns a reason the expert is invalid, or null when it is valid.</summary>
    public string? Problem()
    {
        if (Id <= 0) return "id must be positive";
        if (new NewExpert(Name, Organisation, OrganisationAccount, Fields, Title).Problem() is { } problem) return problem;
        if (!Enum.IsDefined(Status)) return "status must be active or inactive";
        if (Conflicts is null || Conflicts.Count > ExpertRules.ConflictsMax) return $"an expert declares at most {ExpertRules.ConflictsMax} conflicts";
        foreach (var conflict in Conflicts)
        {
            if (conflict is null) return "a conflict is missing";
            if (conflict.Problem() is { } conflictProblem) return conflictProblem;
        }

        return null;
    }
}

/// <summary>An expert as the administrator adds one to the pool: active, with no conflicts declared yet.</summary>
public sealed record NewExpert(string Name, string Organisation, long? OrganisationAccount, IReadOnlyList<string> Fields, string Title)
{
    /// <summary>Returns a reason the expert is invalid, or null when it is valid.</summary>
    public string? Problem()
    {
        if (ExpertRules.TextProblem("name", Name, 1, ExpertRules.NameLengthMax) is { } name) return name;
        if (ExpertRules.TextProblem("organisation", Organisation, 1, ExpertRules.OrganisationLengthMax) is { } organisation) return organisation;
        if (OrganisationAccount is <= 0) return "organisationAccount must be a positive account id when given";
        if (ExpertRules.FieldsProblem("fields", Fields) is { } fields) return fields;
        return ExpertRules.TextProblem("title", Title, 0, ExpertRules.TitleLengthMax);
    }
}

/// <summary>The pool's limits and the one rule of what "the same organisation" means.</summary>
public static class ExpertRules
{
    public const int NameLengthMax = 100;
    public const int OrganisationLengthMax = 200;
    public const int TitleLengthMax = 100;

    /// <summary>Fields one expert evaluates, and fields one panel request requires.</summary>
    public const int FieldsMax = 8;

    /// <summary>A field code: a lower-case letter, then 1–31 lower-case letters, digits or hyphens.</summary>
    public const int FieldLengthMin = 2, FieldLengthMax = 32;

    public const int ConflictsMax = 100;

    /// <summary>Experts in the pool: also the most candidates one draw records.</summary>
    public const int PoolMax = 5_000;

    /// <summary>True when <paramref name="field"/> is a field code (<c>^[a-z][a-z0-9-]{1,31}$</c>).</summary>
    public static bool IsField(string? field)
    {
        if (field is null || field.Length is < FieldLengthMin or > FieldLengthMax || field[0] is < 'a' or > 'z') return false;
        foreach (var c in field)
        {
            if (c is not ((>= 'a' and <= 'z') or (>= '0' and <= '9') or '-')) return false;
        }

        return true;
    }

    /// <summary>
    /// Whether two organisations are the same: equal accounts when both are known, else equal names once
    /// normalised (<see cref="NormaliseName"/>). Known accounts decide: two accounts that differ are two
    /// organisations whatever their names.
    /// </summary>
    public static bool SameOrganisation(long? accountA, string nameA, long? accountB, string nameB)
        => accountA is { } a && accountB is { } b ? a == b : NormaliseName(nameA) == NormaliseName(nameB);

    /// <summary>A name as compared: Unicode NFKC (full-width letters and spaces become ordinary ones), trimmed, lower-cased invariantly.</summary>
    public static string NormaliseName(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        return name.Normalize(NormalizationForm.FormKC).Trim().ToLowerInvariant();
    }

    internal static string? TextProblem(string member, string? text, int lengthMin, int lengthMax)
    {
        if (text is null || text.Length > lengthMax || (lengthMin > 0 && string.IsNullOrWhiteSpace(text)) || text.Any(char.IsControl))
            return lengthMin > 0 ? $"{member} must be {lengthMin}–{lengthMax} characters, not blank, without control characters" : $"{member} must be at most {lengthMax} characters, without control characters";
        return null;
    }

    internal static string? FieldsProblem(string member, IReadOnlyList<string>? fields)
    {
        if (fields is null || fields.Count is < 1 or > FieldsMax) return $"{member} must list 1–{FieldsMax} fields";
        for (var i = 0; i < fields.Count; i++)
        {
            if (!IsField(fields[i])) return $"{member}: \"{fields[i]}\" is not a field code (a lower-case letter, then 1–31 lower-case letters, digits or hyphens, e.g. transport)";
            for (var j = 0; j < i; j++)
            {
                if (fields[j] == fields[i]) return $"{member}: {fields[i]} is listed twice";
            }
        }

        return null;
    }
}
