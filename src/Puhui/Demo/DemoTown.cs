using System.Globalization;
using Puhui.Ingestion;

namespace Puhui.Host.Demo;

/// <summary>An operator of the demo town and the one scenario it runs.</summary>
/// <param name="Code">The organisation's account code, which people name when they ask for a binding code.</param>
/// <param name="UserRefFormat">How the operator writes its own reference for a person; <c>{0}</c> is a random number.</param>
public sealed record DemoOperator(string Code, string DisplayName, string KeyLabel, string UserRefFormat, int UserRefDigits, ScenarioDefinition Scenario);

/// <summary>How a bus rider pays, which decides which operators report the ride.</summary>
public enum BusPayment
{
    None = 0,
    Card = 1,
    QrCode = 2,

    /// <summary>Bound at both; some rides are reported by both operators (a phone that carries the card and the QR wallet).</summary>
    Both = 3,
}

/// <summary>One generated resident: a display name, the operators' own references for them, what they consent to and their habits.</summary>
public sealed class DemoPerson
{
    public required int Index { get; init; }
    public required string DisplayName { get; init; }

    /// <summary>The person's reference at each operator (by <see cref="DemoTown.Operators"/> index), or null where they are no customer.</summary>
    public required string?[] UserRefs { get; init; }

    /// <summary>The operator whose scenario the person deliberately does not consent to, or -1.</summary>
    public int WithheldConsent { get; set; } = -1;

    public decimal CommuteKm { get; init; }
    public int CommuteMinutes { get; init; }
    public int MorningMinute { get; init; }
    public int EveningMinute { get; init; }
    public double MetroDayRate { get; init; }
    public BusPayment Bus { get; set; }
    public double BusDayRate { get; set; }
    public int[] BusRoutes { get; init; } = [];
    public double CycleDayRate { get; init; }
    public decimal CycleKm { get; init; }
    public double EgovDayRate { get; init; }
    public double RecycleDayRate { get; init; }

    /// <summary>The platform account, known once the person registered over HTTP.</summary>
    public long Account { get; set; }
    public string Token { get; set; } = "";

    public bool Uses(int op) => UserRefs[op] is not null;

    public bool Consents(int op) => Uses(op) && WithheldConsent != op;
}

/// <summary>
/// The demo town: six operators with one scenario each, and a seeded population of residents who use some of
/// them. Everything here is a pure function of the seed; nothing is sent anywhere.
/// </summary>
public static class DemoTown
{
    public const string Region = "440300";
    public const string BusDedupGroup = "sz-bus";
    public const int BusDedupWindowSeconds = 120;

    public const int Metro = 0, BusCard = 1, BusQr = 2, Bike = 3, Egov = 4, Recycling = 5;

    private static readonly string[] BusAttributes = ["vehicle", "stop"];

    /// <summary>The operators, in the order the summary lists their scenarios.</summary>
    public static IReadOnlyList<DemoOperator> Operators { get; } =
    [
        new("org:sz-metro", "深圳地铁 / Shenzhen Metro", "gates", "mt{0}", 8, new ScenarioDefinition
        {
            Code = "sz-metro", TitleZh = "深圳地铁出行", TitleEn = "Shenzhen metro travel", MethodologyId = "metro", MethodologyVersion = "1.0.0", Region = Region,
        }),
        new("org:pengcheng-bus", "鹏城公交 / Pengcheng Bus (cards)", "card readers", "szt-{0}", 9, new ScenarioDefinition
        {
            Code = "sz-bus-card", TitleZh = "公交刷卡出行（仅积分）", TitleEn = "Bus rides paid by card (points only)", PointsPerAction = 5, Region = Region,
            Attributes = BusAttributes, Dedup = new DedupRule(BusDedupGroup, BusAttributes, BusDedupWindowSeconds),
        }),
        new("org:swiftpay", "随手付 / SwiftPay (bus QR codes)", "qr gateway", "pay_{0}", 12, new ScenarioDefinition
        {
            Code = "sz-bus-qr", TitleZh = "公交扫码出行", TitleEn = "Bus rides paid by QR code", MethodologyId = "electric-bus", MethodologyVersion = "1.0.0", Region = Region,
            Attributes = BusAttributes, Dedup = new DedupRule(BusDedupGroup, BusAttributes, BusDedupWindowSeconds),
        }),
        new("org:greenride", "绿骑单车 / GreenRide bike share", "bike cloud", "gr{0}", 7, new ScenarioDefinition
        {
            Code = "sz-bike", TitleZh = "共享单车骑行", TitleEn = "Bike-share rides", MethodologyId = "cycling", MethodologyVersion = "1.0.0", Region = Region,
        }),
        new("org:sz-egov", "深圳政务服务 / Shenzhen e-government", "service hall", "isz-{0}", 10, new ScenarioDefinition
        {
            Code = "sz-egov", TitleZh = "政务服务网上办理", TitleEn = "Government services online", MethodologyId = "egov-online", MethodologyVersion = "1.0.0", Region = Region,
            DailyRecordsCap = 5,
        }),
        new("org:greenbox", "绿箱回收 / GreenBox recycling", "collection points", "gb{0}", 8, new ScenarioDefinition
        {
            Code = "sz-recycling", TitleZh = "智能回收箱分类投放", TitleEn = "Sorted recyclables at smart bins", MethodologyId = "garbage-sorting", MethodologyVersion = "1.0.0",
            Region = Region, DailyRecordsCap = 1,
        }),
    ];

