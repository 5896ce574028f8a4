namespace Puhui.Client;

/// <summary>
/// The body of <c>POST /api/v1/bindings</c>: binds the operator's reference for a person to the platform account
/// in which the person obtained the one-time <see cref="Code"/>.
/// </summary>
public sealed record BindingRequest
{
    /// <summary>The one-time binding code the person got in their platform account.</summary>
    public required string Code { get; init; }

    /// <summary>The operator's own reference for the person, 1 to <see cref="WireLimits.UserRefLengthMax"/> characters.</summary>
    public required string UserRef { get; init; }
}

/// <summary>The 200 response to a binding.</summary>
public sealed record BindingResponse
{
    /// <summary>The bound user reference, echoed.</summary>
    public required string UserRef { get; init; }

    /// <summary>When the binding was made (the first time, if the request is repeated).</summary>
    public required DateTimeOffset BoundAt { get; init; }
}
