using System.Security.Cryptography;
using System.Text;
using Puhui.Ingestion;
using Puhui.Storage;
using Puhui.Storage.Ingestion;
using Puhui.Tests.Access;

namespace Puhui.Tests.Ingestion;

/// <summary>Binding operators' user references to persons with one-time codes, one body run against SQLite and a real PostgreSQL.</summary>
public class BindingTests
{
    public static TheoryData<StoreKind> Stores => TestStores.All;

    [Theory, MemberData(nameof(Stores))]
    public async Task A_code_binds_the_operators_user_ref_to_the_person(StoreKind kind)
    {
        await using var w = await CredentialWorld.CreateAsync(kind);
        var bindings = new Bindings(w.Store, w.Clock);
        var code = await bindings.IssueCodeAsync(w.Alice, w.Metro, default);
        Assert.Equal(Bindings.CodeLength, code.Code.Length);
        Assert.All(code.Code, c => Assert.Contains(c, Bindings.CodeAlphabet));
        Assert.Equal(w.Metro, code.Operator);
        Assert.Equal(w.Clock.GetUtcNow() + Bindings.CodeLifetime, code.ExpiresAt);
        Assert.Equal(SHA256.HashData(Encoding.ASCII.GetBytes(code.Code)), await w.ScalarAsync("SELECT code_hash FROM binding_codes"));

        w.Clock.Advance(TimeSpan.FromMinutes(1));
        var result = await bindings.BindAsync(w.Metro, code.Code, "metro-user-17", default);
        Assert.Equal(new BindResult(BindOutcome.Bound, "metro-user-17", w.Clock.GetUtcNow()), result);

        var info = Assert.Single(await bindings.ListAsync(w.Alice, default));
        Assert.Equal(new BindingInfo(w.Metro, "Metro", "metro-user-17", w.Clock.GetUtcNow()), info);
        Assert.Empty(await bindings.ListAsync(w.Bob, default));
        var resolved = await bindings.ResolveAsync(w.Metro, ["metro-user-17", "metro-user-18", "metro-user-17"], default);
        Assert.Equal(w.Alice, Assert.Single(resolved).Value);
        Assert.Empty(await bindings.ResolveAsync(w.BikeShare, ["metro-user-17"], default));
    }

    [Theory, MemberData(nameof(Stores))]
    public async Task Codes_are_issued_only_to_persons_for_operators(StoreKind kind)
    {
        await using var w = await CredentialWorld.CreateAsync(kind);
        var bindings = new Bindings(w.Store, w.Clock);
        await Assert.ThrowsAsync<ArgumentException>(() => bindings.IssueCodeAsync(w.Metro, w.BikeShare, default));
        await Assert.ThrowsAsync<ArgumentException>(() => bindings.IssueCodeAsync(w.Alice, w.Provider, default));
        await Assert.ThrowsAsync<ArgumentException>(() => bindings.IssueCodeAsync(w.Alice, w.Bob, default));
        Assert.Equal(0, await w.CountAsync("binding_codes"));
    }

    [Theory, MemberData(nameof(Stores))]
    public async Task A_code_is_compared_ignoring_case_and_group_separators(StoreKind kind)
    {
        await using var w = await CredentialWorld.CreateAsync(kind);
        var bindings = new Bindings(w.Store, w.Clock);
        var code = (await bindings.IssueCodeAsync(w.Alice, w.Metro, default)).Code;
        var typed = code[..5].ToLowerInvariant() + "-" + code[5..].ToLowerInvariant() + " ";
        Assert.Equal(BindOutcome.Bound, (await bindings.BindAsync(w.Metro, typed, "u1", default)).Outcome);
    }

    [Theory]
    [InlineData("")]
    [InlineData("ABCDEFGHJ")]
    [InlineData("ABCDEFGHJKM")]
    [InlineData("ABCDEFGHJ0")]
    [InlineData("ABCDEFGHJO")]
    [InlineData("ABCDEFGHJI")]
    [InlineData("ABCDEFGHJL")]
    [InlineData("ABCDEFGHJ1")]
    public void Text_that_cannot_be_a_code_does_not_normalise(string text) => Assert.Null(Bindings.NormaliseCode(text));

