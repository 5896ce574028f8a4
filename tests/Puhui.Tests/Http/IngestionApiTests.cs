using System.Net;
using System.Text;
using System.Text.Json;
using Puhui.Client;
using Puhui.Ledger;
using Puhui.Storage;
using static Puhui.Tests.Http.IngestionHttpWorld;

namespace Puhui.Tests.Http;

/// <summary>
/// The signed ingestion API and the people's views, over real HTTP on each store: every record outcome, every
/// refusal with its documented problem, and a ledger that a refused request leaves exactly as it was.
/// </summary>
public class IngestionApiTests
{
    public static TheoryData<StoreKind> Stores => TestStores.All;

    private static readonly TimeSpan Cst = TimeSpan.FromHours(8);

    [Theory, MemberData(nameof(Stores))]
    public async Task A_ride_sent_with_the_sdk_earns_points_the_person_can_see_and_have_explained(StoreKind kind)
    {
        await using var w = await CreateAsync(kind);
        var ride = T0.AddMinutes(30);

        var result = await w.Client().SubmitAsync([Metro("m-1", "alice", ride), Metro("m-2", "nobody", ride)]);
        var replay = await w.Client().SubmitAsync([Metro("m-1", "alice", ride)]);

        Assert.Equal((1, 0, 1), (result.Accepted, result.Duplicates, result.Rejected));
        Assert.Equal((574L, 57L), (result.Outcomes[0].Grams, result.Outcomes[0].Points));
        Assert.Equal(RejectionReasons.UnknownUser, result.Outcomes[1].Reason);
        Assert.Equal(Outcomes.Duplicate, replay.Outcomes[0].Outcome);
        Assert.Equal(574, replay.Outcomes[0].Original!.Grams);
        Assert.Equal(57, (await w.Store.GetBalancesAsync(new AccountId(w.Person))).Where(b => b.Asset == Asset.Pts).Sum(b => b.Amount));

        var records = await w.SendAsync(HttpMethod.Get, "/api/v1/me/records", w.PersonToken);
        var id = records.GetProperty("records")[0].GetProperty("id").GetInt64();
        var why = await w.SendAsync(HttpMethod.Get, $"/api/v1/me/records/{id}", w.PersonToken);
        Assert.Equal(574, why.GetProperty("computedGrams").GetInt64());
        Assert.Contains(why.GetProperty("factors").EnumerateArray(), f => f.GetProperty("name").GetString() == "reduction_factor");
        var stats = await w.SendAsync(HttpMethod.Get, "/api/v1/operator/statistics?from=2026-11-01&to=2026-11-30", w.OperatorToken);
        Assert.Equal(3, stats.GetProperty("rows").GetArrayLength());
    }

    // ---- record outcomes ------------------------------------------------------------------------------------

    [Theory, MemberData(nameof(Stores))]
    public async Task Every_rejection_reason_travels_on_the_wire_with_its_code_and_credits_nothing(StoreKind kind)
    {
        await using var w = await CreateAsync(kind);
        // A bus company's card readers and the metro's QR-code bus service see the same rides: one de-duplication group.
        var bus = await w.AddOperatorAsync("org:sz-bus", "深圳巴士");
        await w.RunScenarioAsync(bus, BusScenario("sz-bus-card", "Bus by card"));
        await w.RunScenarioAsync(w.MetroOperator, BusScenario("sz-bus-qr", "Bus by QR code"));
        await w.RunScenarioAsync(w.MetroOperator, new { code = "sz-metro-paused", titleZh = "地铁（整改中）", titleEn = "Metro, paused", methodologyId = "metro", methodologyVersion = "1.0.0" });
        await w.BindAsync(w.Alice, bus, "card-alice");
        foreach (var scenario in new[] { "sz-bus-card", "sz-bus-qr", "sz-metro-paused" }) await w.ConsentAsync(w.Alice, scenario);
        await w.DecideAsync("sz-metro-paused", "suspend");
        var bob = await w.AddPersonAsync("Bob");
        await w.BindAsync(bob, w.MetroOperator, "bob");
        var carol = await w.AddPersonAsync("Carol");
        await w.BindAsync(carol, w.MetroOperator, "carol");
        await w.ConsentAsync(carol, "sz-metro");
        w.Clock.Advance(TimeSpan.FromMinutes(30));
        var now = w.Clock.GetUtcNow();
        var ride = now.AddMinutes(-10);

        // Alice's bus ride is credited through her card, and her metro rides fill the day's 20,000 g.
        var card = await w.Client(bus.Key).SendBatchAsync([Bus("sz-bus-card", "card-1", "card-alice", ride)]);
        var capped = await w.Client().SendBatchAsync(
            [Metro("cap-1", "alice", ride, 150, 150), Metro("cap-2", "alice", ride, 150, 150), Metro("cap-3", "alice", ride, 150, 150)]);
        Assert.Equal(Outcomes.Accepted, card.Results[0].Outcome);
        Assert.Equal([7000L, 7000L, 6000L], capped.Results.Select(r => r.Grams!.Value));
        var before = await w.LedgerAsync();

        var response = await w.Client().SendBatchAsync(
        [
            Metro("r-no-consent", "bob", ride),
            Metro("r-paused", "alice", ride) with { Scenario = "sz-metro-paused" },
            Metro("r-unknown", "nobody", ride),
            Metro("r-far", "carol", ride, km: 200, minutes: 200),
            Metro("r-fast", "carol", ride, km: 40, minutes: 20),
            Metro("r-capped", "alice", ride, km: 10, minutes: 25),
            Bus("sz-bus-qr", "qr-1", "alice", ride.AddSeconds(90)),
            Metro("r-old", "carol", now.AddDays(-31)),
            Metro("r-future", "carol", now.AddMinutes(6)),
            Metro("r-missing-input", "carol", ride) with { Inputs = new Dictionary<string, decimal> { ["distance"] = 5 } },
            Metro(new string('x', WireLimits.ExternalIdLengthMax + 1), "carol", ride),
            Metro("r-bad-evidence", "carol", ride) with { Evidence = "not-a-sha-256" },
        ]);

        string[] expected =
        [
            RejectionReasons.NoConsent, RejectionReasons.ScenarioNotRunning, RejectionReasons.UnknownUser, RejectionReasons.OutOfBounds,
            RejectionReasons.Implausible, RejectionReasons.DailyCapReached, RejectionReasons.DuplicateElsewhere, RejectionReasons.TooOld,
            RejectionReasons.InFuture, RejectionReasons.Malformed, RejectionReasons.Malformed, RejectionReasons.Malformed,
        ];
        Assert.Equal(expected, response.Results.Select(r => r.Reason));
        Assert.Equal(RejectionReasons.All.Order(StringComparer.Ordinal), expected.Distinct().Order(StringComparer.Ordinal));
        Assert.Equal((0, 0, expected.Length), (response.Accepted, response.Duplicates, response.Rejected));
        Assert.All(response.Results, r =>
        {
            Assert.Equal(Outcomes.Rejected, r.Outcome);
            Assert.False(string.IsNullOrEmpty(r.Detail));
            Assert.Null(r.Grams);
            Assert.Null(r.Points);
            Assert.Null(r.Original);
        });
        await w.AssertLedgerUnchangedAsync(before, "a batch of rejected records");

        // A rejected record was not counted, so corrected it goes through under the same external id.
        var corrected = await w.Client().SendBatchAsync([Metro("r-far", "carol", ride, km: 10, minutes: 25)]);
        Assert.Equal((Outcomes.Accepted, 467L), (corrected.Results[0].Outcome, corrected.Results[0].Grams!.Value));
        Assert.Equal(467, await w.BalanceAsync(carol, Asset.Co2));
        Assert.Equal(0, await w.BalanceAsync(bob, Asset.Pts));
        Assert.Equal(700 + 700 + 600 + 5, await w.BalanceAsync(w.Alice, Asset.Pts));
        await w.AssertAuditsPassAsync();
    }

