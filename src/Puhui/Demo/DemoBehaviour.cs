using System.Globalization;
using Puhui.Client;

namespace Puhui.Host.Demo;

/// <summary>One request an operator sends at a wave's cut-off: its records of that part of the day, or a re-send of the request before.</summary>
public sealed record PlannedSend(int Wave, int Operator, IReadOnlyList<BehaviourRecord> Records, bool Resend);

/// <summary>A simulated day: when it starts (00:00 China time), the cut-offs at which operators send, and what they send.</summary>
public sealed record DayPlan(int Day, DateTimeOffset Start, IReadOnlyList<PlannedSend> Sends)
{
    public int RecordCount => Sends.Sum(s => s.Records.Count);
}

/// <summary>
/// The residents' behaviour, day by day, as the operators see it: commutes on the metro, bus rides (some reported
/// by both the card operator and the QR app), bike-share rides, e-government matters and recycling drop-offs, with
/// the noise real feeds carry — implausible trips, cards nobody bound, a scale that misreads, a late backlog, and
/// requests re-sent after a lost answer. A day's plan depends only on the seed, the population and the day's
/// number, never on the calendar, so the same seed gives the same outcomes on any date.
/// </summary>
public sealed class DemoBehaviour(int seed, IReadOnlyList<DemoPerson> people, int days)
{
    /// <summary>When, after midnight, the operators send what happened since the last cut-off.</summary>
    public static IReadOnlyList<TimeSpan> Cutoffs { get; } = [TimeSpan.FromHours(10), TimeSpan.FromHours(16), TimeSpan.FromHours(21), TimeSpan.FromHours(24)];

    public static readonly TimeSpan ChinaStandardTime = TimeSpan.FromHours(8);

    private static readonly string[] IdPrefixes = ["trip", "tap", "qr", "ride", "case", "drop"];

    private readonly HashSet<string>[] _boundRefs = Enumerable.Range(0, DemoTown.Operators.Count)
        .Select(op => people.Select(p => p.UserRefs[op]).OfType<string>().ToHashSet(StringComparer.Ordinal)).ToArray();

