using System.Net;

namespace Puhui.Client;

/// <summary>
/// The platform refused a whole request (a non-2xx status that is not worth retrying), kept failing until the
/// client gave up, or answered with a body that breaks the contract. Per-record refusals are never exceptions:
/// they are <see cref="Outcomes.Rejected"/> outcomes.
/// </summary>
public sealed class PuhuiApiException : Exception
{
    /// <summary>An exception with a message only.</summary>
    public PuhuiApiException(string message) : base(message)
    {
    }

    /// <summary>An exception with a message and its cause.</summary>
    public PuhuiApiException(string message, Exception? innerException) : base(message, innerException)
    {
    }

    /// <summary>An exception for a request that ended with <paramref name="statusCode"/> and <paramref name="problem"/>.</summary>
    public PuhuiApiException(
        string message, HttpStatusCode? statusCode, Problem? problem, int attempts, Exception? innerException = null)
        : base(message, innerException)
    {
        StatusCode = statusCode;
        Problem = problem;
        Attempts = attempts;
    }

    /// <summary>The status of the last response, or <see langword="null"/> if the last attempt got none.</summary>
    public HttpStatusCode? StatusCode { get; }

    /// <summary>The problem details of the last response, if it had a readable one.</summary>
    public Problem? Problem { get; }

    /// <summary>The stable machine code of <see cref="Problem"/> (one of <see cref="ProblemCodes"/>), if any.</summary>
    public string? Code => Problem?.Code;

    /// <summary>How many HTTP requests were sent for the failed call.</summary>
    public int Attempts { get; }
}
