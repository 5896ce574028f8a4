namespace Puhui.Client;

/// <summary>
/// The 200 response to a batch: one outcome per record, in the request's order, and their tallies. Every
/// outcome is durable when the response is sent.
/// </summary>
public sealed record BatchResponse
{
    /// <summary>One outcome per record of the request, in the same order.</summary>
    public required IReadOnlyList<RecordOutcome> Results { get; init; }

    /// <summary>How many results are <see cref="Outcomes.Accepted"/>.</summary>
    public required int Accepted { get; init; }

    /// <summary>How many results are <see cref="Outcomes.Duplicate"/>.</summary>
    public required int Duplicates { get; init; }

    /// <summary>How many results are <see cref="Outcomes.Rejected"/>.</summary>
    public required int Rejected { get; init; }
}
