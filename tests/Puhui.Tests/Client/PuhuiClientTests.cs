using System.Diagnostics;
using System.Net;
using System.Text;
using Microsoft.AspNetCore.Http;
using Puhui.Client;

namespace Puhui.Tests.Client;

/// <summary>The client against a real HTTP server that verifies every signature.</summary>
public class PuhuiClientTests
{
    private static readonly DateTimeOffset Simulated = new(2027, 3, 1, 8, 0, 0, TimeSpan.FromHours(8));

    private static BehaviourRecord Trip(int i, string userRef = "card-1") => new()
    {
        Scenario = "metro",
        ExternalId = $"trip-{i:D6}",
        UserRef = userRef,
        OccurredAt = Simulated.AddMinutes(-i % 600),
        Inputs = new Dictionary<string, decimal> { ["distance_km"] = 1m + i % 40 },
    };

    private static BehaviourRecord[] Trips(int count) => [.. Enumerable.Range(0, count).Select(i => Trip(i))];

    private static void AssertInInputOrder(IReadOnlyList<BehaviourRecord> records, IReadOnlyList<RecordOutcome> outcomes)
    {
        Assert.Equal(records.Count, outcomes.Count);
        for (var i = 0; i < records.Count; i++)
            Assert.Equal((records[i].Scenario, records[i].ExternalId), (outcomes[i].Scenario, outcomes[i].ExternalId));
    }

    [Fact]
    public async Task Submit_signs_with_the_configured_clock_and_surfaces_each_outcome()
    {
        await using var server = await IngestionTestServer.StartAsync(new FixedClock(Simulated));
        using var http = server.CreateHttpClient();
        var client = server.CreateClient(http);
        BehaviourRecord[] records = [Trip(1), Trip(2, userRef: "unbound-7"), Trip(3)];

        var result = await client.SubmitAsync(records);

        Assert.Equal((2, 0, 1, 1), (result.Accepted, result.Duplicates, result.Rejected, result.Attempts));
        Assert.Equal(new Dictionary<string, int> { [RejectionReasons.UnknownUser] = 1 }, result.RejectedBy);
        AssertInInputOrder(records, result.Outcomes);
        Assert.Equal(Outcomes.Accepted, result.Outcomes[0].Outcome);
        Assert.Equal(100, result.Outcomes[0].Grams);
        Assert.Equal(10, result.Outcomes[0].Points);
        Assert.Equal(RejectionReasons.UnknownUser, result.Outcomes[1].Reason);

        var request = Assert.Single(server.Requests);
        Assert.Equal(("POST", PuhuiClient.BatchPath), (request.Method, request.RawTarget));
        Assert.Equal(RequestSigner.FormatTimestamp(Simulated), request.Timestamp);
        Assert.Equal(IngestionTestServer.KeyId, request.Headers[SignatureHeaders.KeyId]);
        Assert.Equal(RequestSigner.BodyHash(request.Body), request.Headers[SignatureHeaders.ContentSha256]);
        Assert.Equal(22, request.Nonce.Length);
        Assert.Equal(64, request.Signature.Length);
    }

    [Fact]
    public async Task A_replayed_submission_comes_back_as_duplicates_of_the_original_outcomes()
    {
        await using var server = await IngestionTestServer.StartAsync();
        using var http = server.CreateHttpClient();
        var client = server.CreateClient(http);
        var records = Trips(5);

        var first = await client.SubmitAsync(records);
        var again = await client.SubmitAsync(records);

        Assert.Equal(5, first.Accepted);
        Assert.Equal((0, 5, 0), (again.Accepted, again.Duplicates, again.Rejected));
        for (var i = 0; i < records.Length; i++)
            Assert.Equal(first.Outcomes[i], again.Outcomes[i].Original);
    }

    [Fact]
    public async Task Retries_resend_identical_records_with_fresh_nonces()
    {
        await using var server = await IngestionTestServer.StartAsync();
        using var http = server.CreateHttpClient();
        var client = server.CreateClient(http);
        server.EnqueueStatus(HttpStatusCode.ServiceUnavailable);

        var result = await client.SubmitAsync(Trips(50));

        Assert.Equal(2, result.Attempts);
        Assert.Equal(50, result.Accepted);
        var requests = server.Requests.ToArray();
        Assert.Equal(2, requests.Length);
        Assert.Equal(requests[0].Body, requests[1].Body);
        Assert.NotEqual(requests[0].Nonce, requests[1].Nonce);
        Assert.NotEqual(requests[0].Signature, requests[1].Signature);
    }