    [Theory]
    [InlineData("abcde-fghjk", "ABCDEFGHJK")]
    [InlineData(" 23456 789AB ", "23456789AB")]
    public void A_code_normalises_to_upper_case_without_separators(string text, string expected) => Assert.Equal(expected, Bindings.NormaliseCode(text));

    [Theory, MemberData(nameof(Stores))]
    public async Task A_used_code_cannot_bind_another_user_ref_but_the_same_bind_again_is_idempotent(StoreKind kind)
    {
        await using var w = await CredentialWorld.CreateAsync(kind);
        var bindings = new Bindings(w.Store, w.Clock);
        var code = (await bindings.IssueCodeAsync(w.Alice, w.Metro, default)).Code;
        var first = await bindings.BindAsync(w.Metro, code, "u1", default);
        w.Clock.Advance(TimeSpan.FromMinutes(1));

        var again = await bindings.BindAsync(w.Metro, code, "u1", default);
        Assert.Equal(new BindResult(BindOutcome.AlreadyBound, "u1", first.BoundAt), again);
        Assert.Equal(BindOutcome.CodeInvalid, (await bindings.BindAsync(w.Metro, code, "u2", default)).Outcome);
        Assert.Equal("u1", Assert.Single(await bindings.ListAsync(w.Alice, default)).UserRef);
    }

    [Theory, MemberData(nameof(Stores))]
    public async Task A_code_expires_after_its_lifetime(StoreKind kind)
    {
        await using var w = await CredentialWorld.CreateAsync(kind);
        var bindings = new Bindings(w.Store, w.Clock);
        var almost = (await bindings.IssueCodeAsync(w.Alice, w.Metro, default)).Code;
        var late = (await bindings.IssueCodeAsync(w.Bob, w.Metro, default)).Code;
        w.Clock.Advance(Bindings.CodeLifetime - TimeSpan.FromSeconds(1));
        Assert.Equal(BindOutcome.Bound, (await bindings.BindAsync(w.Metro, almost, "alice", default)).Outcome);
        w.Clock.Advance(TimeSpan.FromSeconds(1));
        Assert.Equal(BindOutcome.CodeInvalid, (await bindings.BindAsync(w.Metro, late, "bob", default)).Outcome);
        Assert.Empty(await bindings.ListAsync(w.Bob, default));
    }

    [Theory, MemberData(nameof(Stores))]
    public async Task A_code_issued_for_another_operator_or_unknown_is_invalid(StoreKind kind)
    {
        await using var w = await CredentialWorld.CreateAsync(kind);
        var bindings = new Bindings(w.Store, w.Clock);
        var code = (await bindings.IssueCodeAsync(w.Alice, w.Metro, default)).Code;
        Assert.Equal(BindOutcome.CodeInvalid, (await bindings.BindAsync(w.BikeShare, code, "u1", default)).Outcome);
        Assert.Equal(BindOutcome.CodeInvalid, (await bindings.BindAsync(w.Metro, "23456789AB", "u1", default)).Outcome);
        Assert.Equal(BindOutcome.CodeInvalid, (await bindings.BindAsync(w.Metro, "", "u1", default)).Outcome);
        // The other operator's attempt did not use the code up.
        Assert.Equal(BindOutcome.Bound, (await bindings.BindAsync(w.Metro, code, "u1", default)).Outcome);
    }

    [Theory, MemberData(nameof(Stores))]
    public async Task A_user_ref_bound_to_another_account_is_taken(StoreKind kind)
    {
        await using var w = await CredentialWorld.CreateAsync(kind);
        var bindings = new Bindings(w.Store, w.Clock);
        await bindings.BindAsync(w.Metro, (await bindings.IssueCodeAsync(w.Alice, w.Metro, default)).Code, "shared", default);
        var bobs = (await bindings.IssueCodeAsync(w.Bob, w.Metro, default)).Code;
        Assert.Equal(new BindResult(BindOutcome.UserRefTaken, "shared", null), await bindings.BindAsync(w.Metro, bobs, "shared", default));
        // The refusal left Bob's code unused, and the same user ref is free at another operator.
        Assert.Equal(BindOutcome.Bound, (await bindings.BindAsync(w.Metro, bobs, "bob", default)).Outcome);
        var atBike = (await bindings.IssueCodeAsync(w.Bob, w.BikeShare, default)).Code;
        Assert.Equal(BindOutcome.Bound, (await bindings.BindAsync(w.BikeShare, atBike, "shared", default)).Outcome);
    }

