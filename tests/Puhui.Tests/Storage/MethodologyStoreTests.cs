using Puhui.Ledger;
using Puhui.Methodologies;
using Puhui.Storage;
using Puhui.Storage.Methodologies;
using Puhui.Tests.Methodologies;

namespace Puhui.Tests.Storage;

/// <summary>Methodology versions in the database: correctable until used, immutable after, on both stores.</summary>
public class MethodologyStoreTests
{
    public static TheoryData<StoreKind> Stores => TestStores.All;

    private static string Metro => File.ReadAllText(Path.Combine(MethodologyText.LibraryDirectory(), "metro.yaml"));

    // A correction that keeps the file valid: the source note of the factor changes, the rules do not.
    private static string MetroWithNote(string note) => Metro.Replace("version: 1.0.0", "version: 1.0.0\n# " + note, StringComparison.Ordinal);

    [Theory, MemberData(nameof(Stores))]
    public async Task A_version_is_stored_once_and_correctable_until_a_batch_uses_it(StoreKind kind)
    {
        await using var ledger = await TestStores.CreateAsync(kind);
        var store = new MethodologyStore(ledger.Dialect);

        var first = await store.RegisterAsync(Metro);
        Assert.Equal((RegistrationStatus.Stored, "metro", "1.0.0"), (first.Status, first.MethodologyId, first.Version));
        Assert.Equal(RegistrationStatus.Unchanged, (await store.RegisterAsync(Metro.Replace("\n", "\r\n", StringComparison.Ordinal))).Status);
        Assert.Equal(RegistrationStatus.Replaced, (await store.RegisterAsync(MetroWithNote("corrected before use"))).Status);

        await ledger.CreateBatchAsync(new NewBatch("METRO-202611", BatchOrigin.Scenario, "metro scenario", "metro", "1.0.0", MethodologyClass.II, 2026, "320100"));
        var frozen = await store.RegisterAsync(MetroWithNote("corrected after use"));
        Assert.Equal(RegistrationStatus.VersionInUse, frozen.Status);
        Assert.Contains("new version", frozen.Problem, StringComparison.Ordinal);

        var stored = await store.GetAsync("metro", "1.0.0");
        Assert.NotNull(stored!.FirstUsedAt);
        Assert.Contains("# corrected before use", stored.Content, StringComparison.Ordinal);
        Assert.Equal(stored.ContentHash, stored.Load().ContentHash);
    }

    [Theory, MemberData(nameof(Stores))]
    public async Task A_new_version_leaves_the_old_one_and_its_results_as_they_were(StoreKind kind)
    {
        await using var ledger = await TestStores.CreateAsync(kind);
        var store = new MethodologyStore(ledger.Dialect);
        await store.RegisterAsync(Metro);
        await ledger.CreateBatchAsync(new NewBatch("METRO-202611", BatchOrigin.Scenario, "metro scenario", "metro", "1.0.0", MethodologyClass.II, 2026, "320100"));

        var v2 = Metro.Replace("version: 1.0.0", "version: 1.1.0", StringComparison.Ordinal).Replace("value: 46.7", "value: 50", StringComparison.Ordinal);
        var registered = await store.RegisterAsync(v2);
        // The changed factor breaks the file's own vectors, so it is refused until they are brought up to date too.
        Assert.Equal(RegistrationStatus.Invalid, registered.Status);
        Assert.Contains("test vector", registered.Problem, StringComparison.Ordinal);

        var v2Unchanged = Metro.Replace("version: 1.0.0", "version: 1.1.0", StringComparison.Ordinal);
        Assert.Equal(RegistrationStatus.Stored, (await store.RegisterAsync(v2Unchanged)).Status);

        var versions = await store.ListAsync();
        Assert.Equal(["1.0.0", "1.1.0"], versions.Where(v => v.MethodologyId == "metro").Select(v => v.Version));
        var old = (await store.GetAsync("metro", "1.0.0"))!.Load();
        var report = old.Calculate(new Dictionary<string, decimal> { ["distance"] = 10, ["duration"] = 20 }, new DateOnly(2026, 11, 1));
        Assert.Equal(CalculationStatus.Accepted, report.Result.Status);
        Assert.Equal(467, report.Result.Reduction.Value);
    }

    [Theory, MemberData(nameof(Stores))]
    public async Task Text_that_is_not_a_methodology_is_refused_and_stores_nothing(StoreKind kind)
    {
        await using var ledger = await TestStores.CreateAsync(kind);
        var store = new MethodologyStore(ledger.Dialect);
        var result = await store.RegisterAsync("id: broken\nversion: [");
        Assert.Equal(RegistrationStatus.Invalid, result.Status);
        Assert.False(string.IsNullOrEmpty(result.Problem));
        Assert.Empty(await store.ListAsync());
    }
}
