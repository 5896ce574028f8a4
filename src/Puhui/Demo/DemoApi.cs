using System.Net.Http.Headers;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace Puhui.Host.Demo;

/// <summary>
/// The demo's side of the platform's JSON API: a request with an optional bearer token, the answer read as the
/// host's own DTO type. Any error status is a failed demo, so it throws with the problem the platform sent.
/// </summary>
public sealed class DemoApi(HttpClient http)
{
    public static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web)
    {
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
        Converters = { new JsonStringEnumConverter() },
    };

    public HttpClient Http => http;

    public Task<T> PostAsync<T>(string path, string? token, object body, CancellationToken ct) => SendAsync<T>(HttpMethod.Post, path, token, body, ct);

    public Task<T> GetAsync<T>(string path, string? token, CancellationToken ct) => SendAsync<T>(HttpMethod.Get, path, token, null, ct);

    /// <summary>A download (a PDF, a certificate file) as its bytes.</summary>
    public async Task<byte[]> GetBytesAsync(string path, string? token, CancellationToken ct)
    {
        using var request = Request(HttpMethod.Get, path, token, null);
        using var response = await http.SendAsync(request, ct);
        if (!response.IsSuccessStatusCode)
            throw new InvalidOperationException($"GET {path} answered {(int)response.StatusCode}: {await response.Content.ReadAsStringAsync(ct)}");
        return await response.Content.ReadAsByteArrayAsync(ct);
    }

    /// <summary>
    /// A request whose refusal is an expected outcome (a resident short of points): the answer, or the problem's
    /// <c>code</c> when the platform refused with a 4xx problem. Other failures still throw.
    /// </summary>
    public async Task<(T? Value, string? Problem)> TryPostAsync<T>(string path, string? token, object body, CancellationToken ct) where T : class
    {
        using var request = Request(HttpMethod.Post, path, token, body);
        using var response = await http.SendAsync(request, ct);
        if (response.IsSuccessStatusCode) return (await response.Content.ReadFromJsonAsync<T>(Json, ct), null);
        var text = await response.Content.ReadAsStringAsync(ct);
        if ((int)response.StatusCode is >= 400 and < 500 && response.Content.Headers.ContentType?.MediaType == "application/problem+json")
        {
            using var problem = JsonDocument.Parse(text);
            if (problem.RootElement.TryGetProperty("code", out var code)) return (null, code.GetString());
        }

        throw new InvalidOperationException($"POST {path} answered {(int)response.StatusCode}: {text}");
    }

    private async Task<T> SendAsync<T>(HttpMethod method, string path, string? token, object? body, CancellationToken ct)
    {
        using var request = Request(method, path, token, body);
        using var response = await http.SendAsync(request, ct);
        if (!response.IsSuccessStatusCode)
        {
            var problem = await response.Content.ReadAsStringAsync(ct);
            throw new InvalidOperationException($"{method} {path} answered {(int)response.StatusCode}: {problem}");
        }

        return await response.Content.ReadFromJsonAsync<T>(Json, ct)
            ?? throw new InvalidOperationException($"{method} {path} answered {(int)response.StatusCode} with an empty body.");
    }

    private static HttpRequestMessage Request(HttpMethod method, string path, string? token, object? body)
    {
        var request = new HttpRequestMessage(method, path);
        if (token is not null) request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        if (body is not null) request.Content = JsonContent.Create(body, body.GetType(), options: Json);
        return request;
    }
}
