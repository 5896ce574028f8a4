using Puhui.Mall;
using Puhui.Storage;
using Puhui.Storage.Mall;

namespace Puhui.Tests.Mall;

public sealed class MallAuditTests
{
    [Theory]
    [MemberData(nameof(TestStores.All), MemberType = typeof(TestStores))]
    public async Task The_mall_audit_passes_on_real_work_and_names_each_tampered_row(StoreKind kind)
    {
        await using var w = await MallWorld.CreateAsync(kind);
        await w.IssueAsync(w.Alice, w.Metro, 500, 5_000, MallWorld.Day0);
        await w.IssueAsync(w.Bob, w.Egov, 500, 0, MallWorld.Day0);
        var coffee = await w.OnSaleAsync(w.Cafe, MallWorld.Coffee());
        var sapling = await w.OnSaleAsync(w.Farm, MallWorld.Sapling());
        var kept = (await w.Mall.RedeemAsync(w.Alice, coffee.Id, "a1", "person:alice")).Redemption!;
        var undone = (await w.Mall.RedeemAsync(w.Bob, coffee.Id, "b1", "person:bob")).Redemption!;
        Assert.Equal(MallOutcome.Done, (await w.Mall.CancelAsync(w.Bob, undone.Id, "person:bob")).Outcome);
        Assert.Equal(MallOutcome.Done, (await w.Mall.RedeemAsync(w.Alice, sapling.Id, "a2", "person:alice")).Outcome);

        var clean = await MallAudit.RunAsync(w.Store);
        Assert.True(clean.Passed, string.Join('\n', clean.Problems));
        Assert.Equal((2L, 3L, 1L), (clean.Offers, clean.Redemptions, clean.Cancellations));

        // Each change is committed, must be named by the audit, and is then put back (the last two stay: nothing follows them).
        await Tampered($"UPDATE redemptions SET grams = grams + 1 WHERE id = {kept.Id}", $"redemption {kept.Id}: the row says",
            $"UPDATE redemptions SET grams = grams - 1 WHERE id = {kept.Id}");
        await Tampered($"UPDATE offers SET stock_left = stock_left + 1 WHERE id = {coffee.Id}", $"offer {coffee.Id}:",
            $"UPDATE offers SET stock_left = stock_left - 1 WHERE id = {coffee.Id}");
        await Tampered($"UPDATE redemption_grams SET grams = grams - 1 WHERE redemption_id = {kept.Id}", "per-batch grams",
            $"UPDATE redemption_grams SET grams = grams + 1 WHERE redemption_id = {kept.Id}");
        await Tampered($"UPDATE redemptions SET status = {(int)VoucherStatus.Issued}, cancel_tx_id = NULL WHERE id = {undone.Id}", $"redemption {undone.Id}: reversed by transaction", null);
        await Tampered($"DELETE FROM redemption_grams WHERE redemption_id = {kept.Id}; DELETE FROM redemptions WHERE id = {kept.Id}", "no redemption row names", null);

        async Task Tampered(string sql, string expected, string? undo)
        {
            await ExecuteAsync(sql);
            var tampered = await MallAudit.RunAsync(w.Store);
            Assert.False(tampered.Passed, sql);
            Assert.Contains(tampered.Problems, p => p.Contains(expected, StringComparison.Ordinal));
            if (undo is null) return;
            await ExecuteAsync(undo);
            Assert.True((await MallAudit.RunAsync(w.Store)).Passed, undo);
        }

        async Task ExecuteAsync(string sql)
        {
            await using var connection = await w.Store.Dialect.OpenAsync(CancellationToken.None);
            foreach (var statement in sql.Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
            {
                await using var cmd = connection.CreateCommand();
                cmd.CommandText = statement;
                await cmd.ExecuteNonQueryAsync();
            }
        }
    }
}
