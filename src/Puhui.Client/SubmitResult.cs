namespace Puhui.Client;

/// <summary>The outcome of <see cref="PuhuiClient.SubmitAsync"/>: every record's outcome, in input order, and tallies.</summary>
public sealed class SubmitResult
{
    /// <summary>Builds the result from outcomes in input order and the number of HTTP attempts made.</summary>
    public SubmitResult(IReadOnlyList<RecordOutcome> outcomes, int attempts)
    {
        ArgumentNullException.ThrowIfNull(outcomes);
        ArgumentOutOfRangeException.ThrowIfNegative(attempts);
        Outcomes = outcomes;
        Attempts = attempts;
        var rejectedBy = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var outcome in outcomes)
        {
            switch (outcome.Outcome)
            {
                case Client.Outcomes.Accepted:
                    Accepted++;
                    break;
                case Client.Outcomes.Duplicate:
                    Duplicates++;
                    break;
                case Client.Outcomes.Rejected:
                    Rejected++;
                    var reason = outcome.Reason ?? "";
                    rejectedBy[reason] = rejectedBy.GetValueOrDefault(reason) + 1;
                    break;
                default:
                    throw new ArgumentException($"Unknown outcome '{outcome.Outcome}'.", nameof(outcomes));
            }
        }
        RejectedBy = rejectedBy;
    }

    /// <summary>One outcome per submitted record, in the order the records were given.</summary>
    public IReadOnlyList<RecordOutcome> Outcomes { get; }

    /// <summary>How many outcomes are <see cref="Client.Outcomes.Accepted"/>.</summary>
    public int Accepted { get; }

    /// <summary>How many outcomes are <see cref="Client.Outcomes.Duplicate"/>.</summary>
    public int Duplicates { get; }

    /// <summary>How many outcomes are <see cref="Client.Outcomes.Rejected"/>.</summary>
    public int Rejected { get; }

    /// <summary>How many HTTP requests were sent, retries included (one per batch when nothing was retried).</summary>
    public int Attempts { get; }

    /// <summary>The rejected outcomes counted by <see cref="RecordOutcome.Reason"/>.</summary>
    public IReadOnlyDictionary<string, int> RejectedBy { get; }
}
