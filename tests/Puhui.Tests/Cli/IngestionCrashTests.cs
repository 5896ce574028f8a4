using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using Puhui.Client;
using Puhui.Ingestion;
using Puhui.Ledger;
using Puhui.Storage;
using Puhui.Storage.Access;
using Puhui.Storage.Ingestion;
using Puhui.Testing;
using Puhui.Storage.Ledger;
using Puhui.Storage.Methodologies;
using Puhui.Tests.Methodologies;
using Xunit.Abstractions;

namespace Puhui.Tests.Cli;

/// <summary>
/// <c>puhui serve</c> killed with SIGKILL while signed batches stream in: every acknowledged record survives exactly
/// once with the outcome the client was told, the client's resends of everything else leave each record present
/// exactly once, and <c>puhui audit</c> passes.
/// </summary>
public class IngestionCrashTests(ITestOutputHelper output)
{
    public const int Persons = 30;
    public const int Batches = 40;
    public const int RecordsPerBatch = 200;
    public const int Senders = 3;
    public const int AcknowledgedBeforeKill = 8;

    /// <summary>Acknowledged batches resent after the restart, to see them come back as duplicates.</summary>
    public const int AcknowledgedResent = 3;

    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(90);

    public static TheoryData<StoreKind> Stores => TestStores.All;

