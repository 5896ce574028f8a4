using System.Security.Cryptography;
using Puhui.Ledger;

namespace Puhui.Mall;

/// <summary>Why a redemption, a cancellation or a voucher's use was refused. Business outcomes, not errors.</summary>
public enum MallRefusal
{
    None = 0,

    /// <summary>The offer is not on sale (draft, paused, ended or delisted).</summary>
    NotOnSale,

    /// <summary>Now is outside the offer's validity window.</summary>
    OutsideWindow,

    SoldOut,

    /// <summary>The person already holds as many redemptions of the offer as it allows.</summary>
    PerPersonLimit,

    /// <summary>The person's unexpired lots hold fewer points than the price.</summary>
    InsufficientPoints,

    /// <summary>The sink provider no longer holds enough grams of the sink batch.</summary>
    SinkExhausted,

    /// <summary>The same request key was used before for a different offer.</summary>
    RequestKeyReused,

    VoucherUsed,
    VoucherCancelled,

    /// <summary>The voucher's validity has passed.</summary>
    VoucherExpired,

    /// <summary>The cancellation window has closed, or the offer allows none (sinks never).</summary>
    CancellationClosed,

    /// <summary>The provider no longer holds the grams the redemption gave it, so it cannot be reversed exactly.</summary>
    ReversalImpossible,
}

/// <summary>Where a voucher stands.</summary>
public enum VoucherStatus : byte
{
    Issued = 1,
    Used = 2,
    Cancelled = 3,
}

/// <summary>The mall's rules in one place: what a redemption, a cancellation and a voucher's use must satisfy.</summary>
public static class MallRules
{
    /// <summary>Checks a redemption before any points are looked at.</summary>
    /// <param name="held">The person's redemptions of this offer that are not cancelled.</param>
    public static MallRefusal CheckRedemption(OfferStatus status, OfferDefinition offer, int stockLeft, int held, DateTimeOffset now)
    {
        if (status != OfferStatus.OnSale) return MallRefusal.NotOnSale;
        if (now < offer.ValidFrom || now >= offer.ValidUntil) return MallRefusal.OutsideWindow;
        if (stockLeft <= 0) return MallRefusal.SoldOut;
        if (held >= offer.PerPersonLimit) return MallRefusal.PerPersonLimit;
        return MallRefusal.None;
    }

    /// <summary>The last instant a voucher issued at <paramref name="redeemedAt"/> can be cancelled; null when never.</summary>
    public static DateTimeOffset? CancellableUntil(OfferDefinition offer, DateTimeOffset redeemedAt)
        => offer.IsSink || offer.CancellationHours == 0 ? null : redeemedAt.AddHours(offer.CancellationHours);

    /// <summary>The instant a voucher issued at <paramref name="redeemedAt"/> stops being usable.</summary>
    public static DateTimeOffset VoucherExpiresAt(OfferDefinition offer, DateTimeOffset redeemedAt) => redeemedAt.AddDays(offer.VoucherValidDays);

    public static MallRefusal CheckCancellation(VoucherStatus status, DateTimeOffset? cancellableUntil, DateTimeOffset now) => status switch
    {
        VoucherStatus.Used => MallRefusal.VoucherUsed,
        VoucherStatus.Cancelled => MallRefusal.VoucherCancelled,
        _ when cancellableUntil is not { } until || now > until => MallRefusal.CancellationClosed,
        _ => MallRefusal.None,
    };

    public static MallRefusal CheckUse(VoucherStatus status, DateTimeOffset expiresAt, DateTimeOffset now) => status switch
    {
        VoucherStatus.Used => MallRefusal.VoucherUsed,
        VoucherStatus.Cancelled => MallRefusal.VoucherCancelled,
        _ when now >= expiresAt => MallRefusal.VoucherExpired,
        _ => MallRefusal.None,
    };

    /// <summary>
    /// Builds the transaction that reverses a redemption exactly: every posting of the original inverted, so the
    /// same points and grams go back into the same lots (which keep their expiry), and stock is restored by the caller.
    /// </summary>
    public static Transaction Reverse(Transaction original, string idempotencyKey, DateTimeOffset at, string actor, string reference)
    {
        var builder = new TransactionBuilder(TransactionKind.Correct, idempotencyKey, at, actor) { Reference = reference };
        foreach (var p in original.Postings) builder.Add(p with { Amount = checked(-p.Amount) });
        return builder.Build();
    }
}

/// <summary>Voucher codes: 80 random bits in Crockford base32, grouped for reading aloud at a counter.</summary>
public static class VoucherCodes
{
    private const string Alphabet = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";

    /// <summary>A fresh code like <c>7K2M-9QXD-4HTR-B1WE</c>: 2^80 possibilities, so codes cannot be guessed.</summary>
    public static string New()
    {
        Span<byte> bytes = stackalloc byte[10];
        RandomNumberGenerator.Fill(bytes);
        Span<char> chars = stackalloc char[19];
        var bits = 0;
        var buffer = 0;
        var written = 0;
        foreach (var b in bytes)
        {
            buffer = (buffer << 8) | b;
            bits += 8;
            while (bits >= 5)
            {
                bits -= 5;
                if (written is 4 or 9 or 14) chars[written++] = '-';
                chars[written++] = Alphabet[(buffer >> bits) & 31];
            }
        }

        return new string(chars);
    }

    /// <summary>
    /// Normalises what a person or a scanner typed: upper case, no spaces, and the letters Crockford base32 reads
    /// as digits (O → 0, I and L → 1); returns null when it cannot be a code.
    /// </summary>
    public static string? Normalise(string? typed)
    {
        if (string.IsNullOrWhiteSpace(typed)) return null;
        var compact = new string(typed.Where(c => c != '-' && !char.IsWhiteSpace(c)).Select(char.ToUpperInvariant)
            .Select(c => c switch { 'O' => '0', 'I' or 'L' => '1', _ => c }).ToArray());
        if (compact.Length != 16 || compact.Any(c => !Alphabet.Contains(c, StringComparison.Ordinal))) return null;
        return $"{compact[..4]}-{compact[4..8]}-{compact[8..12]}-{compact[12..]}";
    }

    /// <summary>What the voucher's QR code carries: the code itself, under a scheme a counter's scanner recognises.</summary>
    public static string QrPayload(string code) => $"puhui:voucher:{code}";
}
