namespace Puhui.Client;

/// <summary>
/// Deliberate deviations from a correct signature for <see cref="PuhuiClient.SendSignedAsync"/>, so that tests can
/// check how the server refuses a stale, replayed, tampered or unsigned request. A <see langword="null"/> property
/// means "do it correctly".
/// </summary>
public sealed record SigningOverrides
{
    /// <summary>The timestamp header value to sign and send instead of the clock's.</summary>
    public string? Timestamp { get; init; }

    /// <summary>The nonce to sign and send instead of a fresh one.</summary>
    public string? Nonce { get; init; }

    /// <summary>The key id to send instead of the credentials'.</summary>
    public string? KeyId { get; init; }

    /// <summary>The secret to sign with instead of the credentials'.</summary>
    public string? Secret { get; init; }

    /// <summary>The body hash to sign and send instead of the body's real one.</summary>
    public string? BodyHash { get; init; }

    /// <summary>The signature header value to send instead of the computed one.</summary>
    public string? Signature { get; init; }

    /// <summary>Signature headers (of <see cref="SignatureHeaders"/>) to leave out of the request.</summary>
    public IReadOnlyCollection<string>? OmitHeaders { get; init; }
}