    [Theory, MemberData(nameof(Stores))]
    public async Task A_resent_record_returns_its_first_outcome_and_a_record_repeated_in_one_batch_counts_once(StoreKind kind)
    {
        await using var w = await CreateAsync(kind);
        var ride = T0.AddMinutes(30);
        // A clock reading finer than the store's microseconds: the replay must still report the instant first answered.
        w.Clock.Advance(TimeSpan.FromTicks(1_234_567));
        var first = (await w.Client().SendBatchAsync([Metro("m-1", "alice", ride)])).Results[0];
        Assert.Equal((Outcomes.Accepted, 574L, 57L), (first.Outcome, first.Grams!.Value, first.Points!.Value));
        Assert.InRange(w.Clock.GetUtcNow() - first.AcceptedAt!.Value, TimeSpan.Zero, TimeSpan.FromTicks(9));
        w.Clock.Advance(TimeSpan.FromMinutes(1));
        var before = await w.LedgerAsync();

        // Resent with a new signature and nonce, and once more with different inputs under the same key.
        var again = await w.Client().SendBatchAsync([Metro("m-1", "alice", ride)]);
        var altered = await w.Client().SendBatchAsync([Metro("m-1", "alice", ride.AddMinutes(5), km: 30, minutes: 40)]);

        foreach (var replay in new[] { again, altered })
        {
            Assert.Equal((0, 1, 0), (replay.Accepted, replay.Duplicates, replay.Rejected));
            var duplicate = replay.Results[0];
            Assert.Equal((Outcomes.Duplicate, "sz-metro", "m-1"), (duplicate.Outcome, duplicate.Scenario, duplicate.ExternalId));
            Assert.Null(duplicate.Grams);
            Assert.Null(duplicate.AcceptedAt);
            var original = duplicate.Original!;
            Assert.Equal(Outcomes.Accepted, original.Outcome);
            Assert.Equal((first.Grams, first.Points, first.AcceptedAt), (original.Grams, original.Points, original.AcceptedAt));
        }
        await w.AssertLedgerUnchangedAsync(before, "a resent record");

        var batch = await w.Client().SendBatchAsync(
        [
            Metro("m-2", "alice", ride.AddHours(1)),
            Metro("m-2", "alice", ride.AddHours(1)),
            Metro("m-3", "alice", ride.AddHours(2)),
            Metro("m-4", "nobody", ride),
            Metro("m-4", "nobody", ride),
        ]);

        Assert.Equal([Outcomes.Accepted, Outcomes.Duplicate, Outcomes.Accepted, Outcomes.Rejected, Outcomes.Rejected], batch.Results.Select(r => r.Outcome));
        Assert.Equal((2, 1, 2), (batch.Accepted, batch.Duplicates, batch.Rejected));
        var inBatch = batch.Results[1].Original!;
        Assert.Equal((batch.Results[0].Grams, batch.Results[0].Points, batch.Results[0].AcceptedAt), (inBatch.Grams, inBatch.Points, inBatch.AcceptedAt));
        Assert.Equal([RejectionReasons.UnknownUser, RejectionReasons.UnknownUser], batch.Results.Skip(3).Select(r => r.Reason));
        Assert.Equal(before.Records + 2, (await w.LedgerAsync()).Records);
        Assert.Equal(3 * 57, await w.BalanceAsync(w.Alice, Asset.Pts));
        await w.AssertAuditsPassAsync();
    }

    // ---- whole-request refusals ------------------------------------------------------------------------------

    [Theory, MemberData(nameof(Stores))]
    public async Task Unsigned_tampered_stale_and_replayed_requests_are_refused_with_their_codes_and_change_nothing(StoreKind kind)
    {
        await using var w = await CreateAsync(kind);
        var ride = T0.AddMinutes(30);
        var body = Body(Metro("s-1", "alice", ride));
        var now = w.Clock.GetUtcNow();

        foreach (var header in SignatureHeaders.All)
            await w.RefusedBatchAsync(body, new SigningOverrides { OmitHeaders = [header] }, HttpStatusCode.Unauthorized, ProblemCodes.SignatureMissing, $"without {header}");
        await w.RefusedBatchAsync(body, new SigningOverrides { Secret = "sk_" + new string('A', 43) }, HttpStatusCode.Unauthorized, ProblemCodes.SignatureInvalid, "signed with another secret");

        // The exact request, correctly signed but for one flipped hex digit of the signature.
        var timestamp = RequestSigner.FormatTimestamp(now);
        const string nonce = "tampered-signature-nonce-01";
        var signature = RequestSigner.Sign(w.Key.Secret, "POST", PuhuiClient.BatchPath, timestamp, nonce, RequestSigner.BodyHash(body));
        var flipped = signature[..^1] + (signature[^1] == '0' ? '1' : '0');
        await w.RefusedBatchAsync(body, new SigningOverrides { Timestamp = timestamp, Nonce = nonce, Signature = flipped }, HttpStatusCode.Unauthorized,
            ProblemCodes.SignatureInvalid, "a tampered signature");

        // Signed over one body, sent with another.
        var changed = Body(Metro("s-1", "alice", ride, km: 120, minutes: 100));
        await w.RefusedBatchAsync(changed, new SigningOverrides { BodyHash = RequestSigner.BodyHash(body) }, HttpStatusCode.BadRequest,
            ProblemCodes.BodyHashMismatch, "a body changed after signing");

        foreach (var (stamp, why) in new[]
        {
            (RequestSigner.FormatTimestamp(now.AddMinutes(-6)), "signed six minutes ago"),
            (RequestSigner.FormatTimestamp(now.AddMinutes(6)), "signed six minutes ahead"),
            (RequestSigner.FormatTimestamp(now.AddSeconds(-301)), "signed 5 min 1 s ago"),
            ("2026-11-02T21:00:00Z", "a timestamp that is not Unix seconds"),
        })
            await w.RefusedBatchAsync(body, new SigningOverrides { Timestamp = stamp }, HttpStatusCode.Unauthorized, ProblemCodes.TimestampStale, why);
        await w.RefusedBatchAsync(body, new SigningOverrides { Nonce = "too-short" }, HttpStatusCode.Unauthorized, ProblemCodes.NonceReused, "a malformed nonce");

        // A nonce is spent only by a request that verifies, so the tampered request above did not use it up.
        using (var genuine = await w.PostBatchAsync(body, new SigningOverrides { Timestamp = timestamp, Nonce = nonce }))
            Assert.Equal(Outcomes.Accepted, (await ReadBatchAsync(genuine)).Results[0].Outcome);
        await w.RefusedBatchAsync(Body(Metro("s-2", "alice", ride)), new SigningOverrides { Nonce = nonce }, HttpStatusCode.Unauthorized,
            ProblemCodes.NonceReused, "a nonce used before with this key");

        // Inside the window, at either edge, requests pass; the signature's hex may be in capitals.
        foreach (var (offset, id) in new[] { (TimeSpan.FromSeconds(-299), "s-3"), (TimeSpan.FromSeconds(299), "s-4"), (TimeSpan.FromMinutes(-5), "s-5") })
        {
            using var response = await w.PostBatchAsync(Body(Metro(id, "alice", ride.AddMinutes(10))), new SigningOverrides { Timestamp = RequestSigner.FormatTimestamp(now + offset) });
            Assert.Equal(Outcomes.Accepted, (await ReadBatchAsync(response)).Results[0].Outcome);
        }

        var upperBody = Body(Metro("s-6", "alice", ride.AddMinutes(20)));
        const string upperNonce = "upper-case-signature-nonce";
        var upper = RequestSigner.Sign(w.Key.Secret, "POST", PuhuiClient.BatchPath, timestamp, upperNonce, RequestSigner.BodyHash(upperBody)).ToUpperInvariant();
        using (var response = await w.PostBatchAsync(upperBody, new SigningOverrides { Timestamp = timestamp, Nonce = upperNonce, Signature = upper }))
            Assert.Equal(Outcomes.Accepted, (await ReadBatchAsync(response)).Results[0].Outcome);
        Assert.Equal(5, (await w.LedgerAsync()).Records);
        await w.AssertAuditsPassAsync();
    }

