using Puhui.Ledger;

namespace Puhui.Mall;

/// <summary>The platform accounts honour is measured against.</summary>
public sealed record HonourAccounts(AccountId PointsIssuance, AccountId ReductionIssuance, AccountId Redeemed, AccountId Expired, AccountId Retired);

/// <summary>
/// 荣誉 (JS 38, JS 32): what a person's points did, kept forever and derived from the journal alone, so it can never
/// drift from the ledger. A cancelled redemption takes back what it added.
/// </summary>
/// <param name="PointsEarned">Points issued to the person.</param>
/// <param name="PointsRedeemed">Points spent in the mall (including sink donations).</param>
/// <param name="PointsCleared">Points cleared at expiry (JS 37).</param>
/// <param name="GramsToProviders">Reduction grams that passed to providers with redeemed points (JS 37, NJ 8).</param>
/// <param name="GramsCleared">Grams inside expired points, retired as voluntary cancellation (JS 37).</param>
/// <param name="GramsDonated">Carbon-sink grams retired in the person's name by donations (NJ annex 2).</param>
public sealed record Honour(long PointsEarned, long PointsRedeemed, long PointsCleared, long GramsToProviders, long GramsCleared, long GramsDonated)
{
    public static Honour None { get; } = new(0, 0, 0, 0, 0, 0);

    /// <summary>Grams retired on the person's account or in their name: cleared plus donated.</summary>
    public long GramsRetired => checked(GramsCleared + GramsDonated);

    /// <summary>Adds what one transaction did for <paramref name="person"/>; transactions that do not touch them add nothing.</summary>
    public Honour Add(Transaction tx, AccountId person, HonourAccounts accounts)
    {
        ArgumentNullException.ThrowIfNull(tx);
        ArgumentNullException.ThrowIfNull(accounts);
        long earned = 0, redeemed = 0, cleared = 0, toProviders = 0, gramsCleared = 0, donated = 0;
        var pays = false;
        foreach (var p in tx.Postings)
        {
            if (p.Account != person) continue;
            var counterpart = Counterpart(tx, p);
            if (p.Asset == Asset.Pts)
            {
                if (p.Amount < 0) pays = true;
                if (counterpart == accounts.Redeemed) redeemed -= p.Amount;
                else if (counterpart == accounts.Expired) cleared -= p.Amount;
                else if (counterpart == accounts.PointsIssuance) earned += p.Amount;
            }
            else if (p.Asset == Asset.Co2 && counterpart is { } other && other != accounts.ReductionIssuance)
            {
                // To the retired account only at expiry; to anyone else (a provider) only by a redemption or its reversal.
                if (other == accounts.Retired) gramsCleared -= p.Amount;
                else toProviders -= p.Amount;
            }
        }

        // A sink redemption retires the provider's grams in the person's name, in the transaction the person pays for.
        if (pays && tx.Kind == TransactionKind.Redeem)
        {
            foreach (var p in tx.Postings)
            {
                if (p.Account == accounts.Retired && p.Asset == Asset.Co2) donated += p.Amount;
            }
        }

        if (earned == 0 && redeemed == 0 && cleared == 0 && toProviders == 0 && gramsCleared == 0 && donated == 0) return this;
        return new Honour(
            checked(PointsEarned + earned),
            checked(PointsRedeemed + redeemed),
            checked(PointsCleared + cleared),
            checked(GramsToProviders + toProviders),
            checked(GramsCleared + gramsCleared),
            checked(GramsDonated + donated));
    }

    /// <summary>
    /// The account on the other side of a person's posting: the other account with an opposite posting of the same asset
    /// and batch. The platform's transactions move one asset of one batch between the person and one other account.
    /// </summary>
    private static AccountId? Counterpart(Transaction tx, Posting posting)
    {
        foreach (var p in tx.Postings)
        {
            if (p.Account != posting.Account && p.Asset == posting.Asset && p.Batch == posting.Batch && Math.Sign(p.Amount) == -Math.Sign(posting.Amount))
                return p.Account;
        }

        return null;
    }
}
