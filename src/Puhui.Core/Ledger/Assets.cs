namespace Puhui.Ledger;

/// <summary>What a posting moves. The numeric values are part of the canonical encoding and never change.</summary>
public enum Asset : byte
{
    /// <summary>Carbon points, in points.</summary>
    Pts = 1,

    /// <summary>Reductions, in grams of CO2e; always with a batch.</summary>
    Co2 = 2,

    /// <summary>Yuan, in fen; only inside the trading venue.</summary>
    Cny = 3,
}

/// <summary>The kind of a transaction. The numeric values are part of the canonical encoding and never change.</summary>
public enum TransactionKind : byte
{
    Issue = 1,
    Redeem = 2,
    Expire = 3,
    Transfer = 4,
    Trade = 5,
    Retire = 6,
    Pledge = 7,
    Release = 8,
    Correct = 9,
}

public static class AssetCodes
{
    public static string Code(this Asset asset) => asset switch
    {
        Asset.Pts => "PTS",
        Asset.Co2 => "CO2",
        Asset.Cny => "CNY",
    };

    public static bool TryParse(string? code, out Asset asset)
    {
        switch (code?.ToUpperInvariant())
        {
            case "PTS": asset = Asset.Pts; return true;
            case "CO2": asset = Asset.Co2; return true;
            case "CNY": asset = Asset.Cny; return true;
            default: asset = default; return false;
        }
    }
}