    [Theory, MemberData(nameof(Stores))]
    public async Task Killing_the_server_mid_stream_loses_no_acknowledged_record_and_resends_count_each_record_once(StoreKind kind)
    {
        using var deadline = new CancellationTokenSource(Deadline);
        var ct = deadline.Token;
        var setting = await TestStores.CreateSettingAsync(kind);
        var masterKey = RandomNumberGenerator.GetBytes(MasterKey.KeyBytes);
        var key = await PrepareAsync(setting, masterKey, ct);

        // A few minutes ago on the system clock, which the child server reads too; after the consents (ten minutes ago).
        var start = DateTimeOffset.UtcNow.AddMinutes(-3);
        var batches = Enumerable.Range(0, Batches).Select(b => Enumerable.Range(b * RecordsPerBatch, RecordsPerBatch).Select(n => new BehaviourRecord
        {
            Scenario = "sz-metro", ExternalId = $"trip-{n:D6}", UserRef = $"rider-{n % Persons}", OccurredAt = start.AddMilliseconds(n),
            // 46 g and 4 points a ride: about 270 rides a person stay below the metro's 20,000 g a day.
            Inputs = new Dictionary<string, decimal> { ["distance"] = 1, ["duration"] = 5 },
        }).ToArray()).ToArray();

        var acknowledged = new ConcurrentDictionary<int, BatchResponse>();
        var unexpected = new ConcurrentQueue<string>();
        int inFlightAtKill;
        await using (var server = await ServerProcess.StartAsync(setting, masterKey, ct))
        {
            using var http = new HttpClient { BaseAddress = server.BaseAddress, Timeout = TimeSpan.FromSeconds(20) };
            // One attempt each: a batch is acknowledged only by the response to the request that was in flight.
            var client = new PuhuiClient(http, key, new PuhuiClientOptions { MaxAttempts = 1 });
            int next = -1, inFlight = 0, stopped = 0;

            async Task SendAsync()
            {
                while (Volatile.Read(ref stopped) == 0)
                {
                    var index = Interlocked.Increment(ref next);
                    if (index >= Batches) return;
                    Interlocked.Increment(ref inFlight);
                    try
                    {
                        acknowledged[index] = await client.SendBatchAsync(batches[index], ct);
                    }
                    catch (PuhuiApiException e) when (e.StatusCode is null or >= HttpStatusCode.InternalServerError)
                    {
                        // No answer, or the server died answering: not acknowledged, to be resent.
                    }
                    catch (PuhuiApiException e)
                    {
                        unexpected.Enqueue($"batch {index}: {e.Message}");
                    }
                    finally
                    {
                        Interlocked.Decrement(ref inFlight);
                    }
                }
            }

            var senders = Enumerable.Range(0, Senders).Select(_ => Task.Run(SendAsync, ct)).ToArray();
            while (acknowledged.Count < AcknowledgedBeforeKill || Volatile.Read(ref inFlight) == 0)
            {
                Assert.False(senders.All(s => s.IsCompleted), $"the senders stopped before the kill, with {acknowledged.Count} batches acknowledged: {string.Join("; ", unexpected)}");
                await WithinDeadlineAsync(Task.Delay(2, ct), "waiting for acknowledged batches", server);
            }

            Volatile.Write(ref stopped, 1);
            inFlightAtKill = Volatile.Read(ref inFlight);
            server.Kill();
            await WithinDeadlineAsync(Task.WhenAll(senders), "the senders to notice the kill", server);
        }

        Assert.Empty(unexpected);
        Assert.True(inFlightAtKill > 0, "no batch was in flight when the server was killed");
        Assert.True(acknowledged.Count < Batches, "every batch was acknowledged before the kill, so the kill tested nothing");
        foreach (var (index, response) in acknowledged)
            Assert.True(response.Accepted == RecordsPerBatch, $"batch {index} was sent once and should be all accepted: {response.Accepted}/{response.Duplicates}/{response.Rejected}");

        // Restart on the same store and resend what has no answer, plus a few that have one.
        var resent = new ConcurrentDictionary<int, BatchResponse>();
        await using (var server = await ServerProcess.StartAsync(setting, masterKey, ct))
        {
            using var http = new HttpClient { BaseAddress = server.BaseAddress, Timeout = TimeSpan.FromSeconds(20) };
            var client = new PuhuiClient(http, key, new PuhuiClientOptions { MaxAttempts = 5, InitialBackoff = TimeSpan.FromMilliseconds(50) });
            var again = Enumerable.Range(0, Batches).Where(i => !acknowledged.ContainsKey(i)).Concat(acknowledged.Keys.Order().Take(AcknowledgedResent)).ToList();
            await WithinDeadlineAsync(Parallel.ForEachAsync(again, new ParallelOptions { MaxDegreeOfParallelism = Senders, CancellationToken = ct },
                async (index, token) => resent[index] = await client.SendBatchAsync(batches[index], token)), "resending after the restart", server);
            server.Kill();
        }

        // What the client was told, per record: the accepted outcome, from the first answer or from the duplicate's original.
        var told = new Dictionary<string, RecordOutcome>(StringComparer.Ordinal);
        foreach (var (index, response) in acknowledged)
        {
            foreach (var outcome in response.Results) told[outcome.ExternalId] = outcome;
        }

        var committedButUnacknowledged = 0;
        foreach (var (index, response) in resent)
        {
            Assert.True(response.Rejected == 0, $"batch {index} resent: {response.Rejected} records rejected");
            foreach (var outcome in response.Results)
            {
                var first = outcome.Outcome == Outcomes.Duplicate ? outcome.Original! : outcome;
                Assert.Equal(Outcomes.Accepted, first.Outcome);
                if (acknowledged.ContainsKey(index))
                {
                    Assert.Equal(Outcomes.Duplicate, outcome.Outcome);
                    Assert.Equal((told[outcome.ExternalId].Grams, told[outcome.ExternalId].Points, told[outcome.ExternalId].AcceptedAt), (first.Grams, first.Points, first.AcceptedAt));
                    continue;
                }

                if (outcome.Outcome == Outcomes.Duplicate) committedButUnacknowledged++;
                told[outcome.ExternalId] = first;
            }
        }

        var stored = await StoredRecordsAsync(setting, ct);
        Assert.Equal(Batches * RecordsPerBatch, stored.Count);
        Assert.Equal(Batches * RecordsPerBatch, told.Count);
        foreach (var (externalId, rows) in stored)
        {
            Assert.True(rows.Count == 1, $"record {externalId} is stored {rows.Count} times");
            var outcome = told[externalId];
            Assert.True((outcome.Grams, outcome.Points) == (rows[0].Grams, rows[0].Points),
                $"record {externalId}: the client was told {outcome.Grams} g and {outcome.Points} points, the store holds {rows[0].Grams} g and {rows[0].Points}");
        }

        output.WriteLine($"{kind}: {acknowledged.Count} of {Batches} batches acknowledged before the kill, {inFlightAtKill} in flight at it; "
            + $"{committedButUnacknowledged} records were committed but never acknowledged, and came back as duplicates.");

        var audit = await PuhuiProcess.RunAsync("audit", "--db", setting);
        Assert.True(audit.ExitCode == 0, audit.Output + audit.Error);
        Assert.Contains("接入审计通过 / Ingestion audit passed", audit.Output, StringComparison.Ordinal);
    }