    private static readonly string[] Adjectives = ["安静的", "勤快的", "快乐的", "认真的", "早起的", "爱笑的", "沉稳的", "机灵的", "温和的", "热心的", "节俭的", "好奇的"];
    private static readonly string[] Animals = ["白鹭", "熊猫", "松鼠", "海豚", "骆驼", "麋鹿", "喜鹊", "刺猬", "企鹅", "水獭", "萤火虫", "丹顶鹤"];

    /// <summary>The residents for <paramref name="seed"/>. A few are made to double-report bus rides and to withhold a consent, so that every run shows both.</summary>
    public static IReadOnlyList<DemoPerson> Populate(int seed, int persons)
    {
        var random = new Random(seed);
        var taken = Operators.Select(_ => new HashSet<string>(StringComparer.Ordinal)).ToArray();
        var people = new List<DemoPerson>(persons);
        for (var i = 0; i < persons; i++)
        {
            var refs = new string?[Operators.Count];
            var metro = random.NextDouble() < 0.7;
            var busRoll = random.NextDouble();
            var bus = busRoll < 0.25 ? BusPayment.Card : busRoll < 0.42 ? BusPayment.QrCode : busRoll < 0.52 ? BusPayment.Both : BusPayment.None;
            var bike = random.NextDouble() < 0.35;
            var egov = random.NextDouble() < 0.3;
            var recycling = random.NextDouble() < 0.3;
            if (!metro && bus == BusPayment.None && !bike && !egov && !recycling) metro = true;
            if (metro) refs[Metro] = NewRef(random, Metro, taken);
            if (bus is BusPayment.Card or BusPayment.Both) refs[BusCard] = NewRef(random, BusCard, taken);
            if (bus is BusPayment.QrCode or BusPayment.Both) refs[BusQr] = NewRef(random, BusQr, taken);
            if (bike) refs[Bike] = NewRef(random, Bike, taken);
            if (egov) refs[Egov] = NewRef(random, Egov, taken);
            if (recycling) refs[Recycling] = NewRef(random, Recycling, taken);

            var commuteKm = Math.Round(2.5m + (decimal)Math.Pow(random.NextDouble(), 1.4) * 33m, 1);
            var speedKmh = 26 + random.Next(0, 15);
            var person = new DemoPerson
            {
                Index = i,
                DisplayName = string.Create(CultureInfo.InvariantCulture, $"{Adjectives[random.Next(Adjectives.Length)]}{Animals[random.Next(Animals.Length)]} {i + 1:D4}"),
                UserRefs = refs,
                CommuteKm = commuteKm,
                CommuteMinutes = (int)Math.Ceiling(commuteKm * 60 / speedKmh) + 6,
                MorningMinute = 7 * 60 + random.Next(0, 120),
                EveningMinute = 17 * 60 + 30 + random.Next(0, 180),
                MetroDayRate = 0.55 + random.NextDouble() * 0.4,
                Bus = bus,
                BusDayRate = 0.3 + random.NextDouble() * 0.5,
                BusRoutes = [random.Next(1, 400), random.Next(1, 400)],
                CycleDayRate = 0.2 + random.NextDouble() * 0.5,
                CycleKm = Math.Round(1m + (decimal)random.NextDouble() * 9m, 1),
                EgovDayRate = 0.03 + random.NextDouble() * 0.07,
                RecycleDayRate = 0.08 + random.NextDouble() * 0.25,
            };
            // A few people bind an operator's account but never consent to its scenario (JS 25): their records there are refused.
            var used = Enumerable.Range(0, Operators.Count).Where(person.Uses).ToList();
            if (used.Count > 1 && random.NextDouble() < 0.06) person.WithheldConsent = used[random.Next(used.Count)];
            people.Add(person);
        }

        // Every run shows a withheld consent on the busiest scenario and rides reported twice, however small the town.
        if (!people.Any(p => p.WithheldConsent == Metro))
        {
            var person = people.FirstOrDefault(p => p.Uses(Metro) && p.WithheldConsent < 0 && Enumerable.Range(0, Operators.Count).Count(p.Uses) > 1) ?? people[0];
            person.UserRefs[Metro] ??= NewRef(random, Metro, taken);
            person.WithheldConsent = Metro;
        }

        var doubles = people.Count(p => p.Bus == BusPayment.Both);
        for (var i = 0; doubles < Math.Min(2, persons) && i < people.Count; i++)
        {
            var person = people[(i * 7 + 3) % people.Count];
            if (person.Bus == BusPayment.Both) continue;
            person.UserRefs[BusCard] ??= NewRef(random, BusCard, taken);
            person.UserRefs[BusQr] ??= NewRef(random, BusQr, taken);
            person.Bus = BusPayment.Both;
            person.BusDayRate = Math.Max(person.BusDayRate, 0.7);
            doubles++;
        }

        return people;
    }

    /// <summary>A reference in the operator's own format that none of <paramref name="taken"/> holds, which it then joins.</summary>
    private static string NewRef(Random random, int op, HashSet<string>[] taken)
    {
        while (true)
        {
            var reference = RandomRef(random, op);
            if (taken[op].Add(reference)) return reference;
        }
    }

    /// <summary>A reference in the operator's own format: digits, or lowercase hex for the payment app.</summary>
    public static string RandomRef(Random random, int op)
    {
        var spec = Operators[op];
        var hex = op == BusQr;
        var digits = new char[spec.UserRefDigits];
        for (var d = 0; d < digits.Length; d++) digits[d] = hex ? "0123456789abcdef"[random.Next(16)] : (char)('0' + random.Next(10));
        return string.Format(CultureInfo.InvariantCulture, spec.UserRefFormat, new string(digits));
    }
}
