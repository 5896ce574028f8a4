using System.Text.Json;
using Puhui.Client;

namespace Puhui.Tests.Client;

public class WireContractTests
{
    private static readonly BehaviourRecord Trip = new()
    {
        Scenario = "metro",
        ExternalId = "trip-20260101-0001",
        UserRef = "card-8812",
        OccurredAt = new DateTimeOffset(2026, 1, 1, 8, 42, 0, TimeSpan.FromHours(8)),
        Inputs = new Dictionary<string, decimal> { ["distance_km"] = 12.4m },
    };

    [Fact]
    public void Records_are_camel_case_with_keys_as_given_and_nulls_left_out()
    {
        var json = JsonSerializer.Serialize(new BehaviourBatch { Records = [Trip] }, PuhuiJsonContext.Default.BehaviourBatch);

        // The same bytes as the worked example in docs/ingestion-api.md.
        Assert.Equal(
            """{"records":[{"scenario":"metro","externalId":"trip-20260101-0001","userRef":"card-8812","occurredAt":"2026-01-01T08:42:00+08:00","inputs":{"distance_km":12.4}}]}""",
            json);
    }

    [Fact]
    public void Optional_facts_are_written_when_present()
    {
        var record = Trip with
        {
            Attributes = new Dictionary<string, string> { ["line"] = "S1", ["entryStation"] = "Nanjing South" },
            Evidence = RequestSigner.BodyHash("receipt"u8),
        };
        var json = JsonSerializer.Serialize(new BehaviourBatch { Records = [record] }, PuhuiJsonContext.Default.BehaviourBatch);

        Assert.Contains("\"attributes\":{\"line\":\"S1\",\"entryStation\":\"Nanjing South\"}", json, StringComparison.Ordinal);
        Assert.Contains("\"evidence\":\"" + record.Evidence + "\"", json, StringComparison.Ordinal);
    }

    [Fact]
    public void A_duplicate_carries_its_original_outcome()
    {
        var json = """
            {"results":[{"scenario":"metro","externalId":"t-1","outcome":"duplicate",
              "original":{"scenario":"metro","externalId":"t-1","outcome":"accepted","grams":620,"points":62,
                          "acceptedAt":"2026-01-01T00:43:01+00:00"}}],
             "accepted":0,"duplicates":1,"rejected":0}
            """;
        var response = JsonSerializer.Deserialize(json, PuhuiJsonContext.Default.BatchResponse)!;

        var result = Assert.Single(response.Results);
        Assert.Equal(Outcomes.Duplicate, result.Outcome);
        Assert.Null(result.Grams);
        Assert.Equal(Outcomes.Accepted, result.Original!.Outcome);
        Assert.Equal(620, result.Original.Grams);
        Assert.Equal(62, result.Original.Points);
        Assert.Equal(new DateTimeOffset(2026, 1, 1, 0, 43, 1, TimeSpan.Zero), result.Original.AcceptedAt);

        var written = JsonSerializer.Serialize(response, PuhuiJsonContext.Default.BatchResponse);
        Assert.DoesNotContain("null", written, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("""{"records":[{"scenario":"metro","externalId":"t-1","occurredAt":"2026-01-01T08:42:00+08:00","inputs":{}}]}""")]
    [InlineData("""{"records":[{"scenario":null,"externalId":"t-1","userRef":"u","occurredAt":"2026-01-01T08:42:00+08:00","inputs":{}}]}""")]
    [InlineData("""{"records":[{"scenario":"metro","externalId":"t-1","userRef":"u","occurredAt":"2026-01-01T08:42:00+08:00"}]}""")]
    [InlineData("""{"records":[{"scenario":"metro","externalId":"t-1","userRef":"u","occurredAt":"2026-01-01T08:42:00+08:00","inputs":{"distance_km":"12.4"}}]}""")]
    [InlineData("""{"records":[{"scenario":"metro","externalId":"t-1","userRef":"u","occurredAt":"yesterday","inputs":{}}]}""")]
    [InlineData("""{}""")]
    [InlineData("""{"records":null}""")]
    public void Reading_a_batch_refuses_missing_or_null_required_fields(string json)
    {
        Assert.ThrowsAny<JsonException>(() => JsonSerializer.Deserialize(json, PuhuiJsonContext.Default.BehaviourBatch));
    }

    [Fact]
    public void Problem_details_read_the_stable_code_and_ignore_extensions()
    {
        var json = """
            {"type":"urn:puhui:problem:signature-invalid","title":"Signature invalid","status":401,
             "detail":"the signature does not verify","code":"signature-invalid","traceId":"00-abc-def-01"}
            """;
        var problem = JsonSerializer.Deserialize(json, PuhuiJsonContext.Default.Problem)!;

        Assert.Equal(ProblemCodes.SignatureInvalid, problem.Code);
        Assert.Equal(401, problem.Status);
        Assert.Equal("the signature does not verify", problem.Detail);
    }

    [Fact]
    public void Every_rejection_reason_is_listed_once()
    {
        Assert.Equal(10, RejectionReasons.All.Distinct(StringComparer.Ordinal).Count());
        Assert.Contains(RejectionReasons.DuplicateElsewhere, RejectionReasons.All);
    }

    [Theory]
    [InlineData("2026-11-02T08:30:00", false)]
    [InlineData("2026-11-02 08:30", false)]
    [InlineData("1730000000", false)]
    [InlineData("2026-11-02T08:30:00+08:00", true)]
    [InlineData("2026-11-02T00:30:00.123Z", true)]
    public void An_occurrence_time_must_carry_its_offset(string occurredAt, bool readable)
    {
        var json = "{\"records\":[{\"scenario\":\"s\",\"externalId\":\"e\",\"userRef\":\"u\",\"occurredAt\":\"" + occurredAt + "\",\"inputs\":{}}]}";
        if (readable) Assert.Single(JsonSerializer.Deserialize(json, PuhuiJsonContext.Default.BehaviourBatch)!.Records);
        else Assert.ThrowsAny<JsonException>(() => JsonSerializer.Deserialize(json, PuhuiJsonContext.Default.BehaviourBatch));
    }
}