    /// <summary>
    /// Migrates the store and sets it up in-process: the metro methodology, an operator running <c>sz-metro</c>, an API
    /// key sealed with <paramref name="masterKey"/>, and <see cref="Persons"/> riders bound and consenting ten minutes ago.
    /// </summary>
    private static async Task<OperatorCredentials> PrepareAsync(string setting, byte[] masterKey, CancellationToken ct)
    {
        var earlier = new ManualClock(DateTimeOffset.UtcNow.AddMinutes(-10));
        await using var store = await LedgerStore.OpenAsync(setting, earlier, ct);
        await store.MigrateAsync(ct);
        var methodology = await new MethodologyStore(store.Dialect, earlier)
            .RegisterAsync(await File.ReadAllTextAsync(Path.Combine(MethodologyText.LibraryDirectory(), "metro.yaml"), ct), ct);
        Assert.True(methodology.Succeeded, methodology.Problem);
        var op = (await store.OpenAccountAsync(new NewAccount(AccountKind.Organisation, "org:sz-metro", "深圳地铁", OrganisationRoles.Operator), ct)).Id;
        var scenarios = new ScenarioStore(store, earlier);
        var scenario = await GovernanceSeeding.RunScenarioAsync(store, scenarios, op, new ScenarioDefinition
        {
            Code = "sz-metro", TitleZh = "深圳地铁出行", TitleEn = "Shenzhen metro", MethodologyId = "metro", MethodologyVersion = "1.0.0", Region = "440300",
        }, earlier, ct);
        Assert.Equal(ScenarioStatus.Running, scenario.Status);
        var key = await new ApiKeys(store, MasterKey.FromBytes(masterKey), earlier).IssueAsync(op, "crash test", ct);

        var bindings = new Bindings(store, earlier);
        var consents = new Consents(store, earlier);
        for (var i = 0; i < Persons; i++)
        {
            var person = (await store.OpenAccountAsync(new NewAccount(AccountKind.Person, $"person:rider-{i}", $"Rider {i}"), ct)).Id;
            var code = await bindings.IssueCodeAsync(person, op, ct);
            Assert.Equal(BindOutcome.Bound, (await bindings.BindAsync(op, code.Code, $"rider-{i}", ct)).Outcome);
            Assert.Equal(GrantOutcome.Granted, (await consents.GrantAsync(person, "sz-metro", ct)).Outcome);
        }

        return new OperatorCredentials(key.KeyId, key.Secret);
    }

    /// <summary>Every stored <c>sz-metro</c> record by external id, with its grams and points (a list, so a second copy would show).</summary>
    private static async Task<Dictionary<string, List<(long Grams, long Points)>>> StoredRecordsAsync(string setting, CancellationToken ct)
    {
        await using var store = await LedgerStore.OpenAsync(setting, null, ct);
        await using var connection = await store.Dialect.OpenAsync(ct);
        await using var cmd = connection.CreateCommand();
        cmd.CommandText = "SELECT r.external_id, r.grams, r.points FROM behaviour_records r JOIN scenarios s ON s.id = r.scenario_id WHERE s.code = 'sz-metro'";
        var stored = new Dictionary<string, List<(long, long)>>(StringComparer.Ordinal);
        await using var reader = await cmd.ExecuteReaderAsync(ct);
        while (await reader.ReadAsync(ct))
        {
            if (!stored.TryGetValue(reader.GetString(0), out var rows)) stored[reader.GetString(0)] = rows = [];
            rows.Add((reader.GetInt64(1), reader.GetInt64(2)));
        }

        return stored;
    }

