using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using Puhui.Client.Internal;

namespace Puhui.Client;

/// <summary>
/// Sends an operator's behaviour records and bindings to the platform: signs every request, splits records into
/// batches, and retries transport failures and "not now" statuses with the same body, so a retry can only ever
/// produce <see cref="Outcomes.Duplicate"/> for a record the platform already counted. Thread-safe; the
/// <see cref="HttpClient"/> stays the caller's to configure and dispose.
/// </summary>
public sealed class PuhuiClient
{
    /// <summary>The path of the batch ingestion endpoint.</summary>
    public const string BatchPath = "/api/v1/behaviours:batch";

    /// <summary>The path of the binding endpoint.</summary>
    public const string BindingsPath = "/api/v1/bindings";

    /// <summary>The content type of every request body.</summary>
    public const string JsonMediaType = "application/json";

    /// <summary>The content type of a problem details response.</summary>
    public const string ProblemMediaType = "application/problem+json";

    // A problem body is a few hundred bytes; a longer error body is not one, and is not read.
    private const long ProblemBytesMax = 64 * 1024;

    // Generous for a batch of small records; the pooled writer grows when it is not.
    private const int SerialisedRecordBytesHint = 256;

    private readonly HttpClient http;
    private readonly OperatorCredentials credentials;
    private readonly Uri baseAddress;

    /// <summary>
    /// A client that sends to <paramref name="http"/>'s <see cref="HttpClient.BaseAddress"/> (the platform's base
    /// URL, which must be set) with <paramref name="credentials"/>.
    /// </summary>
    public PuhuiClient(HttpClient http, OperatorCredentials credentials, PuhuiClientOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(http);
        ArgumentNullException.ThrowIfNull(credentials);
        if (http.BaseAddress is not { IsAbsoluteUri: true } baseAddress)
            throw new ArgumentException("The HttpClient's BaseAddress must be the platform's absolute base URL.", nameof(http));
        this.http = http;
        this.credentials = credentials;
        this.baseAddress = baseAddress;
        Options = options ?? new PuhuiClientOptions();
    }

    /// <summary>How this client batches and retries.</summary>
    public PuhuiClientOptions Options { get; }

    /// <summary>
    /// Sends <paramref name="records"/> in batches of <see cref="PuhuiClientOptions.BatchSize"/>, up to
    /// <see cref="PuhuiClientOptions.MaxConcurrentBatches"/> at once, and returns every record's outcome in input
    /// order. Each batch is serialised once and every retry resends the same bytes. If a batch fails for good, the
    /// exception says why and the batches before it may have been counted: calling again with the same records is
    /// safe, as the counted ones come back <see cref="Outcomes.Duplicate"/>.
    /// </summary>
    /// <exception cref="PuhuiApiException">The platform refused a batch, kept failing, or answered out of contract.</exception>
    public async Task<SubmitResult> SubmitAsync(IReadOnlyList<BehaviourRecord> records, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(records);
        var total = records.Count;
        if (total == 0)
            return new SubmitResult([], 0);
        var size = Options.BatchSize;
        var batchCount = total / size + (total % size == 0 ? 0 : 1);
        var outcomes = new RecordOutcome[total];
        var attempts = 0;

        async ValueTask SendOneAsync(int index, CancellationToken token)
        {
            var offset = index * size;
            var batch = Slice(records, offset, Math.Min(size, total - offset));
            var (response, tries) = await SendBatchCoreAsync(batch, token).ConfigureAwait(false);
            Interlocked.Add(ref attempts, tries);
            for (var i = 0; i < batch.Count; i++)
                outcomes[offset + i] = response.Results[i];
        }

        if (Options.MaxConcurrentBatches == 1 || batchCount == 1)
        {
            for (var index = 0; index < batchCount; index++)
                await SendOneAsync(index, ct).ConfigureAwait(false);
        }
        else
        {
            var parallel = new ParallelOptions { MaxDegreeOfParallelism = Options.MaxConcurrentBatches, CancellationToken = ct };
            await Parallel.ForEachAsync(Enumerable.Range(0, batchCount), parallel, SendOneAsync).ConfigureAwait(false);
        }
        return new SubmitResult(outcomes, attempts);
    }