    [Theory, MemberData(nameof(Stores))]
    public async Task An_account_bound_at_an_operator_cannot_take_a_second_user_ref_there(StoreKind kind)
    {
        await using var w = await CredentialWorld.CreateAsync(kind);
        var bindings = new Bindings(w.Store, w.Clock);
        await bindings.BindAsync(w.Metro, (await bindings.IssueCodeAsync(w.Alice, w.Metro, default)).Code, "first", default);
        var second = (await bindings.IssueCodeAsync(w.Alice, w.Metro, default)).Code;
        Assert.Equal(BindOutcome.AccountAlreadyBound, (await bindings.BindAsync(w.Metro, second, "second", default)).Outcome);
        Assert.Equal(BindOutcome.AlreadyBound, (await bindings.BindAsync(w.Metro, second, "first", default)).Outcome);
        // The second code was used up by the idempotent bind.
        await bindings.UnbindAsync(w.Alice, w.Metro, default);
        Assert.Equal(BindOutcome.CodeInvalid, (await bindings.BindAsync(w.Metro, second, "second", default)).Outcome);
    }

    [Theory, MemberData(nameof(Stores))]
    public async Task Unbinding_removes_the_binding_and_revokes_consents_to_that_operators_scenarios_only(StoreKind kind)
    {
        await using var w = await CredentialWorld.CreateAsync(kind);
        var bindings = new Bindings(w.Store, w.Clock);
        var consents = new Consents(w.Store, w.Clock);
        await w.AddScenarioAsync("metro", w.Metro, ScenarioStatus.Running);
        await w.AddScenarioAsync("bike", w.BikeShare, ScenarioStatus.Running);
        await bindings.BindAsync(w.Metro, (await bindings.IssueCodeAsync(w.Alice, w.Metro, default)).Code, "m", default);
        await bindings.BindAsync(w.BikeShare, (await bindings.IssueCodeAsync(w.Alice, w.BikeShare, default)).Code, "b", default);
        Assert.Equal(GrantOutcome.Granted, (await consents.GrantAsync(w.Alice, "metro", default)).Outcome);
        Assert.Equal(GrantOutcome.Granted, (await consents.GrantAsync(w.Alice, "bike", default)).Outcome);
        w.Clock.Advance(TimeSpan.FromHours(1));

        Assert.True(await bindings.UnbindAsync(w.Alice, w.Metro, default));
        Assert.False(await bindings.UnbindAsync(w.Alice, w.Metro, default));
        Assert.False(await bindings.UnbindAsync(w.Bob, w.BikeShare, default));
        Assert.Equal(["Bike share"], (await bindings.ListAsync(w.Alice, default)).Select(b => b.OperatorName));
        Assert.Empty(await bindings.ResolveAsync(w.Metro, ["m"], default));
        Assert.Equal(["bike"], (await consents.ListAsync(w.Alice, includeRevoked: false, default)).Select(c => c.ScenarioCode));
        var revoked = (await consents.ListAsync(w.Alice, includeRevoked: true, default)).Single(c => c.ScenarioCode == "metro");
        Assert.Equal(w.Clock.GetUtcNow(), revoked.RevokedAt);

        // The user ref is free again, for the same person or another.
        var bobs = (await bindings.IssueCodeAsync(w.Bob, w.Metro, default)).Code;
        Assert.Equal(BindOutcome.Bound, (await bindings.BindAsync(w.Metro, bobs, "m", default)).Outcome);
    }

