using System.Globalization;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;

namespace Puhui.Governance;

/// <summary>
/// The working-day calendar as a JSON file: <c>firstYear</c>, <c>lastYear</c>, <c>provisionalYears</c> and
/// <c>days</c>, each day <c>{"date": "yyyy-MM-dd", "kind": "holiday"|"workday", "zh": …, "en": …}</c>. Members
/// <c>comment</c> and <c>sources</c> are for people (which notice each year was taken from) and are not read.
/// The platform ships <c>cn-working-days.json</c>, the State Council's schedules, embedded in this assembly.
/// </summary>
public static class WorkingDayCalendarData
{
    /// <summary>The embedded file's name, as the administrator knows it.</summary>
    public const string ShippedFileName = "cn-working-days.json";

    /// <summary>The largest file <see cref="Parse"/> reads, in characters: far more than a century of holidays.</summary>
    public const int LengthMax = 4_000_000;

    private const string ResourceName = "Puhui.Governance." + ShippedFileName;

    private static readonly Lazy<string> ShippedText = new(ReadShipped);

    /// <summary>The calendar the platform ships, read from the embedded file.</summary>
    public static WorkingDayCalendar Shipped() => Parse(ShippedText.Value);

    /// <summary>The embedded file's text, as shipped.</summary>
    public static string ShippedJson() => ShippedText.Value;

    /// <summary>Reads a calendar file; a malformed file or a day the calendar refuses is a <see cref="FormatException"/> naming it.</summary>
    public static WorkingDayCalendar Parse(string json)
    {
        ArgumentNullException.ThrowIfNull(json);
        if (json.Length > LengthMax) throw new FormatException($"A calendar file is at most {LengthMax} characters.");
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(json, new JsonDocumentOptions { AllowTrailingCommas = false, CommentHandling = JsonCommentHandling.Disallow });
        }
        catch (JsonException e)
        {
            throw new FormatException($"The calendar file is not JSON: {e.Message}", e);
        }

        using (document)
        {
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object) throw new FormatException("The calendar file is a JSON object.");
            var firstYear = Year(root, "firstYear");
            var lastYear = Year(root, "lastYear");
            var provisional = new List<int>();
            if (root.TryGetProperty("provisionalYears", out var years))
            {
                if (years.ValueKind != JsonValueKind.Array) throw new FormatException("provisionalYears is an array of years.");
                foreach (var year in years.EnumerateArray())
                {
                    if (!year.TryGetInt32(out var y)) throw new FormatException("provisionalYears is an array of years.");
                    provisional.Add(y);
                }
            }

            if (!root.TryGetProperty("days", out var days) || days.ValueKind != JsonValueKind.Array) throw new FormatException("days is an array.");
            var list = new List<CalendarDay>();
            foreach (var day in days.EnumerateArray()) list.Add(Day(day, list.Count));
            try
            {
                return new WorkingDayCalendar(list, firstYear, lastYear, provisional);
            }
            catch (ArgumentException e)
            {
                throw new FormatException($"The calendar file is refused: {e.Message}", e);
            }
        }
    }

    /// <summary>
    /// Writes <paramref name="calendar"/> as a calendar file, one day to a line in date order, so that a file read
    /// with <see cref="Parse"/> and written again differs only in what is for people.
    /// </summary>
    public static string Write(WorkingDayCalendar calendar, string? comment = null)
    {
        ArgumentNullException.ThrowIfNull(calendar);
        var text = new StringBuilder("{\n");
        if (comment is not null) text.Append("  \"comment\": ").Append(Quote(comment)).Append(",\n");
        text.Append(CultureInfo.InvariantCulture, $"  \"firstYear\": {calendar.FirstYear},\n  \"lastYear\": {calendar.LastYear},\n");
        text.Append("  \"provisionalYears\": [").Append(string.Join(", ", calendar.ProvisionalYears.Select(y => y.ToString(CultureInfo.InvariantCulture)))).Append("],\n");
        text.Append("  \"days\": [");
        for (var i = 0; i < calendar.Days.Count; i++)
        {
            var day = calendar.Days[i];
            text.Append(i == 0 ? "\n" : ",\n")
                .Append(CultureInfo.InvariantCulture, $"    {{\"date\": \"{day.Date:yyyy-MM-dd}\", \"kind\": \"{KindCode(day.Kind)}\", \"zh\": ")
                .Append(Quote(day.NameZh)).Append(", \"en\": ").Append(Quote(day.NameEn)).Append('}');
        }

        text.Append(calendar.Days.Count == 0 ? "]\n}\n" : "\n  ]\n}\n");
        return text.ToString();
    }

    /// <summary>The kind as files and the API spell it: <c>holiday</c> or <c>workday</c>.</summary>
    public static string KindCode(CalendarDayKind kind) => kind switch
    {
        CalendarDayKind.Holiday => "holiday",
        CalendarDayKind.Workday => "workday",
    };

    /// <summary>The kind spelt <paramref name="code"/>, or null when it is neither <c>holiday</c> nor <c>workday</c>.</summary>
    public static CalendarDayKind? ParseKind(string? code) => code switch
    {
        "holiday" => CalendarDayKind.Holiday,
        "workday" => CalendarDayKind.Workday,
        _ => null,
    };

    /// <summary>Reads <c>yyyy-MM-dd</c> exactly; null for anything else.</summary>
    public static DateOnly? ParseDate(string? text)
        => DateOnly.TryParseExact(text, "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var date) ? date : null;

    private static int Year(JsonElement root, string name)
        => root.TryGetProperty(name, out var value) && value.TryGetInt32(out var year) ? year : throw new FormatException($"{name} is a year.");

    private static CalendarDay Day(JsonElement day, int index)
    {
        if (day.ValueKind != JsonValueKind.Object) throw new FormatException($"days[{index}] is an object.");
        var text = String(day, "date", index);
        var date = ParseDate(text) ?? throw new FormatException($"days[{index}].date {text} is not a date written yyyy-MM-dd.");
        var kind = ParseKind(String(day, "kind", index)) ?? throw new FormatException($"days[{index}].kind is holiday or workday.");
        return new CalendarDay(date, kind, String(day, "zh", index), String(day, "en", index));
    }

    private static string String(JsonElement day, string name, int index)
        => day.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString()! : throw new FormatException($"days[{index}].{name} is a string.");

    // Chinese stays readable in the file: the only characters escaped are those JSON requires.
    private static readonly JsonSerializerOptions QuoteOptions = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    private static string Quote(string value) => JsonSerializer.Serialize(value, QuoteOptions);

    private static string ReadShipped()
    {
        using var stream = typeof(WorkingDayCalendarData).Assembly.GetManifestResourceStream(ResourceName)
            ?? throw new InvalidOperationException($"{ResourceName} is not embedded in {typeof(WorkingDayCalendarData).Assembly.GetName().Name}.");
        using var reader = new StreamReader(stream, Encoding.UTF8);
        return reader.ReadToEnd();
    }
}
