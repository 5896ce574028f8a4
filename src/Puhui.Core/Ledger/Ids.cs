using System.Globalization;

namespace Puhui.Ledger;

/// <summary>An account in the ledger. Positive; assigned by the store.</summary>
public readonly record struct AccountId
{
    public AccountId(long value)
    {
        if (value <= 0) throw new ArgumentOutOfRangeException(nameof(value), value, "An account id is positive.");
        Value = value;
    }

    public long Value { get; }
    public override string ToString() => Value.ToString(CultureInfo.InvariantCulture);
}

/// <summary>An issuance batch (签发批次): every reduction belongs to exactly one. Positive; assigned by the store.</summary>
public readonly record struct BatchId
{
    public BatchId(long value)
    {
        if (value <= 0) throw new ArgumentOutOfRangeException(nameof(value), value, "A batch id is positive.");
        Value = value;
    }

    public long Value { get; }
    public override string ToString() => Value.ToString(CultureInfo.InvariantCulture);
}

/// <summary>A point lot: points issued to one account from one scenario batch on one day. Positive; assigned by the store.</summary>
public readonly record struct LotId
{
    public LotId(long value)
    {
        if (value <= 0) throw new ArgumentOutOfRangeException(nameof(value), value, "A lot id is positive.");
        Value = value;
    }

    public long Value { get; }
    public override string ToString() => Value.ToString(CultureInfo.InvariantCulture);
}

/// <summary>A transaction's identity: a version 7 UUID, so ids sort roughly by creation time.</summary>
public readonly record struct TransactionId(Guid Value)
{
    public static TransactionId New(DateTimeOffset at) => new(Guid.CreateVersion7(at));
    public static bool TryParse(string? text, out TransactionId id)
    {
        var ok = Guid.TryParse(text, out var guid);
        id = new TransactionId(guid);
        return ok;
    }

    public override string ToString() => Value.ToString("D");
}