    [Theory, MemberData(nameof(Stores))]
    public async Task Resolving_user_refs_finds_only_this_operators_bindings_in_one_call(StoreKind kind)
    {
        await using var w = await CredentialWorld.CreateAsync(kind);
        var bindings = new Bindings(w.Store, w.Clock);
        await bindings.BindAsync(w.Metro, (await bindings.IssueCodeAsync(w.Alice, w.Metro, default)).Code, "a", default);
        await bindings.BindAsync(w.Metro, (await bindings.IssueCodeAsync(w.Bob, w.Metro, default)).Code, "b", default);
        await bindings.BindAsync(w.BikeShare, (await bindings.IssueCodeAsync(w.Bob, w.BikeShare, default)).Code, "a", default);

        var resolved = await bindings.ResolveAsync(w.Metro, ["a", "b", "c"], default);
        Assert.Equal(2, resolved.Count);
        Assert.Equal((w.Alice, w.Bob), (resolved["a"], resolved["b"]));
        Assert.Equal(w.Bob, (await bindings.ResolveAsync(w.BikeShare, ["a", "b"], default)).Single().Value);
        Assert.Empty(await bindings.ResolveAsync(w.Metro, [], default));
        await Assert.ThrowsAsync<ArgumentException>(() => bindings.ResolveAsync(w.Metro, new string[Bindings.ResolveRefsMax + 1], default));
    }

    [Theory, MemberData(nameof(Stores))]
    public async Task Concurrent_binds_with_one_code_bind_one_user_ref(StoreKind kind)
    {
        await using var w = await CredentialWorld.CreateAsync(kind);
        var bindings = new Bindings(w.Store, w.Clock);
        var code = (await bindings.IssueCodeAsync(w.Alice, w.Metro, default)).Code;
        var results = await Task.WhenAll(Enumerable.Range(0, 8).Select(i => Task.Run(() => bindings.BindAsync(w.Metro, code, "u" + (i % 2), default))));
        var bound = Assert.Single(results, r => r.Outcome == BindOutcome.Bound);
        Assert.All(results.Where(r => r.UserRef == bound.UserRef), r => Assert.Contains(r.Outcome, new[] { BindOutcome.Bound, BindOutcome.AlreadyBound }));
        Assert.All(results.Where(r => r.UserRef != bound.UserRef), r => Assert.Equal(BindOutcome.CodeInvalid, r.Outcome));
        Assert.Equal(bound.UserRef, Assert.Single(await bindings.ListAsync(w.Alice, default)).UserRef);
    }

    [Theory, MemberData(nameof(Stores))]
    public async Task Concurrent_binds_of_one_person_with_two_codes_bind_one_user_ref(StoreKind kind)
    {
        await using var w = await CredentialWorld.CreateAsync(kind);
        var bindings = new Bindings(w.Store, w.Clock);
        var codes = new[] { (await bindings.IssueCodeAsync(w.Alice, w.Metro, default)).Code, (await bindings.IssueCodeAsync(w.Alice, w.Metro, default)).Code };
        var results = await Task.WhenAll(codes.Select((code, i) => Task.Run(() => bindings.BindAsync(w.Metro, code, "u" + i, default))));
        Assert.Equal([BindOutcome.Bound, BindOutcome.AccountAlreadyBound], results.Select(r => r.Outcome).Order());
        Assert.Single(await bindings.ListAsync(w.Alice, default));
    }

    [Theory, MemberData(nameof(Stores))]
    public async Task A_user_ref_is_one_to_128_characters(StoreKind kind)
    {
        await using var w = await CredentialWorld.CreateAsync(kind);
        var bindings = new Bindings(w.Store, w.Clock);
        var code = (await bindings.IssueCodeAsync(w.Alice, w.Metro, default)).Code;
        await Assert.ThrowsAsync<ArgumentException>(() => bindings.BindAsync(w.Metro, code, "", default));
        await Assert.ThrowsAsync<ArgumentException>(() => bindings.BindAsync(w.Metro, code, "   ", default));
        await Assert.ThrowsAsync<ArgumentException>(() => bindings.BindAsync(w.Metro, code, new string('u', Bindings.UserRefLengthMax + 1), default));
        Assert.Equal(BindOutcome.Bound, (await bindings.BindAsync(w.Metro, code, new string('u', Bindings.UserRefLengthMax), default)).Outcome);
    }
}
