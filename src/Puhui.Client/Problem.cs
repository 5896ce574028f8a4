namespace Puhui.Client;

/// <summary>
/// An RFC 9457 problem details body (<c>application/problem+json</c>), as the server sends it when it refuses a
/// whole request. <see cref="Code"/> is the stable, machine-readable part; everything else is for people.
/// </summary>
public sealed record Problem
{
    /// <summary>A URI naming the problem type, <c>urn:puhui:problem:{code}</c>.</summary>
    public string? Type { get; init; }

    /// <summary>A short summary of the problem type.</summary>
    public string? Title { get; init; }

    /// <summary>The HTTP status code.</summary>
    public int? Status { get; init; }

    /// <summary>What went wrong with this request, for people.</summary>
    public string? Detail { get; init; }

    /// <summary>The stable machine code, one of <see cref="ProblemCodes"/> for ingestion and binding.</summary>
    public string? Code { get; init; }

    /// <summary>A URI naming this occurrence.</summary>
    public string? Instance { get; init; }
}

/// <summary>The <see cref="Problem.Code"/> values with which the server refuses a whole ingestion or binding request.</summary>
public static class ProblemCodes
{
    /// <summary>401: a signature header is missing.</summary>
    public const string SignatureMissing = "signature-missing";

    /// <summary>401: the signature does not verify.</summary>
    public const string SignatureInvalid = "signature-invalid";

    /// <summary>401: the key id is unknown, revoked or expired (one answer for all three, so keys cannot be probed).</summary>
    public const string KeyUnknown = "key-unknown";

    /// <summary>401: the timestamp is malformed or more than <see cref="WireLimits.ReplayWindow"/> from the server's clock.</summary>
    public const string TimestampStale = "timestamp-stale";

    /// <summary>401: the nonce is malformed or was already used with this key within the replay window.</summary>
    public const string NonceReused = "nonce-reused";

    /// <summary>400: the body's SHA-256 differs from the <see cref="SignatureHeaders.ContentSha256"/> header.</summary>
    public const string BodyHashMismatch = "body-hash-mismatch";

    /// <summary>413: more than <see cref="WireLimits.BatchRecordsMax"/> records, or more than <see cref="WireLimits.BodyBytesMax"/> bytes.</summary>
    public const string BatchTooLarge = "batch-too-large";

    /// <summary>400: the body is not JSON, lacks a required field, or has no records.</summary>
    public const string BatchMalformed = "batch-malformed";

    /// <summary>403: a record names a scenario this operator does not run.</summary>
    public const string ScenarioForbidden = "scenario-forbidden";

    /// <summary>400: the binding code is unknown, used or expired.</summary>
    public const string BindingCodeInvalid = "binding-code-invalid";

    /// <summary>409: the user reference is already bound to another person.</summary>
    public const string UserRefTaken = "user-ref-taken";
}
