using System.Security.Cryptography;
using System.Text;
using Puhui.Storage.Access;

namespace Puhui.Tests.Access;

public sealed class MasterKeyTests : IDisposable
{
    private readonly string _folder = Path.Combine(Path.GetTempPath(), "puhui-key-" + Guid.NewGuid().ToString("N"));

    public MasterKeyTests() => Directory.CreateDirectory(_folder);

    private static readonly byte[] Secret = Encoding.UTF8.GetBytes("sk_the-secret");
    private static readonly byte[] KeyId = Encoding.UTF8.GetBytes("pk_key-1");

    private static Func<string, string?> Environment(params (string Name, string Value)[] variables)
        => name => variables.FirstOrDefault(v => v.Name == name).Value;

    [Fact]
    public void Seal_then_open_returns_the_plaintext_and_each_seal_differs()
    {
        var key = CredentialWorld.TestKey;
        var first = key.Seal(Secret, KeyId);
        var second = key.Seal(Secret, KeyId);
        Assert.Equal(Secret, key.Open(first, KeyId));
        Assert.Equal(Secret, key.Open(second, KeyId));
        Assert.NotEqual(first, second);
        Assert.Equal(1 + MasterKey.NonceBytes + MasterKey.TagBytes + Secret.Length, first.Length);
        Assert.Equal(1, first[0]);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(13)]
    [InlineData(29)]
    [InlineData(-1)]
    public void Open_refuses_a_blob_with_any_byte_altered(int index)
    {
        var key = CredentialWorld.TestKey;
        var blob = key.Seal(Secret, KeyId);
        blob[index < 0 ? blob.Length - 1 : index] ^= 0x01;
        Assert.ThrowsAny<CryptographicException>(() => key.Open(blob, KeyId));
    }

    [Fact]
    public void Open_refuses_other_associated_data_another_key_and_a_truncated_blob()
    {
        var key = CredentialWorld.TestKey;
        var blob = key.Seal(Secret, KeyId);
        Assert.ThrowsAny<CryptographicException>(() => key.Open(blob, Encoding.UTF8.GetBytes("pk_key-2")));
        Assert.ThrowsAny<CryptographicException>(() => MasterKey.FromBytes(new byte[MasterKey.KeyBytes]).Open(blob, KeyId));
        Assert.ThrowsAny<CryptographicException>(() => key.Open(blob.AsSpan(0, 20), KeyId));
    }

    [Fact]
    public void A_key_is_exactly_32_bytes_and_never_printed()
    {
        Assert.Throws<ArgumentException>(() => MasterKey.FromBytes(new byte[31]));
        Assert.Throws<ArgumentException>(() => MasterKey.FromBytes(new byte[33]));
        var bytes = Enumerable.Repeat((byte)0xAB, MasterKey.KeyBytes).ToArray();
        var text = MasterKey.FromBytes(bytes).ToString();
        Assert.DoesNotContain(Convert.ToBase64String(bytes), text, StringComparison.Ordinal);
        Assert.DoesNotContain(Convert.ToHexString(bytes), text, StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public void Load_creates_an_owner_only_key_file_next_to_the_sqlite_database_and_reuses_it()
    {
        var db = Path.Combine(_folder, "puhui.db");
        var first = MasterKey.Load(db, Environment());
        var file = Path.Combine(_folder, MasterKey.DefaultFileName);
        Assert.True(File.Exists(file));
        if (!OperatingSystem.IsWindows())
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(file));
        Assert.Equal(MasterKey.KeyBytes, Convert.FromBase64String(File.ReadAllText(file).Trim()).Length);
        Assert.Single(Directory.GetFiles(_folder));

        var again = MasterKey.Load("Data Source=" + db, Environment());
        Assert.Equal(Secret, again.Open(first.Seal(Secret, KeyId), KeyId));
    }

    [Fact]
    public void The_key_variable_wins_over_the_file_variable_and_the_default_file()
    {
        var bytes = RandomNumberGenerator.GetBytes(MasterKey.KeyBytes);
        var other = Path.Combine(_folder, "other.key");
        File.WriteAllText(other, Convert.ToBase64String(RandomNumberGenerator.GetBytes(MasterKey.KeyBytes)));
        var key = MasterKey.Load(Path.Combine(_folder, "puhui.db"),
            Environment((MasterKey.KeyVariable, Convert.ToBase64String(bytes)), (MasterKey.FileVariable, other)));
        Assert.Equal(Secret, MasterKey.FromBytes(bytes).Open(key.Seal(Secret, KeyId), KeyId));
        Assert.False(File.Exists(Path.Combine(_folder, MasterKey.DefaultFileName)));
    }

    [Fact]
    public void The_file_variable_names_the_key_file()
    {
        var bytes = RandomNumberGenerator.GetBytes(MasterKey.KeyBytes);
        var file = Path.Combine(_folder, "elsewhere.key");
        File.WriteAllText(file, Convert.ToBase64String(bytes) + "\n");
        var key = MasterKey.Load("Host=localhost;Database=puhui", Environment((MasterKey.FileVariable, file)));
        Assert.Equal(Secret, MasterKey.FromBytes(bytes).Open(key.Seal(Secret, KeyId), KeyId));
    }

    [Fact]
    public void Bad_key_content_is_refused_naming_its_source()
    {
        var file = Path.Combine(_folder, "bad.key");
        File.WriteAllText(file, Convert.ToBase64String(new byte[16]));
        var fromFile = Assert.Throws<InvalidOperationException>(() => MasterKey.Load("x.db", Environment((MasterKey.FileVariable, file))));
        Assert.Contains(file, fromFile.Message, StringComparison.Ordinal);

        var fromVariable = Assert.Throws<InvalidOperationException>(() => MasterKey.Load("x.db", Environment((MasterKey.KeyVariable, "not base64!"))));
        Assert.Contains(MasterKey.KeyVariable, fromVariable.Message, StringComparison.Ordinal);

        var missing = Path.Combine(_folder, "missing.key");
        var absent = Assert.Throws<InvalidOperationException>(() => MasterKey.Load("x.db", Environment((MasterKey.FileVariable, missing))));
        Assert.Contains(missing, absent.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void The_default_file_is_next_to_the_sqlite_file_or_under_data_for_postgres()
    {
        Assert.Equal(Path.Combine(_folder, "master.key"), MasterKey.DefaultFile(Path.Combine(_folder, "puhui.db")));
        Assert.Equal(Path.Combine(_folder, "master.key"), MasterKey.DefaultFile($"Data Source={Path.Combine(_folder, "puhui.db")};Pooling=true"));
        Assert.Equal(Path.GetFullPath(Path.Combine("data", "master.key")), MasterKey.DefaultFile("Host=db;Username=puhui;Database=puhui"));
    }

    public void Dispose() => Directory.Delete(_folder, recursive: true);
}
