using Microsoft.AspNetCore.Http.HttpResults;
using Puhui.Ledger;
using Puhui.Storage.Access;
using Puhui.Storage.Ledger;

namespace Puhui.Host.Http;

public sealed record BalanceDto(string Asset, long? Batch, long Amount);
public sealed record LotDto(long Id, long Batch, DateOnly Day, DateOnly ExpiresOn, long Points, long Grams);
public sealed record PostingDto(long Account, string Asset, long? Batch, long? Lot, long Amount);
public sealed record TransactionDto(long Sequence, string Id, string IdempotencyKey, string Kind, DateTimeOffset OccurredAt, string Actor, string Reference, string Hash, IReadOnlyList<PostingDto> Postings)
{
    public static TransactionDto From(StoredTransaction s) => new(s.Sequence, s.Transaction.Id.ToString(), s.Transaction.IdempotencyKey, s.Transaction.Kind.ToString(),
        s.Transaction.OccurredAt, s.Transaction.Actor, s.Transaction.Reference, Convert.ToHexStringLower(s.Hash),
        s.Transaction.Postings.Select(p => new PostingDto(p.Account.Value, p.Asset.Code(), p.Batch?.Value, p.Lot?.Value, p.Amount)).ToList());
}

public sealed record AccountDto(long Id, string Kind, string Code, string DisplayName, string Roles, bool IsSource, DateTimeOffset CreatedAt);
public sealed record AccountBalancesDto(AccountDto Account, IReadOnlyList<BalanceDto> Balances);
public sealed record LotsDto(long Account, IReadOnlyList<LotDto> Lots);
public sealed record HistoryDto(long Account, IReadOnlyList<TransactionDto> Transactions, long? NextBefore);
public sealed record HeadDto(long Sequence, string Hash);

/// <summary>
/// Read endpoints over the ledger: an account's balances, lots and history (for its holder and the administrator),
/// one transaction (for a party to it and the administrator), and the chain head (public).
/// </summary>
public static class LedgerEndpoints
{
    public const int HistoryPageDefault = 50;

    public static RouteGroupBuilder MapLedger(this RouteGroupBuilder api)
    {
        var group = api.MapGroup("").WithTags("Ledger");
        group.MapGet("/accounts/{id:long}/balances", GetBalances).WithName("GetAccountBalances");
        group.MapGet("/accounts/{id:long}/lots", GetLots).WithName("GetAccountLots");
        group.MapGet("/accounts/{id:long}/history", GetHistory).WithName("GetAccountHistory");
        group.MapGet("/transactions/{id}", GetTransaction).WithName("GetTransaction");
        group.MapGet("/ledger/head", GetHead).WithName("GetLedgerHead");
        return group;
    }

    private static async Task<Results<Ok<AccountBalancesDto>, ProblemHttpResult>> GetBalances(long id, HttpContext http, AccessTokens tokens, LedgerStore store, CancellationToken ct)
    {
        if (await ReadableAsync(http, tokens, store, id, ct) is { } problem) return problem;
        if (await FindAsync(store, id, ct) is not { } account) return Problems.Of("account-not-found", $"account {id}");
        var balances = await store.GetBalancesAsync(account.Id, ct);
        return TypedResults.Ok(new AccountBalancesDto(ToDto(account), balances.Select(b => new BalanceDto(b.Asset.Code(), b.Batch?.Value, b.Amount)).ToList()));
    }

    private static async Task<Results<Ok<LotsDto>, ProblemHttpResult>> GetLots(long id, HttpContext http, AccessTokens tokens, LedgerStore store, CancellationToken ct, bool includeEmpty = false)
    {
        if (await ReadableAsync(http, tokens, store, id, ct) is { } problem) return problem;
        if (await FindAsync(store, id, ct) is not { } account) return Problems.Of("account-not-found", $"account {id}");
        var lots = await store.GetLotsAsync(account.Id, includeEmpty, ct);
        return TypedResults.Ok(new LotsDto(id, lots.Select(l => new LotDto(l.Lot.Id.Value, l.Lot.Batch.Value, l.Lot.Day, l.Lot.ExpiresOn, l.Points.Value, l.Grams.Value)).ToList()));
    }

    private static async Task<Results<Ok<HistoryDto>, ProblemHttpResult>> GetHistory(long id, HttpContext http, AccessTokens tokens, LedgerStore store, CancellationToken ct,
        long? before = null, int limit = HistoryPageDefault)
    {
        if (await ReadableAsync(http, tokens, store, id, ct) is { } problem) return problem;
        if (limit is < 1 or > LedgerStore.HistoryPageMax) return Problems.Of("invalid-argument", $"limit must be 1–{LedgerStore.HistoryPageMax}");
        if (before is <= 0) return Problems.Of("invalid-argument", "before must be a positive sequence number");
        if (await FindAsync(store, id, ct) is not { } account) return Problems.Of("account-not-found", $"account {id}");
        var page = await store.GetHistoryAsync(account.Id, before, limit, ct);
        return TypedResults.Ok(new HistoryDto(id, page.Transactions.Select(TransactionDto.From).ToList(), page.NextBefore));
    }

    private static async Task<Results<Ok<TransactionDto>, ProblemHttpResult>> GetTransaction(string id, HttpContext http, AccessTokens tokens, LedgerStore store, CancellationToken ct)
    {
        var (principal, problem) = await Callers.AuthenticateAsync(http, tokens, ct);
        if (problem is not null) return problem;
        if (!TransactionId.TryParse(id, out var txId)) return Problems.Of("invalid-argument", "a transaction id is a UUID");
        var stored = await store.GetTransactionAsync(txId, ct);
        // Someone who is not a party learns nothing, not even that the transaction exists.
        var party = principal!.Role == PrincipalRole.Administrator || stored?.Transaction.Postings.Any(p => p.Account == principal.Account) == true;
        return stored is null || !party ? Problems.Of("transaction-not-found", $"transaction {id}") : TypedResults.Ok(TransactionDto.From(stored));
    }

    /// <summary>The problem to answer when the caller may not read the account, or null. An invalid id is left for the handler to report.</summary>
    private static async Task<ProblemHttpResult?> ReadableAsync(HttpContext http, AccessTokens tokens, LedgerStore store, long id, CancellationToken ct)
    {
        if (id <= 0) return (await Callers.AuthenticateAsync(http, tokens, ct)).Problem;
        return (await Callers.ReaderOfAsync(http, tokens, new AccountId(id), ct)).Problem;
    }

    private static async Task<Ok<HeadDto>> GetHead(LedgerStore store, CancellationToken ct)
    {
        var (seq, hash) = await store.GetHeadAsync(ct);
        return TypedResults.Ok(new HeadDto(seq, Convert.ToHexStringLower(hash)));
    }

    private static async Task<Account?> FindAsync(LedgerStore store, long id, CancellationToken ct)
        => id <= 0 ? null : await store.FindAccountAsync(new AccountId(id), ct);

    private static AccountDto ToDto(Account a) => new(a.Id.Value, a.Kind.ToString(), a.Code, a.DisplayName, a.Roles.ToString(), a.IsSource, a.CreatedAt);
}
