using System.Security.Cryptography;
using System.Text;
using FsCheck;
using FsCheck.Fluent;
using Puhui.Governance;

namespace Puhui.Tests.Governance;

/// <summary>
/// Random pools (organisations written several ways, with and without accounts; statuses; fields; declared
/// conflicts) and random requests, checked against a plain model of who may sit: no drawn expert is inactive,
/// of the applicant's organisation, in declared conflict with it, or without every required field; the panel's
/// members are distinct and fill exactly its seats and cover every required field, or the draw is a shortfall
/// that the model agrees with; exclusions are exactly the model's; and every record replays and verifies.
/// </summary>
public class PanelDrawPropertyTests
{
    public static readonly string[] FieldCodes = ["transport", "energy", "forestry", "waste", "buildings"];

    /// <summary>Organisations as (account or null, the ways their name is written): the spellings must match each other.</summary>
    private static readonly (long? Account, string[] Names)[] Organisations =
    [
        (101, ["深圳地铁", " 深圳地铁 ", "深圳地铁\u3000"]),
        (102, ["Green Energy Co", "green energy co", "ＧＲＥＥＮ ＥＮＥＲＧＹ ＣＯ"]),
        (null, ["南京林业大学", "南京林业大学 "]),
        (null, ["Tsinghua University", "TSINGHUA UNIVERSITY"]),
        (105, ["市环科院"]),
    ];

    public sealed record Case(IReadOnlyList<Expert> Pool, PanelRequest Request, byte[] Seed)
    {
        public override string ToString() =>
            $"request {string.Join("+", Request.Fields)} x{Request.Size} for {Request.ApplicantOrganisation}/{Request.ApplicantAccount}; seed {Convert.ToHexString(Seed)[..8]}; pool: "
            + string.Join("; ", Pool.Select(e => $"{e.Id} {e.Status} {e.Organisation}/{e.OrganisationAccount} [{string.Join(",", e.Fields)}] c[{string.Join(",", e.Conflicts.Select(c => c.Organisation + "/" + c.Account))}]"));
    }

    /// <summary>An organisation as someone wrote it: any spelling, with its account or, sometimes, without.</summary>
    private static Gen<(long? Account, string Name)> Organisation() =>
        from o in Gen.Choose(0, Organisations.Length - 1)
        from spelling in Gen.Choose(0, 2)
        from withAccount in Gen.Elements(true, true, false)
        let org = Organisations[o]
        select (withAccount ? org.Account : null, org.Names[spelling % org.Names.Length]);

    private static Gen<IReadOnlyList<string>> Fields(int max) =>
        from mask in Gen.Choose(1, (1 << FieldCodes.Length) - 1)
        from rotate in Gen.Choose(0, FieldCodes.Length - 1)
        select (IReadOnlyList<string>)Enumerable.Range(0, FieldCodes.Length).Select(i => (i + rotate) % FieldCodes.Length)
            .Where(i => (mask & (1 << i)) != 0).Select(i => FieldCodes[i]).Take(max).ToList();

    private static Gen<ExpertConflict> Conflict() =>
        from org in Organisation()
        select new ExpertConflict(org.Account, org.Name, "曾任顾问 / former adviser");

    /// <summary>An expert whose id and name the pool's generator sets.</summary>
    private static Gen<Expert> ExpertGen() =>
        from org in Organisation()
        from fields in Fields(3)
        from active in Gen.Frequency((4, Gen.Constant(true)), (1, Gen.Constant(false)))
        from conflictCount in Gen.Frequency((5, Gen.Constant(0)), (2, Gen.Constant(1)), (1, Gen.Constant(2)))
        from conflicts in Gen.ListOf(Conflict(), conflictCount)
        select new Expert(0, "", org.Name, org.Account, fields, "教授", active ? ExpertStatus.Active : ExpertStatus.Inactive, [.. conflicts]);

    private static readonly Gen<Case> CaseGen =
        from count in Gen.Choose(0, 24)
        from gaps in Gen.Choose(1, 5).ArrayOf(count)
        from drafts in Gen.ListOf(ExpertGen(), count)
        from shuffle in Gen.Shuffle(drafts.Select((e, i) => e with { Id = gaps.Take(i + 1).Sum(), Name = $"专家{i}" }))
        from fields in Fields(3)
        from extra in Gen.Choose(0, 5)
        from applicant in Organisation()
        from seed in Gen.Choose(int.MinValue, int.MaxValue)
        select new Case(shuffle, new PanelRequest(fields, fields.Count + extra, applicant.Account, applicant.Name),
            SHA256.HashData(BitConverter.GetBytes(seed)));

    [Fact]
    public void Every_draw_respects_the_exclusions_fills_its_seats_covers_its_fields_and_replays()
    {
        var outcomes = new Dictionary<PanelDrawStatus, int>();
        var property = Prop.ForAll(CaseGen.ToArbitrary(), c =>
        {
            try
            {
                var status = Check(c);
                outcomes[status] = outcomes.GetValueOrDefault(status) + 1;
            }
            catch (Exception e)
            {
                throw new InvalidOperationException($"{e.Message}\ncase: {c}", e);
            }
        });
        property.Check(Config.QuickThrowOnFailure.WithMaxTest(1_000));

        // The generator must reach both outcomes often, or the checks above prove little.
        Assert.True(outcomes.GetValueOrDefault(PanelDrawStatus.Drawn) >= 300, $"drawn {outcomes.GetValueOrDefault(PanelDrawStatus.Drawn)} of 1000");
        Assert.True(outcomes.GetValueOrDefault(PanelDrawStatus.Shortfall) >= 100, $"shortfalls {outcomes.GetValueOrDefault(PanelDrawStatus.Shortfall)} of 1000");
    }