    [Theory, MemberData(nameof(Stores))]
    public async Task Unknown_revoked_and_rotated_out_keys_all_get_key_unknown(StoreKind kind)
    {
        await using var w = await CreateAsync(kind);
        var ride = T0.AddMinutes(30);
        var bus = await w.AddOperatorAsync("org:sz-bus", "深圳巴士");
        await w.RefusedBatchAsync(Body(Metro("k-0", "alice", ride)), new SigningOverrides { KeyId = "pk_" + new string('Q', 22) }, HttpStatusCode.Unauthorized,
            ProblemCodes.KeyUnknown, "an unknown key id");

        // Rotation: the old key keeps working beside the new one for the overlap, and not a moment longer.
        var old = w.Key;
        var rotated = await w.SendAsync(HttpMethod.Post, $"/api/v1/operator/api-keys/{old.KeyId}/rotate", w.OperatorToken, new { overlapMinutes = 10 });
        var fresh = new OperatorCredentials(rotated.GetProperty("keyId").GetString()!, rotated.GetProperty("secret").GetString()!);
        Assert.Equal(Outcomes.Accepted, (await w.Client(old).SendBatchAsync([Metro("k-1", "alice", ride)])).Results[0].Outcome);
        Assert.Equal(Outcomes.Accepted, (await w.Client(fresh).SendBatchAsync([Metro("k-2", "alice", ride.AddMinutes(10))])).Results[0].Outcome);
        w.Clock.Advance(TimeSpan.FromMinutes(9));
        Assert.Equal(Outcomes.Accepted, (await w.Client(old).SendBatchAsync([Metro("k-3", "alice", ride.AddMinutes(20))])).Results[0].Outcome);
        w.Clock.Advance(TimeSpan.FromMinutes(1));
        await w.RefusedBatchAsync(Body(Metro("k-4", "alice", ride.AddMinutes(30))), null, HttpStatusCode.Unauthorized, ProblemCodes.KeyUnknown, "the rotated key after its overlap", old);
        Assert.Equal(Outcomes.Accepted, (await w.Client(fresh).SendBatchAsync([Metro("k-4", "alice", ride.AddMinutes(30))])).Results[0].Outcome);

        var keys = (await w.SendAsync(HttpMethod.Get, "/api/v1/operator/api-keys", w.OperatorToken)).GetProperty("keys").EnumerateArray().ToList();
        var oldInfo = keys.Single(k => k.GetProperty("keyId").GetString() == old.KeyId);
        Assert.Equal((false, fresh.KeyId), (oldInfo.GetProperty("active").GetBoolean(), oldInfo.GetProperty("replacedBy").GetString()));
        Assert.True(keys.Single(k => k.GetProperty("keyId").GetString() == fresh.KeyId).GetProperty("active").GetBoolean());

        // Another operator's staff cannot revoke the key; its own staff can, and it stops at once.
        await w.RefusedAsync(HttpMethod.Delete, $"/api/v1/operator/api-keys/{fresh.KeyId}", bus.Token, null, HttpStatusCode.NotFound, "key-not-found");
        Assert.Equal(Outcomes.Accepted, (await w.Client(fresh).SendBatchAsync([Metro("k-5", "alice", ride.AddMinutes(40))])).Results[0].Outcome);
        await w.SendAsync(HttpMethod.Delete, $"/api/v1/operator/api-keys/{fresh.KeyId}", w.OperatorToken);
        await w.RefusedBatchAsync(Body(Metro("k-6", "alice", ride.AddMinutes(50))), null, HttpStatusCode.Unauthorized, ProblemCodes.KeyUnknown, "a revoked key", fresh);
        var refused = await Assert.ThrowsAsync<PuhuiApiException>(() => w.Client(fresh).SendBatchAsync([Metro("k-6", "alice", ride.AddMinutes(50))]));
        Assert.Equal((HttpStatusCode.Unauthorized, ProblemCodes.KeyUnknown, 1), (refused.StatusCode, refused.Code, refused.Attempts));
        await w.RefusedAsync(HttpMethod.Delete, $"/api/v1/operator/api-keys/{fresh.KeyId}", w.OperatorToken, null, HttpStatusCode.NotFound, "key-not-found");

        // A revoked key cannot bind people either.
        var bob = await w.AddPersonAsync("Bob");
        var code = await w.IssueBindingCodeAsync(bob, "org:sz-metro");
        var binding = await Assert.ThrowsAsync<PuhuiApiException>(() => w.Client(fresh).BindAsync(code, "bob"));
        Assert.Equal(ProblemCodes.KeyUnknown, binding.Code);
        Assert.Equal(5, (await w.LedgerAsync()).Records);
        await w.AssertAuditsPassAsync();
    }

