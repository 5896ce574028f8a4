namespace Puhui.Client;

/// <summary>What the platform did with one record of a batch.</summary>
public sealed record RecordOutcome
{
    /// <summary>The record's scenario, echoed.</summary>
    public required string Scenario { get; init; }

    /// <summary>The record's external id, echoed.</summary>
    public required string ExternalId { get; init; }

    /// <summary>One of <see cref="Outcomes"/>.</summary>
    public required string Outcome { get; init; }

    /// <summary>The reduction credited, in grams of CO2e; set when <see cref="Outcomes.Accepted"/>.</summary>
    public long? Grams { get; init; }

    /// <summary>The carbon points issued; set when <see cref="Outcomes.Accepted"/>.</summary>
    public long? Points { get; init; }

    /// <summary>One of <see cref="RejectionReasons"/>; set when <see cref="Outcomes.Rejected"/>.</summary>
    public string? Reason { get; init; }

    /// <summary>Human-readable detail, for logs; never parse it.</summary>
    public string? Detail { get; init; }

    /// <summary>The first outcome of the record, itself <see cref="Outcomes.Accepted"/>; set when <see cref="Outcomes.Duplicate"/>.</summary>
    public RecordOutcome? Original { get; init; }

    /// <summary>When the platform accepted the record; set when <see cref="Outcomes.Accepted"/>.</summary>
    public DateTimeOffset? AcceptedAt { get; init; }
}
