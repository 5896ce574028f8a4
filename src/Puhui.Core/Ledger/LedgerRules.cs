namespace Puhui.Ledger;

/// <summary>Why the ledger refused to append a transaction. These are business outcomes, not errors.</summary>
public enum AppendStatus
{
    /// <summary>Appended now.</summary>
    Committed,

    /// <summary>The idempotency key was seen before with the same request: the original transaction is returned.</summary>
    Replayed,

    /// <summary>The idempotency key was seen before with a different request.</summary>
    IdempotencyConflict,

    /// <summary>A non-source account, or a lot, would go below zero.</summary>
    InsufficientBalance,

    /// <summary>A posting names an account, batch or lot that does not exist.</summary>
    UnknownReference,

    /// <summary>The transaction breaks a ledger rule: points between persons, a person's value outside a lot, a lot of another account.</summary>
    RuleViolation,
}

/// <summary>What the ledger needs to know about an account to apply its rules.</summary>
public readonly record struct AccountTraits(AccountKind Kind, bool IsSource);

/// <summary>The rules a transaction must satisfy against the accounts and lots it names, shared by every store.</summary>
public static class LedgerRules
{
    /// <summary>
    /// Checks invariant 4 (points never move between persons; only the platform issues, redeems and clears
    /// them) and that a person's points and grams live in lots of their own. Returns the reason, or null.
    /// </summary>
    public static string? Check(Transaction tx, Func<AccountId, AccountTraits> account, Func<LotId, PointLot> lot)
    {
        var personPaysPoints = false;
        foreach (var p in tx.Postings)
        {
            var traits = account(p.Account);
            if (traits.Kind == AccountKind.Person)
            {
                if (p.Asset == Asset.Cny) return $"persons never hold yuan (account {p.Account})";
                if (p.Lot is null) return $"a person's {p.Asset.Code()} is held in lots (account {p.Account})";
                if (p.Asset == Asset.Pts && p.Amount < 0) personPaysPoints = true;
            }

            if (p.Lot is { } lotId)
            {
                var l = lot(lotId);
                if (l.Account != p.Account) return $"lot {lotId} belongs to account {l.Account}, not {p.Account}";
                if (p.Batch != l.Batch) return $"lot {lotId} is of batch {l.Batch}, not {p.Batch}";
            }
        }

        if (personPaysPoints)
        {
            foreach (var p in tx.Postings)
            {
                if (p.Asset == Asset.Pts && p.Amount > 0 && account(p.Account).Kind != AccountKind.System)
                    return $"points a person spends go only to the platform, not to account {p.Account}";
            }
        }

        return null;
    }
}