    [Theory, MemberData(nameof(Stores))]
    public async Task Foreign_scenarios_oversized_and_malformed_batches_are_refused_whole(StoreKind kind)
    {
        await using var w = await CreateAsync(kind);
        var bus = await w.AddOperatorAsync("org:sz-bus", "深圳巴士");
        await w.RunScenarioAsync(bus, BusScenario("sz-bus-card", "Bus by card"));
        var ride = T0.AddMinutes(30);
        var good = Metro("b-1", "alice", ride);

        await w.RefusedBatchAsync(Body(good, Bus("sz-bus-card", "b-2", "alice", ride)), null, HttpStatusCode.Forbidden, ProblemCodes.ScenarioForbidden,
            "a record of another operator's scenario");
        await w.RefusedBatchAsync(Body(good, Metro("b-3", "alice", ride) with { Scenario = "no-such-scenario" }), null, HttpStatusCode.Forbidden,
            ProblemCodes.ScenarioForbidden, "a record of a scenario that does not exist");
        await w.RefusedBatchAsync(Body(Metro("b-4", "alice", ride)), null, HttpStatusCode.Forbidden, ProblemCodes.ScenarioForbidden,
            "the metro's record sent with the bus company's key", bus.Key);

        var tooMany = Enumerable.Range(0, WireLimits.BatchRecordsMax + 1).Select(i => Metro($"big-{i}", "alice", ride, km: 0.1m, minutes: 1)).ToArray();
        await w.RefusedBatchAsync(Body(tooMany), null, HttpStatusCode.RequestEntityTooLarge, ProblemCodes.BatchTooLarge, "10,001 records");
        var huge = new byte[WireLimits.BodyBytesMax + 1];
        Array.Fill(huge, (byte)' ');
        await w.RefusedBatchAsync(huge, null, HttpStatusCode.RequestEntityTooLarge, ProblemCodes.BatchTooLarge, "a body of 16 MiB and a byte");

        const string record = """{"scenario":"sz-metro","externalId":"b-5","userRef":"alice","occurredAt":"2026-11-02T09:30:00+08:00","inputs":{"distance":5,"duration":10}}""";
        var goodJson = Encoding.UTF8.GetString(Body(good))[..^2];
        foreach (var (text, why) in new[]
        {
            ("{\"records\":[", "truncated JSON"),
            ("records=b-1", "not JSON"),
            ("", "an empty body"),
            ("null", "null"),
            ("{}", "no records"),
            ("{\"records\":[]}", "an empty records array"),
            ("{\"records\":[null]}", "a null record"),
            ("[" + record + "]", "an array instead of a batch"),
            ("{\"records\":[" + record.Replace(",\"userRef\":\"alice\"", "", StringComparison.Ordinal) + "]}", "a record without userRef"),
            ("{\"records\":[" + record.Replace(",\"inputs\":{\"distance\":5,\"duration\":10}", "", StringComparison.Ordinal) + "]}", "a record without inputs"),
            ("{\"records\":[" + record.Replace("2026-11-02T09:30:00+08:00", "yesterday", StringComparison.Ordinal) + "]}", "an occurredAt that is no date"),
            ("{\"records\":[" + record.Replace("5,", "\"five\",", StringComparison.Ordinal) + "]}", "an input that is no number"),
            (goodJson + "," + record.Replace(",\"scenario\":\"sz-metro\"", "", StringComparison.Ordinal).Replace("{\"scenario\":\"sz-metro\",", "{", StringComparison.Ordinal) + "]}",
                "a good record beside one without scenario"),
        })
            await w.RefusedBatchAsync(Encoding.UTF8.GetBytes(text), null, HttpStatusCode.BadRequest, ProblemCodes.BatchMalformed, why);

        // None of the refused batches counted anything: the good record is new.
        var accepted = await w.Client().SendBatchAsync([good]);
        Assert.Equal(Outcomes.Accepted, accepted.Results[0].Outcome);
        Assert.Equal(1, (await w.LedgerAsync()).Records);
        await w.AssertAuditsPassAsync();
    }

    // ---- binding --------------------------------------------------------------------------------------------

    [Theory, MemberData(nameof(Stores))]
    public async Task Binding_is_idempotent_and_refuses_foreign_codes_taken_references_and_second_references(StoreKind kind)
    {
        await using var w = await CreateAsync(kind);
        var bus = await w.AddOperatorAsync("org:sz-bus", "深圳巴士");
        var bob = await w.AddPersonAsync("Bob");
        var metro = w.Client();
        var ride = T0.AddHours(12).AddMinutes(-10);
        Assert.Equal(RejectionReasons.UnknownUser, (await metro.SendBatchAsync([Metro("u-1", "bob", ride)])).Results[0].Reason);

        var code = await w.IssueBindingCodeAsync(bob, "org:sz-metro");
        var bound = await metro.BindAsync(code, "bob");
        w.Clock.Advance(TimeSpan.FromMinutes(1));
        var again = await metro.BindAsync(code, "bob");
        Assert.Equal(("bob", bound.BoundAt), (again.UserRef, again.BoundAt));

        async Task RefusedAsync(PuhuiClient client, string bindingCode, string userRef, HttpStatusCode status, string problem, string why)
        {
            var e = await Assert.ThrowsAsync<PuhuiApiException>(() => client.BindAsync(bindingCode, userRef));
            Assert.True((e.StatusCode, e.Code) == (status, problem), $"{why}: expected {(int)status} {problem}, got {e.StatusCode} {e.Code}: {e.Message}");
            Assert.Equal(1, e.Attempts);
        }

        await RefusedAsync(metro, code, "bob-2", HttpStatusCode.BadRequest, ProblemCodes.BindingCodeInvalid, "a used code with another reference");
        await RefusedAsync(metro, "ZZZZ-ZZZZ-ZZ", "bob-3", HttpStatusCode.BadRequest, ProblemCodes.BindingCodeInvalid, "a code nobody issued");
        var forBus = await w.IssueBindingCodeAsync(bob, "org:sz-bus");
        await RefusedAsync(metro, forBus, "bob-bus", HttpStatusCode.BadRequest, ProblemCodes.BindingCodeInvalid, "a code issued for another operator");
        Assert.Equal("card-bob", (await w.Client(bus.Key).BindAsync(forBus, "card-bob")).UserRef);

        var carol = await w.AddPersonAsync("Carol");
        await RefusedAsync(metro, await w.IssueBindingCodeAsync(carol, "org:sz-metro"), "alice", HttpStatusCode.Conflict, ProblemCodes.UserRefTaken, "another person's reference");
        await RefusedAsync(metro, await w.IssueBindingCodeAsync(bob, "org:sz-metro"), "bob-second", HttpStatusCode.Conflict, "account-already-bound", "a second reference for Bob");
        var stale = await w.IssueBindingCodeAsync(carol, "org:sz-metro");
        w.Clock.Advance(TimeSpan.FromMinutes(16));
        await RefusedAsync(metro, stale, "carol", HttpStatusCode.BadRequest, ProblemCodes.BindingCodeInvalid, "a code past its fifteen minutes");
        await w.BindAsync(carol, w.MetroOperator, "carol");

        var bindings = (await w.SendAsync(HttpMethod.Get, "/api/v1/me/bindings", bob.Token)).GetProperty("bindings").EnumerateArray()
            .Select(b => (b.GetProperty("operator").GetString(), b.GetProperty("userRef").GetString())).Order().ToList();
        Assert.Equal([("org:sz-bus", "card-bob"), ("org:sz-metro", "bob")], bindings);
        // Bob is known now, but has not consented yet.
        Assert.Equal(RejectionReasons.NoConsent, (await metro.SendBatchAsync([Metro("u-2", "bob", ride)])).Results[0].Reason);
        await w.AssertAuditsPassAsync();
    }