    [Theory]
    [InlineData(HttpStatusCode.RequestTimeout)]
    [InlineData(HttpStatusCode.TooManyRequests)]
    [InlineData(HttpStatusCode.InternalServerError)]
    [InlineData(HttpStatusCode.BadGateway)]
    [InlineData(HttpStatusCode.ServiceUnavailable)]
    [InlineData(HttpStatusCode.GatewayTimeout)]
    public async Task Not_now_statuses_are_retried(HttpStatusCode status)
    {
        await using var server = await IngestionTestServer.StartAsync();
        using var http = server.CreateHttpClient();
        var client = server.CreateClient(http);
        server.EnqueueStatus(status, times: 2);

        var result = await client.SubmitAsync(Trips(3));

        Assert.Equal((3, 3), (result.Attempts, result.Accepted));
    }

    [Fact]
    public async Task A_dropped_connection_is_retried()
    {
        await using var server = await IngestionTestServer.StartAsync();
        using var http = server.CreateHttpClient();
        var client = server.CreateClient(http);
        server.Enqueue(ctx =>
        {
            ctx.Abort();
            return Task.CompletedTask;
        });

        var result = await client.SubmitAsync(Trips(3));

        Assert.Equal((2, 3), (result.Attempts, result.Accepted));
    }

    [Fact]
    public async Task An_http_client_timeout_is_retried()
    {
        await using var server = await IngestionTestServer.StartAsync();
        using var http = server.CreateHttpClient();
        http.Timeout = TimeSpan.FromMilliseconds(500);
        var client = server.CreateClient(http);
        server.Enqueue(ctx => Task.Delay(TimeSpan.FromSeconds(10), ctx.RequestAborted));

        var result = await client.SubmitAsync(Trips(3));

        // On a slow machine a later attempt may time out too, after the server counted the records: then they
        // come back as duplicates, which is the point of resending the same keys.
        Assert.InRange(result.Attempts, 2, 6);
        Assert.Equal(3, result.Accepted + result.Duplicates);
    }

    [Fact]
    public async Task The_callers_cancellation_is_not_retried()
    {
        await using var server = await IngestionTestServer.StartAsync();
        using var http = server.CreateHttpClient();
        var client = server.CreateClient(http);
        server.Enqueue(ctx => Task.Delay(TimeSpan.FromSeconds(5), ctx.RequestAborted));
        using var cts = new CancellationTokenSource(TimeSpan.FromMilliseconds(200));

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => client.SubmitAsync(Trips(3), cts.Token));