    private static PanelDrawStatus Check(Case c)
    {
        var result = PanelDraw.Draw(c.Pool, c.Request, c.Seed);
        var modelExcluded = c.Pool.OrderBy(e => e.Id).Select(e => (e.Id, Reason: ModelExclusion(e, c.Request))).Where(x => x.Reason is not null).ToList();
        var eligible = c.Pool.Where(e => ModelExclusion(e, c.Request) is null).ToList();
        var coverable = c.Request.Fields.Where(f => eligible.Any(e => e.Fields.Contains(f))).ToList();
        var uncovered = c.Request.Fields.Except(coverable).ToList();

        switch (result.Status)
        {
            case PanelDrawStatus.Drawn:
            {
                var record = result.Record!;
                var panel = record.Panel.Select(id => c.Pool.Single(e => e.Id == id)).ToList();
                Assert.Equal(c.Request.Size, panel.Count);
                Assert.Equal(panel.Count, panel.Select(e => e.Id).Distinct().Count());
                foreach (var member in panel)
                {
                    Assert.Equal(ExpertStatus.Active, member.Status);
                    Assert.Contains(member.Fields, c.Request.Fields.Contains);
                    Assert.False(ModelSame(member.OrganisationAccount, member.Organisation, c.Request), $"expert {member.Id} works for the applicant");
                    Assert.DoesNotContain(member.Conflicts, k => ModelSame(k.Account, k.Organisation, c.Request));
                }

                foreach (var field in c.Request.Fields) Assert.Contains(panel, e => e.Fields.Contains(field));
                Assert.Empty(uncovered);
                Assert.Equal(modelExcluded, record.Excluded.Select(x => (x.ExpertId, (ExclusionReason?)x.Reason)).ToList());
                Assert.Equal([.. c.Pool.OrderBy(e => e.Id)], record.Candidates);
                Assert.Equal(c.Request, record.Request);
                Assert.Equal(Convert.ToHexStringLower(c.Seed), record.SeedHex);
                Assert.Equal(PanelDraw.AlgorithmV1, record.Algorithm);
                Assert.Equal(record.Panel, PanelDraw.Replay(record));
                Assert.True(PanelDraw.Verify(record));
                Assert.Equal(record, PanelDraw.Recompute(record).Record);
                break;
            }

            case PanelDrawStatus.Shortfall:
            {
                var shortfall = result.Shortfall!;
                Assert.True(eligible.Count < c.Request.Size || uncovered.Count > 0, "a shortfall although enough eligible experts cover every field");
                Assert.Equal(eligible.Count, shortfall.Eligible);
                Assert.Equal(c.Request.Size, shortfall.Size);
                Assert.Equal(uncovered, shortfall.UncoveredFields);
                Assert.Equal(modelExcluded, shortfall.Excluded.Select(x => (x.ExpertId, (ExclusionReason?)x.Reason)).ToList());
                break;
            }

            case PanelDrawStatus.Invalid:
                Assert.Fail($"a valid request was refused: {result.Problem}");
                break;
        }

        return result.Status;
    }

    /// <summary>The model of exclusion, written apart from the implementation: the first reason that applies.</summary>
    private static ExclusionReason? ModelExclusion(Expert e, PanelRequest request)
    {
        if (e.Status == ExpertStatus.Inactive) return ExclusionReason.Inactive;
        if (!e.Fields.Intersect(request.Fields).Any()) return ExclusionReason.NoRequiredField;
        if (ModelSame(e.OrganisationAccount, e.Organisation, request)) return ExclusionReason.SameOrganisation;
        if (e.Conflicts.Any(k => ModelSame(k.Account, k.Organisation, request))) return ExclusionReason.DeclaredConflict;
        return null;
    }

    /// <summary>The same organisation: both accounts known and equal, or (an account unknown) one of the generator's organisations under any spelling.</summary>
    private static bool ModelSame(long? account, string name, PanelRequest request)
    {
        if (account is not null && request.ApplicantAccount is not null) return account == request.ApplicantAccount;
        return OrganisationIndex(name) == OrganisationIndex(request.ApplicantOrganisation);
    }

    private static int OrganisationIndex(string name)
    {
        var index = Array.FindIndex(Organisations, o => o.Names.Contains(name));
        Assert.True(index >= 0, $"{name} is none of the generator's organisations");
        return index;
    }

    [Fact]
    public void The_generators_spellings_of_an_organisation_normalise_alike_and_apart_from_the_others()
    {
        var normalised = Organisations.Select(o => o.Names.Select(n => ExpertRules.NormaliseName(n)).Distinct().ToList()).ToList();
        Assert.All(normalised, n => Assert.Single(n));
        Assert.Equal(Organisations.Length, normalised.Select(n => n[0]).Distinct().Count());
        Assert.Equal("green energy co", ExpertRules.NormaliseName("ＧＲＥＥＮ ＥＮＥＲＧＹ ＣＯ"));
        Assert.Equal(Encoding.UTF8.GetBytes("深圳地铁"), Encoding.UTF8.GetBytes(ExpertRules.NormaliseName("深圳地铁\u3000")));
    }
}