    // ---- caps and history -----------------------------------------------------------------------------------

    [Theory, MemberData(nameof(Stores))]
    public async Task The_metro_caps_hold_per_record_and_per_day_across_batches_and_start_afresh_at_local_midnight(StoreKind kind)
    {
        await using var w = await CreateAsync(kind);
        var day1 = new DateTimeOffset(2026, 11, 2, 0, 0, 0, Cst);
        w.Clock.Set(day1.AddHours(23).AddMinutes(58));

        // 150 km computes 7,005 g and is capped at 7,000 g a record; the day's cap of 20,000 g leaves 6,000 for the third.
        var first = await w.Client().SendBatchAsync([Metro("c-1", "alice", day1.AddHours(20), 150, 150)]);
        var second = await w.Client().SendBatchAsync([Metro("c-2", "alice", day1.AddHours(20.5), 150, 150), Metro("c-3", "alice", day1.AddHours(21), 150, 150)]);
        var before = await w.LedgerAsync();
        var third = await w.Client().SendBatchAsync([Metro("c-4", "alice", day1.AddHours(23).AddMinutes(55), 10, 25)]);
        await w.AssertLedgerUnchangedAsync(before, "a ride after the day's cap");

        // After midnight in Shenzhen a new day starts; a late record of the old day still counts against the old day.
        w.Clock.Set(day1.AddDays(1).AddMinutes(20));
        var next = await w.Client().SendBatchAsync([Metro("c-5", "alice", day1.AddDays(1).AddMinutes(10), 10, 25), Metro("c-6", "alice", day1.AddHours(23).AddMinutes(56), 10, 25)]);

        Assert.Equal([7000L, 7000L, 6000L], first.Results.Concat(second.Results).Select(r => r.Grams!.Value));
        Assert.Equal([700L, 700L, 600L], first.Results.Concat(second.Results).Select(r => r.Points!.Value));
        Assert.Equal(RejectionReasons.DailyCapReached, third.Results[0].Reason);
        Assert.Equal((Outcomes.Accepted, 467L, 46L), (next.Results[0].Outcome, next.Results[0].Grams!.Value, next.Results[0].Points!.Value));
        Assert.Equal(RejectionReasons.DailyCapReached, next.Results[1].Reason);
        Assert.Equal(20_467, await w.BalanceAsync(w.Alice, Asset.Co2));
        Assert.Equal(2_046, await w.BalanceAsync(w.Alice, Asset.Pts));
        Assert.Equal(2, (await w.Store.GetLotsAsync(new AccountId(w.Person))).Count);

        // The person sees why the third ride earned less than it computed.
        var records = (await w.SendAsync(HttpMethod.Get, "/api/v1/me/records", w.PersonToken)).GetProperty("records").EnumerateArray().ToList();
        Assert.Equal([467L, 6000L, 7000L, 7000L], records.Select(r => r.GetProperty("grams").GetInt64()));
        var why = await w.SendAsync(HttpMethod.Get, $"/api/v1/me/records/{records[1].GetProperty("id").GetInt64()}", w.PersonToken);
        Assert.Equal((7000L, 6000L), (why.GetProperty("computedGrams").GetInt64(), why.GetProperty("record").GetProperty("grams").GetInt64()));
        Assert.Contains(why.GetProperty("notes").EnumerateArray(), n => n.GetString()!.Contains("daily cap", StringComparison.Ordinal));
        var uncapped = await w.SendAsync(HttpMethod.Get, $"/api/v1/me/records/{records[0].GetProperty("id").GetInt64()}", w.PersonToken);
        Assert.Equal(0, uncapped.GetProperty("notes").GetArrayLength());
        await w.AssertAuditsPassAsync();
    }

    [Theory, MemberData(nameof(Stores))]
    public async Task A_household_above_its_baseline_is_credited_against_its_own_moving_average(StoreKind kind)
    {
        await using var w = await CreateAsync(kind);
        var grid = await w.AddOperatorAsync("org:sz-grid", "深圳供电局");
        await w.RunScenarioAsync(grid, new
        {
            code = "sz-household", titleZh = "家庭节约用电", titleEn = "Household electricity saving",
            methodologyId = "household-electricity", methodologyVersion = "1.0.0", region = "440300",
        });
        await w.BindAsync(w.Alice, grid, "meter-0001");
        await w.ConsentAsync(w.Alice, "sz-household");

        // The test vector "yesterday is left out of the moving average", lived one day at a time: a household of two
        // (baseline 6 kWh) under it earns baseline − actual; above it, the mean of the 7 days before yesterday − actual.
        decimal[] kwh = [1, 9, 9, 9, 9, 9, 9, 9, 1, 8];
        long[] expected = [2851, 0, 0, 0, 0, 0, 0, 0, 2851, 570];
        var first = new DateTimeOffset(2026, 11, 3, 0, 0, 0, Cst);
        var credited = new List<long>();
        for (var i = 0; i < kwh.Length; i++)
        {
            var day = first.AddDays(i);
            w.Clock.Set(day.AddHours(23).AddMinutes(30));
            var record = new BehaviourRecord
            {
                Scenario = "sz-household", ExternalId = $"meter-0001-{i}", UserRef = "meter-0001", OccurredAt = day.AddHours(23),
                Inputs = new Dictionary<string, decimal> { ["electricity"] = kwh[i], ["household_size"] = 2 },
            };
            var outcome = (await w.Client(grid.Key).SendBatchAsync([record])).Results[0];
            Assert.True(outcome.Outcome == Outcomes.Accepted, $"day {i}: {outcome.Outcome} {outcome.Reason} {outcome.Detail}");
            credited.Add(outcome.Grams!.Value);
        }

        Assert.Equal(expected, credited);
        Assert.Equal(2851 * 2 + 570, await w.BalanceAsync(w.Alice, Asset.Co2));
        Assert.Equal(285 * 2 + 57, await w.BalanceAsync(w.Alice, Asset.Pts));

        var latest = (await w.SendAsync(HttpMethod.Get, "/api/v1/me/records?limit=1", w.PersonToken)).GetProperty("records")[0];
        var why = await w.SendAsync(HttpMethod.Get, $"/api/v1/me/records/{latest.GetProperty("id").GetInt64()}", w.PersonToken);
        var formulas = why.GetProperty("formulas").EnumerateArray().ToDictionary(f => f.GetProperty("name").GetString()!, f => f.GetProperty("value").GetDecimal());
        Assert.Equal((6m, 9m, 1m), (formulas["baseline"], formulas["moving_average"], formulas["saving"]));
        Assert.Equal(570, why.GetProperty("computedGrams").GetInt64());
        var factors = why.GetProperty("factors").EnumerateArray().ToDictionary(f => f.GetProperty("name").GetString()!);
        Assert.Contains("环办气候函", factors["grid_ef"].GetProperty("source").GetString(), StringComparison.Ordinal);
        Assert.True(factors["baseline_per_person"].GetProperty("assumption").GetBoolean());
        Assert.Equal("II", why.GetProperty("class").GetString());
        await w.AssertAuditsPassAsync();
    }

