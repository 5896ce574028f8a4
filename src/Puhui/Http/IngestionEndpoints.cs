using Microsoft.AspNetCore.Mvc;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using Puhui.Client;
using Puhui.Ingestion;
using Puhui.Ledger;
using Puhui.Storage.Access;
using Puhui.Storage.Ingestion;

namespace Puhui.Host.Http;

/// <summary>
/// The operators' signed API: behaviour batches (DESIGN §6) and user bindings. The wire types and the signature
/// scheme are the SDK's (<see cref="PuhuiJsonContext"/>, <see cref="RequestSigner"/>), so both ends share one definition.
/// </summary>
public static class IngestionEndpoints
{
    public static RouteGroupBuilder MapIngestion(this RouteGroupBuilder api)
    {
        var group = api.MapGroup("").WithTags("Ingestion").RequireRateLimiting(RateLimits.Operators);
        group.MapPost("/behaviours:batch", PostBatch).WithName("PostBehaviourBatch")
            .Accepts<BehaviourBatch>("application/json").Produces<BatchResponse>().ProducesProblem(StatusCodes.Status400BadRequest);
        group.MapPost("/bindings", PostBinding).WithName("PostBinding")
            .Accepts<BindingRequest>("application/json").Produces<BindingResponse>().ProducesProblem(StatusCodes.Status422UnprocessableEntity);
        return group;
    }

    private static async Task<IResult> PostBatch(HttpContext http, ApiKeys keys, BehaviourIngestion ingestion, TimeProvider time, CancellationToken ct)
    {
        var (key, body, problem) = await SignedRequests.VerifyAsync(http, keys, time, OrganisationRoles.Operator, ct);
        if (problem is not null) return problem;
        var (batch, malformed) = Read(body, PuhuiJsonContext.Default.BehaviourBatch);
        if (malformed is not null) return malformed;
        if (batch?.Records is not { Count: > 0 } records) return Problems.Of("batch-malformed", "a batch has at least one record");
        if (records.Count > WireLimits.BatchRecordsMax) return Problems.Of("batch-too-large", $"a batch holds at most {WireLimits.BatchRecordsMax} records");
        var incoming = new IncomingRecord[records.Count];
        for (var i = 0; i < records.Count; i++)
        {
            if (records[i] is not { } r) return Problems.Of("batch-malformed", $"record {i} is null");
            incoming[i] = new IncomingRecord(r.Scenario, r.ExternalId, r.UserRef, r.OccurredAt, r.Inputs, r.Attributes, r.Evidence);
        }

        var result = await ingestion.SubmitAsync(key!.Operator, key.KeyId, incoming, ct);
        if (result.Refusal == BatchRefusal.ScenarioForbidden) return Problems.Of("scenario-forbidden", result.Detail);
        var outcomes = new RecordOutcome[incoming.Length];
        int accepted = 0, duplicates = 0, rejected = 0;
        for (var i = 0; i < outcomes.Length; i++)
        {
            var r = result.Records[i];
            outcomes[i] = ToWire(incoming[i].Scenario, incoming[i].ExternalId, r);
            switch (r.Status)
            {
                case RecordStatus.Accepted: accepted++; break;
                case RecordStatus.Duplicate: duplicates++; break;
                case RecordStatus.Rejected: rejected++; break;
            }
        }

        return TypedResults.Json(new BatchResponse { Results = outcomes, Accepted = accepted, Duplicates = duplicates, Rejected = rejected }, PuhuiJsonContext.Default.BatchResponse);
    }

    /// <summary>The body as the wire contract's type, or the problem when it is not (a missing field is malformed, not a default).</summary>
    private static (T? Value, IResult? Problem) Read<T>(byte[] body, JsonTypeInfo<T> type)
    {
        try
        {
            return (JsonSerializer.Deserialize(body, type), null);
        }
        catch (JsonException e)
        {
            return (default, Problems.Of("batch-malformed", e.Message));
        }
    }

    private static RecordOutcome ToWire(string scenario, string externalId, RecordResult r) => r.Status switch
    {
        RecordStatus.Accepted => new RecordOutcome { Scenario = scenario, ExternalId = externalId, Outcome = Outcomes.Accepted, Grams = r.Grams, Points = r.Points, AcceptedAt = r.AcceptedAt },
        RecordStatus.Duplicate => new RecordOutcome { Scenario = scenario, ExternalId = externalId, Outcome = Outcomes.Duplicate, Original = ToWire(scenario, externalId, r.Original!) },
        _ => new RecordOutcome { Scenario = scenario, ExternalId = externalId, Outcome = Outcomes.Rejected, Reason = r.Reason!.Value.Code(), Detail = r.Detail },
    };

    private static async Task<IResult> PostBinding(HttpContext http, ApiKeys keys, [FromServices] Bindings bindings, TimeProvider time, CancellationToken ct)
    {
        var (key, body, problem) = await SignedRequests.VerifyAsync(http, keys, time, OrganisationRoles.Operator, ct);
        if (problem is not null) return problem;
        var (request, malformed) = Read(body, PuhuiJsonContext.Default.BindingRequest);
        if (malformed is not null) return malformed;
        if (request is null) return Problems.Of("batch-malformed", "send {\"code\": …, \"userRef\": …}");
        if (string.IsNullOrWhiteSpace(request.UserRef) || request.UserRef.Length > WireLimits.UserRefLengthMax)
            return Problems.Of("invalid-argument", $"userRef must be 1–{WireLimits.UserRefLengthMax} characters");
        var result = await bindings.BindAsync(key!.Operator, request.Code ?? "", request.UserRef, ct);
        return result.Outcome switch
        {
            BindOutcome.Bound or BindOutcome.AlreadyBound => TypedResults.Json(new BindingResponse { UserRef = result.UserRef, BoundAt = result.BoundAt!.Value }, PuhuiJsonContext.Default.BindingResponse),
            BindOutcome.CodeInvalid => Problems.Of("binding-code-invalid", "the code is unknown, used, expired or was issued for another operator"),
            BindOutcome.UserRefTaken => Problems.Of("user-ref-taken", null),
            BindOutcome.AccountAlreadyBound => Problems.Of("account-already-bound", null),
        };
    }
}
