namespace Puhui.Client;

/// <summary>
/// An operator's API key as the platform issued it: a key id (<c>pk_...</c>), sent with every request, and a
/// secret (<c>sk_...</c>), which only keys the signature and never leaves the process. Both are opaque to the SDK.
/// <see cref="ToString"/> leaves the secret out so that the credentials can be logged.
/// </summary>
public sealed record OperatorCredentials(string KeyId, string Secret)
{
    /// <summary>The key id; not empty or white space.</summary>
    public string KeyId { get; init => field = Require(value, nameof(KeyId)); } = Require(KeyId, nameof(KeyId));

    /// <summary>The signing secret; not empty or white space.</summary>
    public string Secret { get; init => field = Require(value, nameof(Secret)); } = Require(Secret, nameof(Secret));

    /// <summary>The key id only.</summary>
    public override string ToString() => $"OperatorCredentials {{ KeyId = {KeyId} }}";

    private static string Require(string value, string name)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(value, name);
        return value;
    }
}