    // ---- people's and operators' views ----------------------------------------------------------------------

    [Theory, MemberData(nameof(Stores))]
    public async Task A_person_pages_through_their_records_sees_why_each_earned_and_cannot_read_anothers(StoreKind kind)
    {
        await using var w = await CreateAsync(kind);
        var rides = Enumerable.Range(0, 5).Select(i => Metro($"p-{i}", "alice", T0.AddMinutes(30 + 10 * i), km: 10 + i, minutes: 30)).ToArray();
        Assert.Equal(5, (await w.Client().SubmitAsync(rides)).Accepted);

        var ids = new List<long>();
        var grams = new List<long>();
        long? before = null;
        var pages = 0;
        do
        {
            var page = await w.SendAsync(HttpMethod.Get, "/api/v1/me/records?limit=2" + (before is { } b ? $"&before={b}" : ""), w.PersonToken);
            var records = page.GetProperty("records").EnumerateArray().ToList();
            Assert.InRange(records.Count, 1, 2);
            ids.AddRange(records.Select(r => r.GetProperty("id").GetInt64()));
            grams.AddRange(records.Select(r => r.GetProperty("grams").GetInt64()));
            before = page.TryGetProperty("nextBefore", out var next) && next.ValueKind == JsonValueKind.Number ? next.GetInt64() : null;
            pages++;
        }
        while (before is not null && pages < 10);

        Assert.Equal(3, pages);
        Assert.Equal(ids.OrderDescending(), ids);
        Assert.Equal(5, ids.Distinct().Count());
        Assert.Equal([653L, 607L, 560L, 513L, 467L], grams);

        var why = await w.SendAsync(HttpMethod.Get, $"/api/v1/me/records/{ids[^1]}", w.PersonToken);
        Assert.Equal((467L, 467L), (why.GetProperty("computedGrams").GetInt64(), why.GetProperty("record").GetProperty("grams").GetInt64()));
        Assert.Equal(("metro", "1.0.0"), (why.GetProperty("record").GetProperty("methodologyId").GetString(), why.GetProperty("record").GetProperty("methodologyVersion").GetString()));
        Assert.All(why.GetProperty("factors").EnumerateArray(), f => Assert.False(string.IsNullOrWhiteSpace(f.GetProperty("source").GetString())));
        var factor = why.GetProperty("factors").EnumerateArray().Single(f => f.GetProperty("name").GetString() == "reduction_factor");
        Assert.Equal(46.7m, factor.GetProperty("value").GetDecimal());
        Assert.Contains(why.GetProperty("formulas").EnumerateArray(), f => f.GetProperty("name").GetString() == "reduction" && f.GetProperty("value").GetDecimal() == 467m);
        Assert.Equal("floor(accepted / 10[g])", why.GetProperty("pointsRule").GetString());

        var bob = await w.AddPersonAsync("Bob");
        await w.RefusedAsync(HttpMethod.Get, $"/api/v1/me/records/{ids[0]}", bob.Token, null, HttpStatusCode.NotFound, "record-not-found");
        await w.RefusedAsync(HttpMethod.Get, "/api/v1/me/records/999999", w.PersonToken, null, HttpStatusCode.NotFound, "record-not-found");
        Assert.Equal(0, (await w.SendAsync(HttpMethod.Get, "/api/v1/me/records", bob.Token)).GetProperty("records").GetArrayLength());
        await w.RefusedAsync(HttpMethod.Get, "/api/v1/me/records?limit=0", w.PersonToken, null, HttpStatusCode.BadRequest, "invalid-argument");
        await w.RefusedAsync(HttpMethod.Get, "/api/v1/me/records?limit=201", w.PersonToken, null, HttpStatusCode.BadRequest, "invalid-argument");
        await w.RefusedAsync(HttpMethod.Get, "/api/v1/me/records?before=newest", w.PersonToken, null, HttpStatusCode.BadRequest, "invalid-argument");
        await w.AssertAuditsPassAsync();
    }

    [Theory, MemberData(nameof(Stores))]
    public async Task Revoking_a_consent_refuses_later_records_and_keeps_earlier_ones_credited(StoreKind kind)
    {
        await using var w = await CreateAsync(kind);
        var consent = Assert.Single((await w.SendAsync(HttpMethod.Get, "/api/v1/me/consents", w.PersonToken)).GetProperty("consents").EnumerateArray());
        Assert.Equal(("sz-metro", true), (consent.GetProperty("scenario").GetString(), consent.GetProperty("active").GetBoolean()));
        var id = consent.GetProperty("id").GetInt64();
        Assert.Equal(Outcomes.Accepted, (await w.Client().SendBatchAsync([Metro("v-1", "alice", T0.AddMinutes(30))])).Results[0].Outcome);

        var bob = await w.AddPersonAsync("Bob");
        await w.RefusedAsync(HttpMethod.Delete, $"/api/v1/me/consents/{id}", bob.Token, null, HttpStatusCode.NotFound, "consent-not-found");
        await w.SendAsync(HttpMethod.Delete, $"/api/v1/me/consents/{id}", w.PersonToken);
        w.Clock.Advance(TimeSpan.FromMinutes(1));
        var before = await w.LedgerAsync();

        var gap = w.Clock.GetUtcNow().AddSeconds(-30);
        var later = await w.Client().SendBatchAsync([Metro("v-2", "alice", gap)]);
        Assert.Equal(RejectionReasons.NoConsent, later.Results[0].Reason);
        await w.AssertLedgerUnchangedAsync(before, "a ride after the consent was revoked");
        Assert.Equal(57, await w.BalanceAsync(w.Alice, Asset.Pts));
        Assert.Equal(1, (await w.SendAsync(HttpMethod.Get, "/api/v1/me/records", w.PersonToken)).GetProperty("records").GetArrayLength());
        Assert.Equal(0, (await w.SendAsync(HttpMethod.Get, "/api/v1/me/consents", w.PersonToken)).GetProperty("consents").GetArrayLength());
        var revoked = Assert.Single((await w.SendAsync(HttpMethod.Get, "/api/v1/me/consents?includeRevoked=true", w.PersonToken)).GetProperty("consents").EnumerateArray());
        Assert.Equal((id, false), (revoked.GetProperty("id").GetInt64(), revoked.GetProperty("active").GetBoolean()));
        Assert.Equal(JsonValueKind.String, revoked.GetProperty("revokedAt").ValueKind);
        await w.RefusedAsync(HttpMethod.Delete, $"/api/v1/me/consents/{id}", w.PersonToken, null, HttpStatusCode.NotFound, "consent-not-found");

        // Consenting again lets new rides earn; the ride in between stays refused.
        var renewed = await w.ConsentAsync(w.Alice, "sz-metro");
        Assert.NotEqual(id, renewed);
        w.Clock.Advance(TimeSpan.FromMinutes(1));
        var after = await w.Client().SendBatchAsync([Metro("v-3", "alice", w.Clock.GetUtcNow().AddSeconds(-10)), Metro("v-2", "alice", gap)]);
        Assert.Equal(Outcomes.Accepted, after.Results[0].Outcome);
        Assert.Equal(RejectionReasons.NoConsent, after.Results[1].Reason);
        await w.AssertAuditsPassAsync();
    }

