using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;
using System.Text.RegularExpressions;

namespace Puhui.Client.Internal;

/// <summary>
/// An ISO 8601 instant that must say its offset (<c>Z</c> or <c>±hh:mm</c>): without one the same text would
/// mean a different moment on servers in different time zones, so it is refused as malformed.
/// </summary>
internal sealed partial class OffsetRequiredConverter : JsonConverter<DateTimeOffset>
{
    public override DateTimeOffset Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
    {
        var text = reader.TokenType == JsonTokenType.String ? reader.GetString() : null;
        if (text is null || !WithOffset().IsMatch(text)
            || !DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.None, out var instant))
            throw new JsonException("an instant is ISO 8601 text with its offset, e.g. 2026-11-02T08:30:00+08:00 or 2026-11-02T00:30:00Z");
        return instant;
    }

    public override void Write(Utf8JsonWriter writer, DateTimeOffset value, JsonSerializerOptions options) => writer.WriteStringValue(value);

    [GeneratedRegex(@"T\d{2}:\d{2}(:\d{2}(\.\d{1,7})?)?(Z|z|[+-]\d{2}:\d{2})$", RegexOptions.CultureInvariant)]
    private static partial Regex WithOffset();
}
