using System.Security.Cryptography;
using System.Text;

namespace Puhui.Storage.Access;

/// <summary>
/// The platform's 256-bit key-encryption key: it seals secrets kept at rest (operators' API key secrets) with
/// AES-256-GCM. A sealed blob is <c>version (1) ‖ nonce (12) ‖ tag (16) ‖ ciphertext</c>, bound to associated data
/// the caller chooses (e.g. the row's key id), so a blob copied into another row no longer opens.
/// </summary>
/// <remarks>The key bytes never leave this object: there is no accessor and <see cref="ToString"/> does not print them.</remarks>
public sealed class MasterKey
{
    public const int KeyBytes = 32;
    public const int NonceBytes = 12;
    public const int TagBytes = 16;

    /// <summary>The environment variable that holds the key itself, base64 of 32 bytes.</summary>
    public const string KeyVariable = "PUHUI_MASTER_KEY";

    /// <summary>The environment variable that names a file holding the key, base64 of 32 bytes.</summary>
    public const string FileVariable = "PUHUI_MASTER_KEY_FILE";

    /// <summary>The key file's name when neither variable is set: next to a SQLite database, or in <c>./data/</c>.</summary>
    public const string DefaultFileName = "master.key";

    private const byte FormatVersion = 1;
    private const int HeaderBytes = 1 + NonceBytes + TagBytes;

    // A key file holds 44 characters of base64 and a newline; anything much longer is not a key file.
    private const int KeyFileCharsMax = 1_024;

    private readonly byte[] _key;

    private MasterKey(byte[] key) => _key = key;

    /// <summary>A key from its 32 bytes (copied).</summary>
    public static MasterKey FromBytes(ReadOnlySpan<byte> key)
    {
        if (key.Length != KeyBytes) throw new ArgumentException($"A master key is exactly {KeyBytes} bytes, not {key.Length}.", nameof(key));
        return new MasterKey(key.ToArray());
    }

    /// <summary>
    /// Loads the key for the store named by <paramref name="storeSetting"/>: from <c>PUHUI_MASTER_KEY</c> if set;
    /// else from the file named by <c>PUHUI_MASTER_KEY_FILE</c>; else from <c>master.key</c> next to the SQLite
    /// database file, or <c>./data/master.key</c> for PostgreSQL, which is created (32 random bytes, readable by
    /// the owner only) when missing. Content that is not base64 of 32 bytes throws, naming where it came from.
    /// </summary>
    public static MasterKey Load(string storeSetting) => Load(storeSetting, Environment.GetEnvironmentVariable);

    /// <summary><see cref="Load(string)"/> with the environment given, so tests need not change the process's.</summary>
    internal static MasterKey Load(string storeSetting, Func<string, string?> environment)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(storeSetting);
        if (environment(KeyVariable) is { } text && !string.IsNullOrWhiteSpace(text))
            return Parse(text, $"the environment variable {KeyVariable}");
        if (environment(FileVariable) is { } named && !string.IsNullOrWhiteSpace(named))
        {
            var path = Path.GetFullPath(named);
            if (!File.Exists(path)) throw new InvalidOperationException($"The master key file {path} named by {FileVariable} does not exist.");
            return ReadFile(path);
        }

        return LoadOrCreateFile(DefaultFile(storeSetting));
    }

    /// <summary>Where the key file lives when no variable names it.</summary>
    internal static string DefaultFile(string storeSetting) => Path.Combine(SqlDialect.DataDirectory(storeSetting), DefaultFileName);

    /// <summary>Encrypts and authenticates <paramref name="plaintext"/>, bound to <paramref name="associatedData"/>.</summary>
    public byte[] Seal(ReadOnlySpan<byte> plaintext, ReadOnlySpan<byte> associatedData)
    {
        var sealedBytes = new byte[HeaderBytes + plaintext.Length];
        var span = sealedBytes.AsSpan();
        span[0] = FormatVersion;
        var nonce = span.Slice(1, NonceBytes);
        RandomNumberGenerator.Fill(nonce);
        using var aes = new AesGcm(_key, TagBytes);
        aes.Encrypt(nonce, plaintext, span[HeaderBytes..], span.Slice(1 + NonceBytes, TagBytes), associatedData);
        return sealedBytes;
    }

    /// <summary>
    /// Decrypts what <see cref="Seal"/> produced with the same associated data. Throws
    /// <see cref="CryptographicException"/> when the blob was altered, was sealed for other associated data or by
    /// another key, or is not a sealed blob at all.
    /// </summary>
    public byte[] Open(ReadOnlySpan<byte> sealedBytes, ReadOnlySpan<byte> associatedData)
    {
        if (sealedBytes.Length < HeaderBytes) throw new CryptographicException("A sealed blob is shorter than its header.");
        if (sealedBytes[0] != FormatVersion) throw new CryptographicException($"A sealed blob of format {sealedBytes[0]} is not one this version reads.");
        var plaintext = new byte[sealedBytes.Length - HeaderBytes];
        using var aes = new AesGcm(_key, TagBytes);
        aes.Decrypt(sealedBytes.Slice(1, NonceBytes), sealedBytes[HeaderBytes..], sealedBytes.Slice(1 + NonceBytes, TagBytes), plaintext, associatedData);
        return plaintext;
    }

    public override string ToString() => "MasterKey (AES-256-GCM, key not shown)";

    private static MasterKey Parse(string text, string source)
    {
        var key = new byte[KeyBytes];
        if (!Convert.TryFromBase64String(text.Trim(), key, out var written) || written != KeyBytes)
            throw new InvalidOperationException($"The master key in {source} is not base64 of exactly {KeyBytes} bytes.");
        return new MasterKey(key);
    }

    private static MasterKey ReadFile(string path)
    {
        var info = new FileInfo(path);
        if (info.Length > KeyFileCharsMax) throw new InvalidOperationException($"The master key file {path} is not base64 of exactly {KeyBytes} bytes.");
        return Parse(File.ReadAllText(path, Encoding.ASCII), "the file " + path);
    }

    private static MasterKey LoadOrCreateFile(string path)
    {
        if (File.Exists(path)) return ReadFile(path);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);

        // Written to a private temporary file first and then moved into place without overwriting, so that a
        // process starting at the same moment either wins the race or reads the complete key of the one that did.
        var key = RandomNumberGenerator.GetBytes(KeyBytes);
        var temporary = path + "." + Convert.ToHexString(RandomNumberGenerator.GetBytes(8)) + ".tmp";
        var options = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write, Share = FileShare.None };
        if (!OperatingSystem.IsWindows()) options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        try
        {
            using (var stream = new FileStream(temporary, options))
            {
                stream.Write(Encoding.ASCII.GetBytes(Convert.ToBase64String(key) + "\n"));
                stream.Flush(flushToDisk: true);
            }

            if (!OperatingSystem.IsWindows()) File.SetUnixFileMode(temporary, UnixFileMode.UserRead | UnixFileMode.UserWrite);
            try
            {
                File.Move(temporary, path, overwrite: false);
            }
            catch (IOException) when (File.Exists(path))
            {
                return ReadFile(path);
            }

            return new MasterKey(key);
        }
        finally
        {
            if (File.Exists(temporary)) File.Delete(temporary);
        }
    }
}