    [Theory, MemberData(nameof(Stores))]
    public async Task An_operator_reads_its_statistics_by_receipt_day_scenario_and_outcome(StoreKind kind)
    {
        await using var w = await CreateAsync(kind);
        var bus = await w.AddOperatorAsync("org:sz-bus", "深圳巴士");
        var ride = T0.AddMinutes(30);
        await w.Client().SendBatchAsync([Metro("st-1", "alice", ride), Metro("st-2", "alice", ride.AddHours(1), km: 10, minutes: 25), Metro("st-3", "nobody", ride)]);
        await w.Client().SendBatchAsync([Metro("st-1", "alice", ride)]);
        w.Clock.Advance(TimeSpan.FromDays(1));
        await w.Client().SendBatchAsync([Metro("st-4", "alice", ride.AddDays(1)), Metro("st-5", "alice", ride.AddDays(1), km: 200, minutes: 200)]);

        static List<(string?, string?, string?, long, long, long)> Rows(JsonElement stats) => stats.GetProperty("rows").EnumerateArray()
            .Select(r => (r.GetProperty("day").GetString(), r.GetProperty("scenario").GetString(), r.GetProperty("outcome").GetString(),
                r.GetProperty("records").GetInt64(), r.GetProperty("grams").GetInt64(), r.GetProperty("points").GetInt64())).ToList();
        var rows = Rows(await w.SendAsync(HttpMethod.Get, "/api/v1/operator/statistics?from=2026-11-01&to=2026-11-30", w.OperatorToken));
        Assert.Equal(
        [
            ("2026-11-02", "sz-metro", "accepted", 2L, 574L + 467, 57L + 46),
            ("2026-11-02", "sz-metro", "duplicate", 1L, 0L, 0L),
            ("2026-11-02", "sz-metro", "unknown_user", 1L, 0L, 0L),
            ("2026-11-03", "sz-metro", "accepted", 1L, 574L, 57L),
            ("2026-11-03", "sz-metro", "out_of_bounds", 1L, 0L, 0L),
        ], rows);
        Assert.Equal(rows.Skip(3), Rows(await w.SendAsync(HttpMethod.Get, "/api/v1/operator/statistics?from=2026-11-03&to=2026-11-03", w.OperatorToken)));
        Assert.Equal(rows, Rows(await w.SendAsync(HttpMethod.Get, "/api/v1/operator/statistics", w.OperatorToken)));
        Assert.Empty(Rows(await w.SendAsync(HttpMethod.Get, "/api/v1/operator/statistics?from=2026-11-01&to=2026-11-30", bus.Token)));
        await w.RefusedAsync(HttpMethod.Get, "/api/v1/operator/statistics?from=2026-11-30&to=2026-11-01", w.OperatorToken, null, HttpStatusCode.BadRequest, "invalid-argument");
        await w.RefusedAsync(HttpMethod.Get, "/api/v1/operator/statistics?from=2025-01-01&to=2026-11-30", w.OperatorToken, null, HttpStatusCode.BadRequest, "invalid-argument");
        await w.RefusedAsync(HttpMethod.Get, "/api/v1/operator/statistics?from=yesterday", w.OperatorToken, null, HttpStatusCode.BadRequest, "invalid-argument");
        await w.AssertAuditsPassAsync();
    }

    [Theory, MemberData(nameof(Stores))]
    public async Task Every_endpoint_checks_who_is_calling(StoreKind kind)
    {
        await using var w = await CreateAsync(kind);
        var shop = await w.SendAsync(HttpMethod.Post, "/api/v1/organisations", AdminToken, new { code = "org:green-shop", displayName = "绿色商店", roles = new[] { "Provider" } });
        var shopToken = shop.GetProperty("staffToken").GetString()!;
        var developer = await w.SendAsync(HttpMethod.Post, "/api/v1/organisations", AdminToken, new { code = "org:solar", displayName = "光伏开发", roles = new[] { "ProjectDeveloper" } });
        var developerToken = developer.GetProperty("staffToken").GetString()!;
        var scenario = new { code = "sz-metro-2", titleZh = "地铁", titleEn = "Metro", methodologyId = "metro", methodologyVersion = "1.0.0" };
        var before = await w.LedgerAsync();

        foreach (var token in new[] { null, "pht_not-a-token-anyone-was-given", "Bearer" })
        {
            await w.RefusedAsync(HttpMethod.Get, "/api/v1/operator/statistics", token, null, HttpStatusCode.Unauthorized, "unauthenticated");
            await w.RefusedAsync(HttpMethod.Get, "/api/v1/me/records", token, null, HttpStatusCode.Unauthorized, "unauthenticated");
            await w.RefusedAsync(HttpMethod.Post, "/api/v1/scenarios", token, scenario, HttpStatusCode.Unauthorized, "unauthenticated");
        }

        // A person on an operator's, an organisation's and the administrator's endpoints.
        await w.RefusedAsync(HttpMethod.Get, "/api/v1/operator/statistics", w.PersonToken, null, HttpStatusCode.Forbidden, "forbidden");
        await w.RefusedAsync(HttpMethod.Get, "/api/v1/operator/api-keys", w.PersonToken, null, HttpStatusCode.Forbidden, "forbidden");
        await w.RefusedAsync(HttpMethod.Post, "/api/v1/operator/api-keys", w.PersonToken, new { label = "mine" }, HttpStatusCode.Forbidden, "forbidden");
        await w.RefusedAsync(HttpMethod.Post, "/api/v1/scenarios", w.PersonToken, scenario, HttpStatusCode.Forbidden, "forbidden");
        var metroApplication = await w.ApplicationOfAsync("sz-metro");
        await w.RefusedAsync(HttpMethod.Post, $"/api/v1/applications/{metroApplication}/steps", w.PersonToken, new { action = "suspend", comment = "x", rectificationDays = 5 },
            HttpStatusCode.Forbidden, "action-forbidden");
        // An operator's staff on a person's endpoints and on the administrator's.
        await w.RefusedAsync(HttpMethod.Get, "/api/v1/me/records", w.OperatorToken, null, HttpStatusCode.Forbidden, "forbidden");
        await w.RefusedAsync(HttpMethod.Post, "/api/v1/me/consents", w.OperatorToken, new { scenario = "sz-metro" }, HttpStatusCode.Forbidden, "forbidden");
        await w.RefusedAsync(HttpMethod.Post, $"/api/v1/applications/{metroApplication}/steps", w.OperatorToken, new { action = "suspend", comment = "x", rectificationDays = 5 },
            HttpStatusCode.Forbidden, "action-forbidden");
        await w.RefusedAsync(HttpMethod.Post, "/api/v1/organisations", w.OperatorToken, new { code = "org:x", displayName = "X", roles = new[] { "Operator" } }, HttpStatusCode.Forbidden, "forbidden");
        // Staff of an organisation that is not an operator.
        await w.RefusedAsync(HttpMethod.Post, "/api/v1/scenarios", shopToken, scenario, HttpStatusCode.Forbidden, "forbidden");
        // Keys are for operators' and providers' systems only.
        await w.RefusedAsync(HttpMethod.Post, "/api/v1/organisation/api-keys", developerToken, new { label = "solar" }, HttpStatusCode.Forbidden, "forbidden");
        await w.RefusedAsync(HttpMethod.Post, "/api/v1/operator/api-keys", developerToken, new { label = "solar" }, HttpStatusCode.Forbidden, "forbidden");
        await w.RefusedAsync(HttpMethod.Get, "/api/v1/operator/statistics", shopToken, null, HttpStatusCode.Forbidden, "forbidden");
        // A bearer token does not sign a batch.
        await w.RefusedAsync(HttpMethod.Post, PuhuiClient.BatchPath, w.OperatorToken, new { records = Array.Empty<object>() }, HttpStatusCode.Unauthorized, ProblemCodes.SignatureMissing);

        Assert.Equal("running", (await w.SendAsync(HttpMethod.Get, "/api/v1/scenarios/sz-metro", null)).GetProperty("status").GetString());
        await w.RefusedAsync(HttpMethod.Get, "/api/v1/scenarios/sz-metro-2", null, null, HttpStatusCode.NotFound, "scenario-not-found");
        await w.AssertLedgerUnchangedAsync(before, "requests refused for who sent them");
        await w.AssertAuditsPassAsync();
    }

