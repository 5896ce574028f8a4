using System.Text.Encodings.Web;
using System.Text.Json;

namespace Puhui.Host.Demo;

public sealed record DemoApiKey(string KeyId, string Secret);

public sealed record DemoOperatorCredentials(string Code, string DisplayName, long Account, string Scenario, string StaffToken, DemoApiKey ApiKey);

public sealed record DemoPersonCredentials(string DisplayName, long Account, string Token, IReadOnlyDictionary<string, string> UserRefs, IReadOnlyList<string> Consents);

/// <summary>
/// What someone needs to try the API on the demo's data: the administrator's token, each operator's staff token
/// and API key, and a few residents' tokens. Secrets, so the file is readable by its owner only.
/// </summary>
public sealed record DemoProviderCredentials(string Code, string DisplayName, long Account, string StaffToken);

public sealed record DemoCredentials(string Note, string Store, string AdministratorToken, IReadOnlyList<DemoOperatorCredentials> Operators, IReadOnlyList<DemoPersonCredentials> Persons,
    IReadOnlyList<DemoProviderCredentials>? Providers = null, string? PlatformOperatorToken = null)
{
    public const string FileName = "demo-credentials.json";

    /// <summary>How many residents' tokens the file carries.</summary>
    public const int PersonsListed = 5;

    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web)
    {
        WriteIndented = true,
        // A file for people to read, never embedded in a page: names stay legible.
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    };

    /// <summary>Where the file goes: next to a SQLite database, else in <c>./data</c>.</summary>
    public static string PathFor(string storeSetting) => Path.Combine(Storage.SqlDialect.DataDirectory(storeSetting), FileName);

    /// <summary>Writes the file afresh with mode 0600 (on Unix) and returns its full path.</summary>
    public string Write(string path)
    {
        path = Path.GetFullPath(path);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        // Created new rather than truncated, so that a file left readable by others is not reused with its old mode.
        if (File.Exists(path)) File.Delete(path);
        var options = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write, Share = FileShare.None };
        if (!OperatingSystem.IsWindows()) options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        using (var stream = new FileStream(path, options))
            JsonSerializer.Serialize(stream, this, Json);
        if (!OperatingSystem.IsWindows()) File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        return path;
    }
}
