using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;

namespace Puhui.Tests.Http;

/// <summary>The API calls every HTTP test world makes: a request with an optional bearer token and a JSON (or ready-made) body.</summary>
public static class ApiCalls
{
    /// <summary>Sends the request and returns the response as it came, for tests that look at its status, headers or bytes.</summary>
    public static async Task<HttpResponseMessage> CallAsync(this HttpClient http, HttpMethod method, string path, string? token, object? body = null)
    {
        ArgumentNullException.ThrowIfNull(http);
        using var request = new HttpRequestMessage(method, path);
        if (token is not null) request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        if (body is not null) request.Content = body as HttpContent ?? JsonContent.Create(body);
        return await http.SendAsync(request);
    }

    /// <summary>Sends the request and returns its JSON answer (default for an empty body); fails the test on an error status.</summary>
    public static async Task<JsonElement> JsonAsync(this HttpClient http, HttpMethod method, string path, string? token, object? body = null)
    {
        using var response = await http.CallAsync(method, path, token, body);
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.IsSuccessStatusCode, $"{method} {path}: {(int)response.StatusCode} {text}");
        return text.Length == 0 ? default : JsonDocument.Parse(text).RootElement.Clone();
    }
}