    public DayPlan Plan(int day, DateTimeOffset start)
    {
        var random = new Random(unchecked(seed * 7_919 + day * 104_729 + 17));
        var date = start.ToOffset(ChinaStandardTime).ToString("yyyyMMdd", CultureInfo.InvariantCulture);
        var counters = new int[DemoTown.Operators.Count];
        var records = new List<(int Op, BehaviourRecord Record)>();

        void Add(int op, string userRef, int minute, Dictionary<string, decimal> inputs, Dictionary<string, string>? attributes = null, int seconds = 0)
        {
            var id = string.Create(CultureInfo.InvariantCulture, $"{IdPrefixes[op]}-{date}-{++counters[op]:D5}");
            records.Add((op, new BehaviourRecord
            {
                Scenario = DemoTown.Operators[op].Scenario.Code,
                ExternalId = id,
                UserRef = userRef,
                OccurredAt = start.AddMinutes(minute).AddSeconds(seconds),
                Inputs = inputs,
                Attributes = attributes,
            }));
        }

        foreach (var p in people)
        {
            if (p.UserRefs[DemoTown.Metro] is { } metroRef)
            {
                if (random.NextDouble() < p.MetroDayRate)
                {
                    Add(DemoTown.Metro, metroRef, p.MorningMinute + random.Next(-10, 11) + p.CommuteMinutes, MetroTrip(random, p.CommuteKm, p.CommuteMinutes));
                    Add(DemoTown.Metro, metroRef, p.EveningMinute + random.Next(-20, 21) + p.CommuteMinutes, MetroTrip(random, p.CommuteKm, p.CommuteMinutes));
                }

                if (random.NextDouble() < 0.12)
                {
                    var km = Math.Round(2m + (decimal)random.NextDouble() * 18m, 1);
                    Add(DemoTown.Metro, metroRef, random.Next(10 * 60, 21 * 60), MetroTrip(random, km, (int)Math.Ceiling(km * 2) + 6));
                }
            }

            if (p.Bus != BusPayment.None && random.NextDouble() < p.BusDayRate)
            {
                var rides = random.NextDouble() < 0.5 ? 2 : 1;
                for (var ride = 0; ride < rides; ride++)
                {
                    var route = p.BusRoutes[random.Next(p.BusRoutes.Length)];
                    var attributes = new Dictionary<string, string>(StringComparer.Ordinal)
                    {
                        ["vehicle"] = string.Create(CultureInfo.InvariantCulture, $"M{route:D3}-{random.Next(1, 60):D2}"),
                        ["stop"] = string.Create(CultureInfo.InvariantCulture, $"S{random.Next(1, 2_000):D4}"),
                    };
                    var minute = ride == 0 ? random.Next(7 * 60, 9 * 60 + 30) : random.Next(17 * 60, 20 * 60 + 30);
                    var km = Math.Round(1m + (decimal)random.NextDouble() * 11m, 1);
                    var qrInputs = new Dictionary<string, decimal>(StringComparer.Ordinal) { ["distance"] = km, ["duration"] = Math.Ceiling(km * 60 / 16) + 3 };
                    var roll = random.NextDouble();
                    var card = p.Bus == BusPayment.Card || (p.Bus == BusPayment.Both && roll < 0.75);
                    var qr = p.Bus == BusPayment.QrCode || (p.Bus == BusPayment.Both && (roll < 0.5 || roll >= 0.75));
                    // The same ride from both operators: a tap and a scan a few seconds apart, on the same bus at the same stop.
                    if (card) Add(DemoTown.BusCard, p.UserRefs[DemoTown.BusCard]!, minute, [], attributes);
                    if (qr) Add(DemoTown.BusQr, p.UserRefs[DemoTown.BusQr]!, minute, qrInputs, attributes, card ? random.Next(5, 76) : 0);
                }
            }

            if (p.UserRefs[DemoTown.Bike] is { } bikeRef && random.NextDouble() < p.CycleDayRate)
            {
                var roll = random.NextDouble();
                var rides = roll < 0.08 ? 3 : roll < 0.3 ? 2 : 1;
                for (var ride = 0; ride < rides; ride++)
                {
                    var km = Math.Max(0.3m, Math.Round(p.CycleKm * (0.7m + (decimal)random.NextDouble() * 0.6m), 1));
                    // Now and then a ride at moped speed: an e-bike on a pedal-bike account, or a GPS jump.
                    var kmh = random.NextDouble() < 0.03 ? 36 + random.Next(0, 10) : 9 + random.Next(0, 9);
                    var minutes = random.NextDouble() < 0.03 ? Math.Max(1, Math.Floor(km * 60 / kmh)) : Math.Ceiling(km * 60 / kmh);
                    Add(DemoTown.Bike, bikeRef, random.Next(7 * 60, 21 * 60 + 30),
                        new Dictionary<string, decimal>(StringComparer.Ordinal) { ["distance"] = km, ["duration"] = minutes });
                }
            }

            if (p.UserRefs[DemoTown.Egov] is { } egovRef && random.NextDouble() < p.EgovDayRate)
            {
                var matters = random.NextDouble() < 0.8 ? 1 : random.Next(2, 5);
                Add(DemoTown.Egov, egovRef, random.Next(9 * 60, 17 * 60 + 30), new Dictionary<string, decimal>(StringComparer.Ordinal) { ["matters"] = matters });
            }

            if (p.UserRefs[DemoTown.Recycling] is { } binRef && random.NextDouble() < p.RecycleDayRate)
            {
                var drops = random.NextDouble() < 0.12 ? 2 : 1;
                for (var drop = 0; drop < drops; drop++)
                {
                    // A scale that misreads now and then: beyond the methodology's 50 kg bound.
                    var kg = random.NextDouble() < 0.015 ? Math.Round(50.5m + (decimal)random.NextDouble() * 30m, 1) : Math.Round(0.4m + (decimal)random.NextDouble() * 5.6m, 1);
                    Add(DemoTown.Recycling, binRef, random.Next(7 * 60, 21 * 60), new Dictionary<string, decimal>(StringComparer.Ordinal) { ["weight"] = kg });
                }
            }
        }

        // Cards and accounts nobody bound: visitors, and people who never linked their platform account.
        for (var n = random.Next(0, 2 + people.Count / 40); n > 0; n--)
            Add(DemoTown.Metro, UnboundRef(random, DemoTown.Metro), random.Next(6 * 60, 22 * 60), MetroTrip(random, Math.Round(3m + (decimal)random.NextDouble() * 20m, 1), 50));
        for (var n = random.Next(0, 1 + people.Count / 80); n > 0; n--)
        {
            var km = Math.Round(1m + (decimal)random.NextDouble() * 4m, 1);
            Add(DemoTown.Bike, UnboundRef(random, DemoTown.Bike), random.Next(7 * 60, 21 * 60), new Dictionary<string, decimal>(StringComparer.Ordinal) { ["distance"] = km, ["duration"] = Math.Ceiling(km * 6) });
        }

        // Once, a collection point that was offline uploads its backlog: drop-offs older than the scenario accepts.
        if (day == Math.Min(3, days - 1))
        {
            foreach (var p in people.Where(p => p.Uses(DemoTown.Recycling)).Take(3))
                Add(DemoTown.Recycling, p.UserRefs[DemoTown.Recycling]!, -(35 + random.Next(0, 10)) * 24 * 60 + 10 * 60,
                    new Dictionary<string, decimal>(StringComparer.Ordinal) { ["weight"] = 2.5m });
        }

        return new DayPlan(day, start, Waves(random, start, day, records));
    }