    /// <summary>
    /// Sends one batch of 1 to <see cref="WireLimits.BatchRecordsMax"/> records, whatever
    /// <see cref="PuhuiClientOptions.BatchSize"/> says, with the retry policy of <see cref="SubmitAsync"/>.
    /// </summary>
    /// <exception cref="PuhuiApiException">The platform refused the batch, kept failing, or answered out of contract.</exception>
    public async Task<BatchResponse> SendBatchAsync(IReadOnlyList<BehaviourRecord> batch, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(batch);
        var (response, _) = await SendBatchCoreAsync(batch, ct).ConfigureAwait(false);
        return response;
    }

    /// <summary>
    /// Binds <paramref name="userRef"/>, the operator's reference for a person, to the platform account in which the
    /// person obtained the one-time <paramref name="code"/>. Repeating a binding that succeeded returns it again,
    /// so this is retried like a batch.
    /// </summary>
    /// <exception cref="PuhuiApiException">
    /// The platform refused the binding (<see cref="ProblemCodes.BindingCodeInvalid"/>,
    /// <see cref="ProblemCodes.UserRefTaken"/>...) or kept failing.
    /// </exception>
    public async Task<BindingResponse> BindAsync(string code, string userRef, CancellationToken ct = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(code);
        ArgumentException.ThrowIfNullOrEmpty(userRef);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(userRef.Length, WireLimits.UserRefLengthMax, nameof(userRef));
        var body = Serialise(new BindingRequest { Code = code, UserRef = userRef }, PuhuiJsonContext.Default.BindingRequest, 256);
        var (response, attempts, status) = await PostAsync(BindingsPath, body, PuhuiJsonContext.Default.BindingResponse, ct)
            .ConfigureAwait(false);
        if (!string.Equals(response.UserRef, userRef, StringComparison.Ordinal))
            throw Malformed($"the binding is for '{response.UserRef}', not '{userRef}'", status, attempts);
        return response;
    }

    /// <summary>
    /// Sends one signed request with <paramref name="body"/> exactly as given, once, without retrying or reading
    /// the response, and with any deliberate mistakes <paramref name="overrides"/> asks for. Meant for tests of the
    /// server; the caller disposes the response.
    /// </summary>
    public async Task<HttpResponseMessage> SendSignedAsync(
        HttpMethod method, string pathAndQuery, byte[] body, SigningOverrides? overrides = null, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(method);
        ArgumentNullException.ThrowIfNull(body);
        using var request = CreateRequest(method, pathAndQuery, body, RequestSigner.BodyHash(body), overrides);
        return await http.SendAsync(request, ct).ConfigureAwait(false);
    }

    private async Task<(BatchResponse Response, int Attempts)> SendBatchCoreAsync(
        IReadOnlyList<BehaviourRecord> batch, CancellationToken ct)
    {
        if (batch.Count is 0 or > WireLimits.BatchRecordsMax)
            throw new ArgumentOutOfRangeException(nameof(batch), batch.Count,
                $"A batch holds 1 to {WireLimits.BatchRecordsMax} records.");
        for (var i = 0; i < batch.Count; i++)
        {
            if (batch[i] is null)
                throw new ArgumentException($"Record {i} is null.", nameof(batch));
        }
        var hint = (int)Math.Min((long)batch.Count * SerialisedRecordBytesHint, WireLimits.BodyBytesMax);
        byte[] body;
        try
        {
            body = Serialise(new BehaviourBatch { Records = batch }, PuhuiJsonContext.Default.BehaviourBatch, hint);
        }
        catch (JsonException e)
        {
            throw new ArgumentException($"A record cannot be serialised: {e.Message}", nameof(batch), e);
        }
        if (body.Length > WireLimits.BodyBytesMax)
            throw new ArgumentException(
                $"The batch serialises to {body.Length} bytes, more than the {WireLimits.BodyBytesMax} the platform reads; send fewer records per batch.",
                nameof(batch));

        var (response, attempts, status) = await PostAsync(BatchPath, body, PuhuiJsonContext.Default.BatchResponse, ct)
            .ConfigureAwait(false);
        if (Mismatch(batch, response) is { } problem)
            throw Malformed(problem, status, attempts);
        return (response, attempts);
    }

