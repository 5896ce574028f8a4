namespace Puhui.Methodologies;

/// <summary>
/// Limits on what a methodology file may ask of the platform. Methodologies are user-supplied data, so every
/// dimension that costs memory or time is bounded and checked when the file is loaded.
/// </summary>
public static class MethodologyLimits
{
    /// <summary>Longest formula text, in characters.</summary>
    public const int FormulaLengthMax = 2_000;

    /// <summary>Deepest nesting of sub-expressions (parentheses, calls, operators) in one formula.</summary>
    public const int NestingDepthMax = 32;

    /// <summary>
    /// Most evaluation steps one calculation may take, summed over all formulas, rules and the points rule. The
    /// language has no loops, so the count is known at load time: one step per node, plus one per day a history
    /// function reads.
    /// </summary>
    public const int EvaluationStepsMax = 10_000;

    /// <summary>Most days a history function may look back (window plus skipped days).</summary>
    public const int HistoryDaysMax = 366;

    /// <summary>Most inputs, factors, formulas or plausibility rules of one kind in one methodology.</summary>
    public const int DeclarationsMax = 64;

    /// <summary>Most test vectors in one methodology file.</summary>
    public const int TestVectorsMax = 256;

    /// <summary>Largest methodology file, in characters.</summary>
    public const int FileLengthMax = 256 * 1024;
}
