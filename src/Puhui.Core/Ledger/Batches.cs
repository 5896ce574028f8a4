namespace Puhui.Ledger;

/// <summary>Where the reductions of a batch come from.</summary>
public enum BatchOrigin : byte
{
    /// <summary>Behaviour records of one scenario in one month.</summary>
    Scenario = 1,

    /// <summary>One monitoring period of one registered project.</summary>
    ProjectPeriod = 2,

    /// <summary>Points-only batches and anything else the platform issues.</summary>
    Other = 3,
}

/// <summary>Methodology class (NJ 5): class II reductions never enter the voluntary trading venue.</summary>
public enum MethodologyClass : byte
{
    None = 0,
    I = 1,
    II = 2,
}

/// <summary>An issuance batch (签发批次). Holdings are fungible within a batch.</summary>
public sealed record Batch(
    BatchId Id,
    string Code,
    BatchOrigin Origin,
    string OriginRef,
    string MethodologyId,
    string MethodologyVersion,
    MethodologyClass Class,
    int Vintage,
    string Region,
    DateTimeOffset CreatedAt);

public sealed record NewBatch(
    string Code,
    BatchOrigin Origin,
    string OriginRef,
    string MethodologyId = "",
    string MethodologyVersion = "",
    MethodologyClass Class = MethodologyClass.None,
    int Vintage = 0,
    string Region = "")
{
    public const int CodeLengthMax = 64;

    public string? Problem()
    {
        if (string.IsNullOrWhiteSpace(Code) || Code.Length > CodeLengthMax) return $"code must be 1–{CodeLengthMax} characters";
        if (!Enum.IsDefined(Origin)) return "unknown origin";
        if (!Enum.IsDefined(Class)) return "unknown class";
        if (Vintage is < 0 or > 9999) return "vintage must be a year";
        return null;
    }
}
