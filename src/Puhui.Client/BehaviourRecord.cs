using System.Text.Json.Serialization;
using Puhui.Client.Internal;

namespace Puhui.Client;

/// <summary>
/// One low-carbon behaviour an operator observed, as it travels on the wire. A record is identified by
/// (<see cref="Scenario"/>, <see cref="ExternalId"/>): the platform counts it at most once, and sending it again
/// returns <see cref="Outcomes.Duplicate"/> with the first outcome.
/// </summary>
public sealed record BehaviourRecord
{
    /// <summary>The code of the scenario the behaviour belongs to; the operator must run that scenario.</summary>
    public required string Scenario { get; init; }

    /// <summary>The operator's own id for the record, 1 to <see cref="WireLimits.ExternalIdLengthMax"/> characters.</summary>
    public required string ExternalId { get; init; }

    /// <summary>
    /// The operator's own reference for the person, 1 to <see cref="WireLimits.UserRefLengthMax"/> characters,
    /// bound once to a platform account by the person (see <see cref="PuhuiClient.BindAsync"/>).
    /// </summary>
    public required string UserRef { get; init; }

    /// <summary>When the behaviour happened (for a trip: when it ended).</summary>
    [JsonConverter(typeof(OffsetRequiredConverter))]
    public required DateTimeOffset OccurredAt { get; init; }

    /// <summary>
    /// Numeric inputs keyed by the names the scenario's methodology declares, each in the unit it declares
    /// (for example <c>distance_km</c>). Keys are sent exactly as given.
    /// </summary>
    public required IReadOnlyDictionary<string, decimal> Inputs { get; init; }

    /// <summary>
    /// Optional string facts (vehicle, stop, station...) the platform uses to find the same behaviour reported by
    /// another operator. Keys are sent exactly as given.
    /// </summary>
    public IReadOnlyDictionary<string, string>? Attributes { get; init; }

    /// <summary>Optional lowercase hex SHA-256 of evidence the operator keeps (a receipt, a photo).</summary>
    public string? Evidence { get; init; }
}