    private static async Task WithinDeadlineAsync(Task task, string what, ServerProcess server)
    {
        try
        {
            await task;
        }
        catch (OperationCanceledException e)
        {
            throw new TimeoutException($"The crash test ran out of its {Deadline.TotalSeconds} s while {what}; the server printed: {server.Output}", e);
        }
    }

    /// <summary><c>puhui serve</c> as a child process on a free loopback port, with the test's master key.</summary>
    private sealed class ServerProcess : IAsyncDisposable
    {
        private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(30);
        private const int OutputLinesKept = 40;

        private readonly Process _process;
        private readonly ConcurrentQueue<string> _output = new();

        private ServerProcess(Process process, Uri baseAddress)
        {
            _process = process;
            BaseAddress = baseAddress;
        }

        public Uri BaseAddress { get; }

        /// <summary>The last lines the server printed, for failure messages.</summary>
        public string Output => string.Join(" | ", _output);

        public static async Task<ServerProcess> StartAsync(string setting, byte[] masterKey, CancellationToken ct)
        {
            var url = $"http://127.0.0.1:{FreePort()}";
            var info = PuhuiProcess.StartInfo("serve", "--db", setting, "--urls", url);
            info.Environment[MasterKey.KeyVariable] = Convert.ToBase64String(masterKey);
            var server = new ServerProcess(Process.Start(info) ?? throw new InvalidOperationException("dotnet did not start"), new Uri(url));
            server._process.OutputDataReceived += (_, e) => server.Remember(e.Data);
            server._process.ErrorDataReceived += (_, e) => server.Remember(e.Data);
            server._process.BeginOutputReadLine();
            server._process.BeginErrorReadLine();
            try
            {
                await server.WaitForHealthAsync(ct);
            }
            catch
            {
                await server.DisposeAsync();
                throw;
            }

            return server;
        }

        /// <summary>SIGKILL on Unix: no chance to finish a request, flush or clean up.</summary>
        public void Kill()
        {
            if (!_process.HasExited) _process.Kill(entireProcessTree: true);
            Assert.True(_process.WaitForExit(TimeSpan.FromSeconds(10)), "the killed server did not exit within 10 s");
        }

        private async Task WaitForHealthAsync(CancellationToken ct)
        {
            using var http = new HttpClient { BaseAddress = BaseAddress, Timeout = TimeSpan.FromSeconds(2) };
            var watch = Stopwatch.StartNew();
            while (true)
            {
                if (_process.HasExited)
                    throw new InvalidOperationException($"puhui serve exited with {_process.ExitCode} before answering /health: {Output}");
                if (watch.Elapsed > StartTimeout)
                    throw new TimeoutException($"puhui serve did not answer /health on {BaseAddress} within {StartTimeout.TotalSeconds} s: {Output}");
                try
                {
                    using var response = await http.GetAsync(new Uri("/health", UriKind.Relative), ct);
                    if (response.IsSuccessStatusCode) return;
                }
                catch (Exception e) when (e is HttpRequestException or TaskCanceledException && !ct.IsCancellationRequested)
                {
                    // Not listening yet.
                }

                await Task.Delay(100, ct);
            }
        }

        private void Remember(string? line)
        {
            if (line is null) return;
            _output.Enqueue(line);
            while (_output.Count > OutputLinesKept) _output.TryDequeue(out _);
        }

        private static int FreePort()
        {
            using var probe = new TcpListener(IPAddress.Loopback, 0);
            probe.Start();
            var port = ((IPEndPoint)probe.LocalEndpoint).Port;
            probe.Stop();
            return port;
        }

        public ValueTask DisposeAsync()
        {
            if (!_process.HasExited) _process.Kill(entireProcessTree: true);
            _process.WaitForExit(TimeSpan.FromSeconds(10));
            _process.Dispose();
            return ValueTask.CompletedTask;
        }
    }
}
