using Puhui.Client;

namespace Puhui.Tests.Client;

public class OptionsAndCredentialsTests
{
    [Theory]
    [InlineData(0, false)]
    [InlineData(1, true)]
    [InlineData(WireLimits.BatchRecordsMax, true)]
    [InlineData(WireLimits.BatchRecordsMax + 1, false)]
    public void Batch_size_is_checked_at_its_limits(int size, bool allowed)
    {
        if (allowed)
            Assert.Equal(size, new PuhuiClientOptions { BatchSize = size }.BatchSize);
        else
            Assert.Throws<ArgumentOutOfRangeException>(() => new PuhuiClientOptions { BatchSize = size });
    }

    [Fact]
    public void Other_options_are_checked_at_their_limits()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new PuhuiClientOptions { MaxAttempts = 0 });
        Assert.Throws<ArgumentOutOfRangeException>(() => new PuhuiClientOptions { MaxAttempts = PuhuiClientOptions.MaxAttemptsMax + 1 });
        Assert.Equal(PuhuiClientOptions.MaxAttemptsMax, new PuhuiClientOptions { MaxAttempts = PuhuiClientOptions.MaxAttemptsMax }.MaxAttempts);
        Assert.Throws<ArgumentOutOfRangeException>(() => new PuhuiClientOptions { MaxConcurrentBatches = 0 });
        Assert.Throws<ArgumentOutOfRangeException>(() => new PuhuiClientOptions { MaxConcurrentBatches = PuhuiClientOptions.MaxConcurrentBatchesMax + 1 });
        Assert.Throws<ArgumentOutOfRangeException>(() => new PuhuiClientOptions { InitialBackoff = TimeSpan.FromTicks(-1) });
        Assert.Throws<ArgumentOutOfRangeException>(() => new PuhuiClientOptions { MaxBackoff = PuhuiClientOptions.BackoffMax + TimeSpan.FromTicks(1) });
        Assert.Equal(TimeSpan.Zero, new PuhuiClientOptions { InitialBackoff = TimeSpan.Zero }.InitialBackoff);
        Assert.Throws<ArgumentNullException>(() => new PuhuiClientOptions { Time = null! });
    }

    [Fact]
    public void Defaults_are_the_documented_ones()
    {
        var options = new PuhuiClientOptions();
        Assert.Equal(1000, options.BatchSize);
        Assert.Equal(6, options.MaxAttempts);
        Assert.Equal(TimeSpan.FromMilliseconds(200), options.InitialBackoff);
        Assert.Equal(TimeSpan.FromSeconds(10), options.MaxBackoff);
        Assert.Equal(1, options.MaxConcurrentBatches);
        Assert.Same(TimeProvider.System, options.Time);
    }

    [Fact]
    public void Credentials_never_print_the_secret()
    {
        var credentials = new OperatorCredentials("pk_metro_01", "sk_live_5bXw2Qd9rT4yHk7MzV1pLc");

        Assert.Contains("pk_metro_01", credentials.ToString(), StringComparison.Ordinal);
        Assert.DoesNotContain("sk_live", credentials.ToString(), StringComparison.Ordinal);
        Assert.DoesNotContain("sk_live", $"{credentials}", StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("", "sk_x")]
    [InlineData(" ", "sk_x")]
    [InlineData("pk_x", "")]
    [InlineData("pk_x", "\t")]
    public void Credentials_must_not_be_empty(string keyId, string secret)
    {
        Assert.ThrowsAny<ArgumentException>(() => new OperatorCredentials(keyId, secret));
        Assert.ThrowsAny<ArgumentException>(() => new OperatorCredentials("pk_ok", "sk_ok") with { KeyId = keyId, Secret = secret });
    }

    [Fact]
    public void A_client_needs_the_platform_base_address()
    {
        using var http = new HttpClient();
        Assert.Throws<ArgumentException>(() => new PuhuiClient(http, new OperatorCredentials("pk_x", "sk_x")));
    }
}