    private static List<PlannedSend> Waves(Random random, DateTimeOffset start, int day, List<(int Op, BehaviourRecord Record)> records)
    {
        var sends = new List<PlannedSend>();
        var from = DateTimeOffset.MinValue;
        var firstMetroResent = false;
        for (var wave = 0; wave < Cutoffs.Count; wave++)
        {
            var until = start + Cutoffs[wave];
            var order = Enumerable.Range(0, DemoTown.Operators.Count).ToArray();
            random.Shuffle(order);
            foreach (var op in order)
            {
                var batch = records.Where(r => r.Op == op && r.Record.OccurredAt >= from && r.Record.OccurredAt < until).Select(r => r.Record)
                    .OrderBy(r => r.OccurredAt).ThenBy(r => r.ExternalId, StringComparer.Ordinal).ToList();
                if (batch.Count == 0) continue;
                sends.Add(new PlannedSend(wave, op, batch, Resend: false));
                // An answer lost on the way back: the operator sends the same request again, and the platform counts nothing twice.
                var resend = (day == 0 && op == DemoTown.Metro && !firstMetroResent) || random.NextDouble() < 0.03;
                firstMetroResent |= op == DemoTown.Metro;
                if (resend) sends.Add(new PlannedSend(wave, op, batch, Resend: true));
            }

            from = until;
        }

        var planned = sends.Where(s => !s.Resend).Sum(s => s.Records.Count);
        if (planned != records.Count)
            throw new InvalidOperationException($"Day {day}: {records.Count - planned} records fall outside the day's cut-offs.");
        return sends;
    }

    private static Dictionary<string, decimal> MetroTrip(Random random, decimal km, int minutes)
    {
        // Now and then the gates log impossible times: a trip faster than any train.
        if (random.NextDouble() < 0.004) minutes = Math.Max(1, (int)Math.Floor(km * 60 / 110));
        return new Dictionary<string, decimal>(StringComparer.Ordinal) { ["distance"] = km, ["duration"] = minutes };
    }

    private string UnboundRef(Random random, int op)
    {
        while (true)
        {
            var reference = DemoTown.RandomRef(random, op);
            if (!_boundRefs[op].Contains(reference)) return reference;
        }
    }
}