    [Theory, MemberData(nameof(Stores))]
    public async Task Scenario_registration_and_decisions_report_their_problems(StoreKind kind)
    {
        await using var w = await CreateAsync(kind);
        var bus = await w.AddOperatorAsync("org:sz-bus", "深圳巴士");
        const string path = "/api/v1/scenarios";
        static object Metro(string code, string? id = "metro", string? version = "1.0.0") =>
            new { code, titleZh = "地铁", titleEn = "Metro", methodologyId = id, methodologyVersion = version };
        var before = await w.LedgerAsync();

        await w.RefusedAsync(HttpMethod.Post, path, w.OperatorToken, Metro("sz-metro-9", version: "9.9.9"), HttpStatusCode.UnprocessableEntity, "methodology-not-found");
        await w.RefusedAsync(HttpMethod.Post, path, w.OperatorToken, Metro("sz-metro-9", id: "teleport"), HttpStatusCode.UnprocessableEntity, "methodology-not-found");
        await w.RefusedAsync(HttpMethod.Post, path, w.OperatorToken, Metro("sz-metro"), HttpStatusCode.Conflict, "scenario-code-taken");
        // A body the framework cannot bind is refused with a problem and a code, like every other refusal.
        await w.RefusedAsync(HttpMethod.Post, path, w.OperatorToken, new { code = "sz-metro-9", titleZh = "地铁" }, HttpStatusCode.BadRequest, "invalid-argument");
        await w.RefusedAsync(HttpMethod.Post, path, bus.Token, Metro("sz-metro"), HttpStatusCode.Conflict, "scenario-code-taken");
        foreach (var (definition, why) in new (object, string)[]
        {
            (Metro("SZ Metro"), "a code with capitals and a space"),
            (Metro("sz-metro-9", version: null), "a methodology without a version"),
            (Metro("sz-metro-9", id: null), "a version without a methodology"),
            (new { code = "sz-bus-9", titleZh = "公交", titleEn = "Bus" }, "a points-only scenario without pointsPerAction"),
            (new { code = "sz-bus-9", titleZh = "公交", titleEn = "Bus", pointsPerAction = 5, attributes = new[] { "vehicle" },
                dedup = new { group = "sz-bus", attributes = new[] { "stop" }, windowSeconds = 120 } }, "de-duplication on an undeclared attribute"),
            (new { code = "sz-metro-9", titleZh = "地铁", titleEn = "Metro", methodologyId = "metro", methodologyVersion = "1.0.0",
                inputBounds = new Dictionary<string, object> { ["altitude"] = new { min = 0, max = 1 } } }, "bounds on an input the methodology does not declare"),
            (new { code = "sz-metro-9", titleZh = "地铁", titleEn = "Metro", methodologyId = "metro", methodologyVersion = "1.0.0", pointsRule = "floor(accepted / 10[km])" },
                "a points rule that does not type-check"),
        })
            await w.RefusedAsync(HttpMethod.Post, path, w.OperatorToken, definition, HttpStatusCode.UnprocessableEntity, "scenario-invalid");

        // A refused scenario is final; a running one cannot be started again; steps have names.
        await w.SendAsync(HttpMethod.Post, path, w.OperatorToken, Metro("sz-metro-late"));
        Assert.Equal("refused", (await w.DecideAsync("sz-metro-late", "refuse")).GetProperty("status").GetString());
        var desk = await w.PlatformOperatorTokenAsync();
        var late = await w.ApplicationOfAsync("sz-metro-late");
        foreach (var action in new[] { "accept", "suspend", "terminate", "refuse", "start" })
        {
            var refused = await w.RefusedAsync(HttpMethod.Post, $"/api/v1/applications/{late}/steps", desk, new { action, comment = "again", rectificationDays = 5 },
                HttpStatusCode.Conflict, "action-not-allowed");
            Assert.Equal("refused", refused.GetProperty("state").GetString());
            Assert.Empty(refused.GetProperty("allowedActions").EnumerateArray());
        }

        var metro = await w.ApplicationOfAsync("sz-metro");
        var again = await w.RefusedAsync(HttpMethod.Post, $"/api/v1/applications/{metro}/steps", desk, new { action = "start" }, HttpStatusCode.Conflict, "action-not-allowed");
        Assert.Equal("running", again.GetProperty("state").GetString());
        Assert.Equal(["suspend", "terminate"], again.GetProperty("allowedActions").EnumerateArray().Select(a => a.GetString()!).ToArray());
        await w.RefusedAsync(HttpMethod.Post, $"/api/v1/applications/{metro}/steps", desk, new { action = "promote" }, HttpStatusCode.Conflict, "action-not-allowed");
        await w.RefusedAsync(HttpMethod.Post, "/api/v1/applications/999999/steps", desk, new { action = "start" }, HttpStatusCode.NotFound, "application-not-found");
        await w.RefusedAsync(HttpMethod.Post, "/api/v1/me/consents", w.PersonToken, new { scenario = "sz-metro-late" }, HttpStatusCode.Conflict, "scenario-closed");

        var lateScenario = await w.SendAsync(HttpMethod.Get, $"{path}/sz-metro-late", null);
        var decided = Assert.Single(lateScenario.GetProperty("decisions").EnumerateArray());
        Assert.Equal(("applied", "refused"), (decided.GetProperty("from").GetString(), decided.GetProperty("to").GetString()));
        Assert.StartsWith("platform-operator:", decided.GetProperty("actor").GetString(), StringComparison.Ordinal);
        Assert.Equal("running", (await w.SendAsync(HttpMethod.Get, $"{path}/sz-metro", null)).GetProperty("status").GetString());
        await w.AssertLedgerUnchangedAsync(before, "scenario registrations and decisions");
        await w.AssertAuditsPassAsync();
    }
}
