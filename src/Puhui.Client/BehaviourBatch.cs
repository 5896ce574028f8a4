namespace Puhui.Client;

/// <summary>
/// The body of <c>POST /api/v1/behaviours:batch</c>: 1 to <see cref="WireLimits.BatchRecordsMax"/> records. The
/// server refuses a malformed batch whole; a problem with one record is reported in that record's outcome.
/// </summary>
public sealed record BehaviourBatch
{
    /// <summary>The records, in the order their outcomes come back.</summary>
    public required IReadOnlyList<BehaviourRecord> Records { get; init; }
}