        Assert.Single(server.Requests);
    }

    [Fact]
    public async Task Retry_after_on_429_is_honoured()
    {
        await using var server = await IngestionTestServer.StartAsync();
        using var http = server.CreateHttpClient();
        var client = server.CreateClient(http, new PuhuiClientOptions
        {
            InitialBackoff = TimeSpan.FromMilliseconds(1), MaxBackoff = TimeSpan.FromSeconds(5),
        });
        server.Enqueue(ctx =>
        {
            ctx.Response.Headers.RetryAfter = "1";
            return IngestionTestServer.WriteProblemAsync(ctx, HttpStatusCode.TooManyRequests, "rate_limited", "slow down");
        });

        var clock = Stopwatch.StartNew();
        var result = await client.SubmitAsync(Trips(3));

        Assert.Equal(2, result.Attempts);
        Assert.True(clock.Elapsed >= TimeSpan.FromMilliseconds(950), $"retried after {clock.Elapsed}");
    }

    [Fact]
    public async Task Retry_after_is_capped_by_the_longest_backoff()
    {
        await using var server = await IngestionTestServer.StartAsync();
        using var http = server.CreateHttpClient();
        var client = server.CreateClient(http);
        server.Enqueue(ctx =>
        {
            ctx.Response.Headers.RetryAfter = "3600";
            return IngestionTestServer.WriteProblemAsync(ctx, HttpStatusCode.ServiceUnavailable, "maintenance", "back soon");
        });

        var clock = Stopwatch.StartNew();
        var result = await client.SubmitAsync(Trips(3));

        Assert.Equal(2, result.Attempts);
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(5), $"retried after {clock.Elapsed}");
    }

    [Fact]
    public async Task A_refusal_is_not_retried_and_carries_the_problem()
    {
        await using var server = await IngestionTestServer.StartAsync();
        using var http = server.CreateHttpClient();
        var client = server.CreateClient(http);
        server.Enqueue(ctx => IngestionTestServer.WriteProblemAsync(
            ctx, HttpStatusCode.Forbidden, ProblemCodes.ScenarioForbidden, "scenario 'metro' is not yours"));

        var e = await Assert.ThrowsAsync<PuhuiApiException>(() => client.SubmitAsync(Trips(3)));

        Assert.Equal(HttpStatusCode.Forbidden, e.StatusCode);
        Assert.Equal(ProblemCodes.ScenarioForbidden, e.Code);
        Assert.Equal(1, e.Attempts);
        Assert.Contains(ProblemCodes.ScenarioForbidden, e.Message, StringComparison.Ordinal);
        Assert.Contains("scenario 'metro' is not yours", e.Message, StringComparison.Ordinal);
        Assert.Single(server.Requests);
    }

    [Fact]
    public async Task A_malformed_batch_refusal_is_reported_whole()
    {
        await using var server = await IngestionTestServer.StartAsync();
        using var http = server.CreateHttpClient();
        var client = server.CreateClient(http);

        using var response = await client.SendSignedAsync(HttpMethod.Post, PuhuiClient.BatchPath, "{\"records\":[{}]}"u8.ToArray());

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains(ProblemCodes.BatchMalformed, await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_client_gives_up_after_max_attempts_and_says_how_many()
    {
        await using var server = await IngestionTestServer.StartAsync();
        using var http = server.CreateHttpClient();
        var client = server.CreateClient(http, server.Fast(maxAttempts: 3));
        server.EnqueueStatus(HttpStatusCode.ServiceUnavailable, times: 10);

        var e = await Assert.ThrowsAsync<PuhuiApiException>(() => client.SendBatchAsync(Trips(3)));

        Assert.Equal(3, e.Attempts);
        Assert.Equal(HttpStatusCode.ServiceUnavailable, e.StatusCode);
        Assert.Contains("3 attempts", e.Message, StringComparison.Ordinal);
        Assert.Equal(3, server.Requests.Count);
    }

    [Fact]
    public async Task Large_submissions_are_split_into_batches_and_outcomes_keep_input_order()
    {
        await using var server = await IngestionTestServer.StartAsync();
        using var http = server.CreateHttpClient();
        var client = server.CreateClient(http);
        var records = Trips(2500).ToList();

        var result = await client.SubmitAsync(records);

        Assert.Equal([1000, 1000, 500], server.Requests.Select(r => r.Batch.Records.Count));
        Assert.Equal((3, 2500), (result.Attempts, result.Accepted));
        AssertInInputOrder(records, result.Outcomes);
    }

    [Fact]
    public async Task Concurrent_batches_are_in_flight_together_and_outcomes_keep_input_order()
    {
        const int concurrency = 3;
        await using var server = await IngestionTestServer.StartAsync();
        using var http = server.CreateHttpClient();
        var client = server.CreateClient(http, server.Fast(batchSize: 100, maxConcurrentBatches: concurrency));
        var inFlight = 0;
        var inFlightMax = 0;
        var allIn = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        server.OnBatch = async request =>
        {
            var now = Interlocked.Increment(ref inFlight);
            InterlockedMax(ref inFlightMax, now);
            if (now == concurrency)
                allIn.TrySetResult();
            await Task.WhenAny(allIn.Task, Task.Delay(TimeSpan.FromSeconds(2)));
            // Answer the earlier batches of each wave last, so responses arrive out of order.
            var index = int.Parse(request.Batch.Records[0].ExternalId[5..], System.Globalization.CultureInfo.InvariantCulture) / 100;
            await Task.Delay(TimeSpan.FromMilliseconds(20 * (concurrency - index % concurrency)));
            Interlocked.Decrement(ref inFlight);
        };
        var records = Trips(900);

        var result = await client.SubmitAsync(records);

        Assert.Equal(concurrency, inFlightMax);
        Assert.Equal((9, 900), (result.Attempts, result.Accepted));
        AssertInInputOrder(records, result.Outcomes);
    }

    [Fact]
    public async Task A_refused_batch_among_concurrent_ones_surfaces_the_refusal()
    {
        await using var server = await IngestionTestServer.StartAsync();
        using var http = server.CreateHttpClient();
        var client = server.CreateClient(http, server.Fast(batchSize: 100, maxConcurrentBatches: 3));
        server.Enqueue(ctx => IngestionTestServer.WriteProblemAsync(
            ctx, HttpStatusCode.Forbidden, ProblemCodes.ScenarioForbidden, "not yours"));

        var e = await Assert.ThrowsAsync<PuhuiApiException>(() => client.SubmitAsync(Trips(900)));

        Assert.Equal(ProblemCodes.ScenarioForbidden, e.Code);
    }

    private static void InterlockedMax(ref int target, int value)
    {
        var seen = Volatile.Read(ref target);
        while (value > seen)
        {
            var previous = Interlocked.CompareExchange(ref target, value, seen);
            if (previous == seen)
                return;
            seen = previous;
        }
    }

    public static TheoryData<string> Tampering => ["swap", "drop", "extra", "rename", "tally", "unknown outcome"];

    [Theory, MemberData(nameof(Tampering))]
    public async Task A_response_that_does_not_answer_the_batch_is_refused_as_malformed(string tampering)
    {
        await using var server = await IngestionTestServer.StartAsync();
        using var http = server.CreateHttpClient();
        var client = server.CreateClient(http);
        server.Tamper = response => tampering switch
        {
            "swap" => response with { Results = [response.Results[1], response.Results[0], .. response.Results.Skip(2)] },
            "drop" => response with { Results = [.. response.Results.SkipLast(1)] },
            "extra" => response with { Results = [.. response.Results, response.Results[0]] },
            "rename" => response with { Results = [response.Results[0] with { ExternalId = "other" }, .. response.Results.Skip(1)] },
            "tally" => response with { Accepted = response.Accepted + 1 },
            "unknown outcome" => response with { Results = [response.Results[0] with { Outcome = "maybe" }, .. response.Results.Skip(1)] },
            _ => throw new ArgumentOutOfRangeException(nameof(tampering)),
        };

        var e = await Assert.ThrowsAsync<PuhuiApiException>(() => client.SendBatchAsync(Trips(3)));

        Assert.Contains("malformed response", e.Message, StringComparison.Ordinal);
        Assert.Equal(1, e.Attempts);
        Assert.Single(server.Requests);
    }

    [Fact]
    public async Task A_response_that_is_not_json_is_refused_as_malformed()
    {
        await using var server = await IngestionTestServer.StartAsync();
        using var http = server.CreateHttpClient();
        var client = server.CreateClient(http);
        server.Enqueue(ctx => ctx.Response.WriteAsync("{\"results\":"));

        var e = await Assert.ThrowsAsync<PuhuiApiException>(() => client.SendBatchAsync(Trips(3)));

        Assert.Contains("malformed response", e.Message, StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.OK, e.StatusCode);
    }

    [Fact]
    public async Task A_single_batch_may_hold_exactly_the_wire_limit()
    {
        await using var server = await IngestionTestServer.StartAsync();
        using var http = server.CreateHttpClient();
        var client = server.CreateClient(http, server.Fast(batchSize: 10));

        await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => client.SendBatchAsync(Trips(WireLimits.BatchRecordsMax + 1)));
        await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => client.SendBatchAsync([]));
        Assert.Empty(server.Requests);

        var response = await client.SendBatchAsync(Trips(WireLimits.BatchRecordsMax));

        Assert.Equal(WireLimits.BatchRecordsMax, response.Accepted);
        Assert.Single(server.Requests);
    }

    [Fact]
    public async Task An_empty_submission_sends_nothing()
    {
        await using var server = await IngestionTestServer.StartAsync();
        using var http = server.CreateHttpClient();

        var result = await server.CreateClient(http).SubmitAsync([]);

        Assert.Equal((0, 0), (result.Outcomes.Count, result.Attempts));
        Assert.Empty(server.Requests);
    }

    [Fact]
    public async Task Binding_posts_a_signed_request_and_surfaces_refusals()
    {
        await using var server = await IngestionTestServer.StartAsync(new FixedClock(Simulated));
        using var http = server.CreateHttpClient();
        var client = server.CreateClient(http);

        var bound = await client.BindAsync(IngestionTestServer.GoodBindingCode, "card-8812");
        var e = await Assert.ThrowsAsync<PuhuiApiException>(() => client.BindAsync("BIND-USED", "card-8813"));

        Assert.Equal(("card-8812", Simulated), (bound.UserRef, bound.BoundAt));
        Assert.Equal((HttpStatusCode.BadRequest, ProblemCodes.BindingCodeInvalid, 1), (e.StatusCode, e.Code, e.Attempts));
        Assert.All(server.Requests, r => Assert.Equal(PuhuiClient.BindingsPath, r.RawTarget));
        Assert.Equal(
            """{"code":"BIND-7Q2K","userRef":"card-8812"}""",
            Encoding.UTF8.GetString(server.Requests.First().Body));
        await Assert.ThrowsAsync<ArgumentOutOfRangeException>(
            () => client.BindAsync("BIND-7Q2K", new string('u', WireLimits.UserRefLengthMax + 1)));
    }

    public static TheoryData<string, SigningOverrides, HttpStatusCode, string> Mistakes => new()
    {
        { "stale", new SigningOverrides { Timestamp = RequestSigner.FormatTimestamp(Simulated - WireLimits.ReplayWindow - TimeSpan.FromSeconds(1)) }, HttpStatusCode.Unauthorized, ProblemCodes.TimestampStale },
        { "future", new SigningOverrides { Timestamp = RequestSigner.FormatTimestamp(Simulated + WireLimits.ReplayWindow + TimeSpan.FromSeconds(1)) }, HttpStatusCode.Unauthorized, ProblemCodes.TimestampStale },
        { "wrong secret", new SigningOverrides { Secret = "sk_test_wrong" }, HttpStatusCode.Unauthorized, ProblemCodes.SignatureInvalid },
        { "wrong signature", new SigningOverrides { Signature = new string('0', 64) }, HttpStatusCode.Unauthorized, ProblemCodes.SignatureInvalid },
        { "unknown key", new SigningOverrides { KeyId = "pk_test_other" }, HttpStatusCode.Unauthorized, ProblemCodes.KeyUnknown },
        { "body hash", new SigningOverrides { BodyHash = RequestSigner.BodyHash("{}"u8) }, HttpStatusCode.BadRequest, ProblemCodes.BodyHashMismatch },
        { "short nonce", new SigningOverrides { Nonce = "abc" }, HttpStatusCode.Unauthorized, ProblemCodes.NonceReused },
        { "unsigned", new SigningOverrides { OmitHeaders = [SignatureHeaders.Signature] }, HttpStatusCode.Unauthorized, ProblemCodes.SignatureMissing },
    };

    [Theory, MemberData(nameof(Mistakes))]
    public async Task Signing_overrides_send_the_mistake_they_name(string mistake, SigningOverrides overrides, HttpStatusCode status, string code)
    {
        await using var server = await IngestionTestServer.StartAsync(new FixedClock(Simulated));
        using var http = server.CreateHttpClient();
        var client = server.CreateClient(http);
        var body = "{\"records\":[]}"u8.ToArray();

        using var correct = await client.SendSignedAsync(HttpMethod.Post, "/api/v1/echo", body);
        using var wrong = await client.SendSignedAsync(HttpMethod.Post, "/api/v1/echo", body, overrides);

        Assert.Equal(HttpStatusCode.NotFound, correct.StatusCode);
        Assert.Equal(status, wrong.StatusCode);
        Assert.Contains($"\"code\":\"{code}\"", await wrong.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.NotNull(mistake);
    }

    [Fact]
    public async Task A_reused_nonce_is_refused()
    {
        await using var server = await IngestionTestServer.StartAsync();
        using var http = server.CreateHttpClient();
        var client = server.CreateClient(http);
        var overrides = new SigningOverrides { Nonce = RequestSigner.NewNonce() };

        using var first = await client.SendSignedAsync(HttpMethod.Post, PuhuiClient.BindingsPath,
            """{"code":"BIND-7Q2K","userRef":"card-1"}"""u8.ToArray(), overrides);
        using var replay = await client.SendSignedAsync(HttpMethod.Post, PuhuiClient.BindingsPath,
            """{"code":"BIND-7Q2K","userRef":"card-1"}"""u8.ToArray(), overrides);

        Assert.Equal(HttpStatusCode.OK, first.StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, replay.StatusCode);
        Assert.Contains(ProblemCodes.NonceReused, await replay.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_signed_path_is_the_request_target_as_sent()
    {
        await using var server = await IngestionTestServer.StartAsync();
        using var http = server.CreateHttpClient();
        var client = server.CreateClient(http);

        using var response = await client.SendSignedAsync(HttpMethod.Post, "/api/v1/echo?scenario=metro&day=2026-01-01", []);

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.Equal("/api/v1/echo?scenario=metro&day=2026-01-01", Assert.Single(server.Requests).RawTarget);
    }
}
