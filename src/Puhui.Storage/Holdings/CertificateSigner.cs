using System.Security.Cryptography;
using Puhui.Holdings;

namespace Puhui.Storage.Holdings;

/// <summary>
/// The platform's certificate signing key: ECDSA P-256 in a PEM file. Rotation is a new file: the new key names
/// itself by its own id, and the old public keys stay in the store, so what they signed still verifies.
/// </summary>
public sealed class CertificateSigner : IDisposable
{
    /// <summary>The environment variable that names the PEM file holding the key (PKCS#8 or SEC 1).</summary>
    public const string FileVariable = "PUHUI_CERTIFICATE_KEY_FILE";

    /// <summary>The key file's name when the variable is not set: next to a SQLite database, or in <c>./data/</c>.</summary>
    public const string DefaultFileName = "certificate-signing-key.pem";

    // A PEM P-256 private key is about 250 characters; anything much longer is not a key file.
    private const int KeyFileCharsMax = 16 * 1024;

    private readonly ECDsa _key;

    public CertificateSigner(ECDsa key)
    {
        ArgumentNullException.ThrowIfNull(key);
        if (key.KeySize != 256) throw new ArgumentException("The certificate key is an ECDSA P-256 key.", nameof(key));
        _key = key;
        PublicKey = key.ExportSubjectPublicKeyInfo();
        KeyId = CertificateSigning.KeyIdOf(PublicKey);
    }

    public string KeyId { get; }

    /// <summary>SubjectPublicKeyInfo (DER).</summary>
    public byte[] PublicKey { get; }

    public CertificateEnvelope Sign(string payload) => CertificateSigning.Sign(payload, _key);

    public static CertificateSigner Generate() => new(ECDsa.Create(ECCurve.NamedCurves.nistP256));

    /// <summary>
    /// Loads the key for the store named by <paramref name="storeSetting"/>: from the file named by
    /// <c>PUHUI_CERTIFICATE_KEY_FILE</c>, which must exist; else from <c>certificate-signing-key.pem</c> next to the
    /// SQLite database file, or <c>./data/</c> for PostgreSQL, created (readable by the owner only) when missing.
    /// </summary>
    public static CertificateSigner Load(string storeSetting) => Load(storeSetting, Environment.GetEnvironmentVariable);

    /// <summary><see cref="Load(string)"/> with the environment given, so tests need not change the process's.</summary>
    internal static CertificateSigner Load(string storeSetting, Func<string, string?> environment)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(storeSetting);
        if (environment(FileVariable) is { } named && !string.IsNullOrWhiteSpace(named))
        {
            var path = Path.GetFullPath(named);
            if (!File.Exists(path)) throw new InvalidOperationException($"证书签名密钥文件 {path}（{FileVariable}）不存在 / the certificate key file {path} named by {FileVariable} does not exist.");
            return ReadFile(path);
        }

        return LoadOrCreateFile(Path.Combine(SqlDialect.DataDirectory(storeSetting), DefaultFileName));
    }

    public static CertificateSigner ReadFile(string path)
    {
        var text = File.ReadAllText(path);
        if (text.Length > KeyFileCharsMax) throw new InvalidOperationException($"{path} is too long to be a PEM EC private key.");
        var key = ECDsa.Create();
        try
        {
            key.ImportFromPem(text);
            return new CertificateSigner(key);
        }
        catch (Exception e) when (e is ArgumentException or CryptographicException)
        {
            key.Dispose();
            throw new InvalidOperationException($"证书签名密钥文件 {path} 不是 PEM 格式的 P-256 私钥 / {path} is not a PEM P-256 private key: {e.Message}", e);
        }
    }

    private static CertificateSigner LoadOrCreateFile(string path)
    {
        if (File.Exists(path)) return ReadFile(path);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);

        // Written to a private temporary file and moved into place without overwriting: a process starting at the
        // same moment either wins the race or reads the complete key of the one that did.
        var created = Generate();
        var temporary = path + "." + Convert.ToHexString(RandomNumberGenerator.GetBytes(8)) + ".tmp";
        var options = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write, Share = FileShare.None };
        if (!OperatingSystem.IsWindows()) options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        try
        {
            using (var stream = new FileStream(temporary, options))
            using (var writer = new StreamWriter(stream))
            {
                writer.Write(created._key.ExportPkcs8PrivateKeyPem());
                writer.Write('\n');
            }

            try
            {
                File.Move(temporary, path, overwrite: false);
            }
            catch (IOException) when (File.Exists(path))
            {
                created.Dispose();
                return ReadFile(path);
            }

            return created;
        }
        finally
        {
            if (File.Exists(temporary)) File.Delete(temporary);
        }
    }

    public void Dispose() => _key.Dispose();
}
