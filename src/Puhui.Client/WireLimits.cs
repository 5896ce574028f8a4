namespace Puhui.Client;

/// <summary>
/// The limits of the ingestion API. The server refuses a request that exceeds them; the client checks the ones it
/// can before sending, so an operator learns about them from an exception rather than from a refused request.
/// </summary>
public static class WireLimits
{
    /// <summary>The most records one batch may carry.</summary>
    public const int BatchRecordsMax = 10_000;

    /// <summary>The longest <see cref="BehaviourRecord.ExternalId"/>, in UTF-16 characters.</summary>
    public const int ExternalIdLengthMax = 128;

    /// <summary>The longest <see cref="BehaviourRecord.UserRef"/>, in UTF-16 characters.</summary>
    public const int UserRefLengthMax = 128;

    /// <summary>
    /// How far a request's signed timestamp may be from the server's clock, in either direction, and how long
    /// the server remembers a nonce.
    /// </summary>
    public static readonly TimeSpan ReplayWindow = TimeSpan.FromMinutes(5);

    /// <summary>The shortest nonce the server accepts, in characters.</summary>
    public const int NonceLengthMin = 16;

    /// <summary>The longest nonce the server accepts, in characters.</summary>
    public const int NonceLengthMax = 64;

    /// <summary>The largest request body the server reads, in bytes.</summary>
    public const int BodyBytesMax = 16 * 1024 * 1024;
}