    /// <summary>
    /// POSTs <paramref name="body"/> until a 2xx response, a status that is not worth retrying, or
    /// <see cref="PuhuiClientOptions.MaxAttempts"/> attempts. Every attempt is signed afresh (timestamp, nonce);
    /// the body and its hash are the same bytes every time.
    /// </summary>
    private async Task<(T Value, int Attempts, HttpStatusCode Status)> PostAsync<T>(
        string path, byte[] body, JsonTypeInfo<T> responseType, CancellationToken ct)
    {
        var bodyHash = RequestSigner.BodyHash(body);
        for (var attempt = 1; ; attempt++)
        {
            HttpStatusCode? failedStatus = null;
            Problem? problem = null;
            Exception? failure = null;
            TimeSpan? retryAfter = null;
            try
            {
                using var request = CreateRequest(HttpMethod.Post, path, body, bodyHash, overrides: null);
                using var response = await http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, ct)
                    .ConfigureAwait(false);
                if (response.IsSuccessStatusCode)
                    return (await ReadAsync(response, responseType, attempt, ct).ConfigureAwait(false), attempt, response.StatusCode);
                failedStatus = response.StatusCode;
                problem = await ReadProblemAsync(response, ct).ConfigureAwait(false);
                if (!Backoff.IsRetryable(response.StatusCode))
                    throw new PuhuiApiException($"The platform refused the request: {Describe(response.StatusCode, problem)}.",
                        response.StatusCode, problem, attempt);
                retryAfter = Backoff.RetryAfter(response.Headers.RetryAfter, Options.Time.GetUtcNow());
            }
            catch (Exception e) when (Backoff.IsTransient(e, ct))
            {
                failure = e;
            }

            if (attempt >= Options.MaxAttempts)
            {
                var last = failedStatus is { } status ? Describe(status, problem) : $"{failure!.GetType().Name}: {failure.Message}";
                throw new PuhuiApiException($"Gave up after {attempt} attempts; the last one failed with {last}.",
                    failedStatus, problem, attempt, failure);
            }
            var delay = Backoff.Delay(attempt, Options.InitialBackoff, Options.MaxBackoff, retryAfter);
            await Task.Delay(delay, ct).ConfigureAwait(false);
        }
    }

    private HttpRequestMessage CreateRequest(
        HttpMethod method, string pathAndQuery, byte[] body, string bodyHash, SigningOverrides? overrides)
    {
        ArgumentException.ThrowIfNullOrEmpty(pathAndQuery);
        if (pathAndQuery[0] != '/')
            throw new ArgumentException("The path must start with '/'.", nameof(pathAndQuery));
        var uri = new Uri(baseAddress, pathAndQuery);
        var request = new HttpRequestMessage(method, uri);
        try
        {
            if (body.Length > 0 || method != HttpMethod.Get && method != HttpMethod.Head)
            {
                request.Content = new ByteArrayContent(body);
                request.Content.Headers.ContentType = new MediaTypeHeaderValue(JsonMediaType);
            }
            request.Headers.TryAddWithoutValidation("Accept", $"{JsonMediaType}, {ProblemMediaType}");

            var timestamp = overrides?.Timestamp ?? RequestSigner.FormatTimestamp(Options.Time.GetUtcNow());
            var nonce = overrides?.Nonce ?? RequestSigner.NewNonce();
            var hash = overrides?.BodyHash ?? bodyHash;
            // The request line carries the URI's escaped path and query; that is what the server sees and verifies.
            var signature = overrides?.Signature
                ?? RequestSigner.Sign(overrides?.Secret ?? credentials.Secret, method.Method, uri.PathAndQuery, timestamp, nonce, hash);
            var keyId = overrides?.KeyId ?? credentials.KeyId;
            if (overrides?.OmitHeaders is { } omit)
            {
                keyId = omit.Contains(SignatureHeaders.KeyId) ? null : keyId;
                timestamp = omit.Contains(SignatureHeaders.Timestamp) ? null : timestamp;
                nonce = omit.Contains(SignatureHeaders.Nonce) ? null : nonce;
                hash = omit.Contains(SignatureHeaders.ContentSha256) ? null : hash;
                signature = omit.Contains(SignatureHeaders.Signature) ? null : signature;
            }
            SignatureHeaders.Apply(request, keyId, timestamp, nonce, hash, signature);
            return request;
        }
        catch
        {
            request.Dispose();
            throw;
        }
    }

    private static async Task<T> ReadAsync<T>(
        HttpResponseMessage response, JsonTypeInfo<T> type, int attempts, CancellationToken ct)
    {
        try
        {
            var stream = await response.Content.ReadAsStreamAsync(ct).ConfigureAwait(false);
            await using (stream.ConfigureAwait(false))
            {
                return await JsonSerializer.DeserializeAsync(stream, type, ct).ConfigureAwait(false)
                    ?? throw Malformed("the body is null", response.StatusCode, attempts);
            }
        }
        catch (JsonException e)
        {
            throw Malformed(e.Message, response.StatusCode, attempts, e);
        }
    }

    private static async Task<Problem?> ReadProblemAsync(HttpResponseMessage response, CancellationToken ct)
    {
        if (response.Content.Headers.ContentType?.MediaType is not (ProblemMediaType or JsonMediaType)
            || response.Content.Headers.ContentLength is > ProblemBytesMax)
            return null;
        try
        {
            var stream = await response.Content.ReadAsStreamAsync(ct).ConfigureAwait(false);
            await using (stream.ConfigureAwait(false))
                return await JsonSerializer.DeserializeAsync(stream, PuhuiJsonContext.Default.Problem, ct).ConfigureAwait(false);
        }
        catch (Exception e) when (e is JsonException or IOException or HttpRequestException)
        {
            // An unreadable error body leaves the status to speak for itself.
            return null;
        }
    }

    /// <summary>Why <paramref name="response"/> does not answer <paramref name="batch"/>, or null if it does.</summary>
    private static string? Mismatch(IReadOnlyList<BehaviourRecord> batch, BatchResponse response)
    {
        var results = response.Results;
        if (results.Count != batch.Count)
            return $"{results.Count} results for {batch.Count} records";
        int accepted = 0, duplicates = 0, rejected = 0;
        for (var i = 0; i < results.Count; i++)
        {
            var result = results[i];
            var record = batch[i];
            if (result is null)
                return $"result {i} is null";
            if (!string.Equals(result.Scenario, record.Scenario, StringComparison.Ordinal)
                || !string.Equals(result.ExternalId, record.ExternalId, StringComparison.Ordinal))
                return $"result {i} is for ({result.Scenario}, {result.ExternalId}), not ({record.Scenario}, {record.ExternalId})";
            switch (result.Outcome)
            {
                case Outcomes.Accepted:
                    accepted++;
                    break;
                case Outcomes.Duplicate:
                    duplicates++;
                    break;
                case Outcomes.Rejected:
                    rejected++;
                    break;
                default:
                    return $"result {i} has the unknown outcome '{result.Outcome}'";
            }
        }
        if (accepted != response.Accepted || duplicates != response.Duplicates || rejected != response.Rejected)
            return $"the tallies {response.Accepted}/{response.Duplicates}/{response.Rejected} do not match the results' {accepted}/{duplicates}/{rejected}";
        return null;
    }

    private static IReadOnlyList<BehaviourRecord> Slice(IReadOnlyList<BehaviourRecord> records, int offset, int count)
    {
        if (offset == 0 && count == records.Count)
            return records;
        if (records is BehaviourRecord[] array)
            return new ArraySegment<BehaviourRecord>(array, offset, count);
        var slice = new BehaviourRecord[count];
        for (var i = 0; i < count; i++)
            slice[i] = records[offset + i];
        return slice;
    }

    private static byte[] Serialise<T>(T value, JsonTypeInfo<T> type, int sizeHint)
    {
        using var buffer = new PooledBufferWriter(sizeHint);
        using (var writer = new Utf8JsonWriter(buffer))
            JsonSerializer.Serialize(writer, value, type);
        // An exact copy, not the pooled array itself: the handler may still hold the content when a send is
        // abandoned, and a pooled array could by then be someone else's.
        return buffer.WrittenSpan.ToArray();
    }

    private static string Describe(HttpStatusCode status, Problem? problem)
    {
        var text = $"HTTP {(int)status} {status}";
        if (problem?.Code is { } code)
            text += $" ({code})";
        if (problem?.Detail is { } detail)
            text += $": {detail}";
        else if (problem?.Title is { } title)
            text += $": {title}";
        return text;
    }

    private static PuhuiApiException Malformed(string why, HttpStatusCode status, int attempts, Exception? inner = null) =>
        new($"The platform sent a malformed response: {why}.", status, problem: null, attempts, inner);
}
