using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;
using Puhui.Certificates;
using QRCoder;
using UglyToad.PdfPig;

namespace Puhui.Tests.Certificates;

public sealed partial class CertificatePdfTests
{
    private const string Code = "CN-2026-000001";
    private const string Url = "https://puhui.example/verify/CN-2026-000001?k=3f9a";

    private static PdfCertificateContent Sample(int serialCount = 3, string value = "南京市玄武区 Nanjing") => new(
        "碳中和证书",
        "Carbon-neutral certificate",
        Code,
        [
            new PdfLine("持有人", "Holder", value),
            new PdfLine("减排量", "Reduction", "1,500 kgCO2e"),
            new PdfLine("用途", "Purpose", string.Concat(Enumerable.Repeat("碳中和活动 carbon neutral event ", 12))),
        ],
        Serials(serialCount),
        Url,
        "本证书由普惠平台签发，可扫码核验。",
        "Issued by Puhui; scan the code to verify.");

    /// <summary>Fixed-width, so no range is a substring of another and counting occurrences is exact.</summary>
    private static List<string> Serials(int count) =>
        [.. Enumerable.Range(1, count).Select(i => string.Create(CultureInfo.InvariantCulture, $"320115-1-{i:D4}01-{i:D4}99"))];

    private static string Latin1(byte[] bytes) => Encoding.Latin1.GetString(bytes);

    [Fact]
    public void Output_has_pdf_header_and_eof_marker()
    {
        var text = Latin1(CertificatePdf.Render(Sample()));

        Assert.StartsWith("%PDF-1.7\n", text, StringComparison.Ordinal);
        Assert.EndsWith("%%EOF\n", text, StringComparison.Ordinal);
    }

    [Fact]
    public void Every_xref_offset_points_at_its_object()
    {
        var text = Latin1(CertificatePdf.Render(Sample(400)));

        var startxref = XrefStart().Match(text);
        Assert.True(startxref.Success);
        var xref = int.Parse(startxref.Groups[1].Value, CultureInfo.InvariantCulture);
        Assert.StartsWith("xref\n0 ", text[xref..], StringComparison.Ordinal);

        var header = XrefHeader().Match(text, xref);
        var size = int.Parse(header.Groups[1].Value, CultureInfo.InvariantCulture);
        var entries = text[(xref + header.Length)..].Split('\n').Take(size).ToList();
        Assert.Equal("0000000000 65535 f ", entries[0]);
        for (var id = 1; id < size; id++)
        {
            Assert.Matches(XrefEntry(), entries[id]);
            var offset = int.Parse(entries[id][..10], CultureInfo.InvariantCulture);
            Assert.StartsWith(string.Create(CultureInfo.InvariantCulture, $"{id} 0 obj\n"), text[offset..], StringComparison.Ordinal);
        }

        Assert.Contains(string.Create(CultureInfo.InvariantCulture, $"/Size {size} "), text, StringComparison.Ordinal);
    }

    [Fact]
    public void PdfPig_reads_pages_text_and_metadata()
    {
        using var document = PdfDocument.Open(CertificatePdf.Render(Sample()));

        Assert.Equal(1, document.NumberOfPages);
        var text = document.GetPage(1).Text;
        Assert.Contains(Code, text, StringComparison.Ordinal);
        Assert.Contains("320115-1-000201-000299", text, StringComparison.Ordinal);
        Assert.Contains("Retired serial ranges", text, StringComparison.Ordinal);
        Assert.Contains("Carbon-neutral certificate", text, StringComparison.Ordinal);
        Assert.Contains("Page 1 of 1", text, StringComparison.Ordinal);
        Assert.Contains(Url, text, StringComparison.Ordinal);
        // PdfPig maps the predefined UniGB-UCS2-H CMap back to Unicode, so Chinese text is extractable too.
        Assert.Contains("碳中和证书", text, StringComparison.Ordinal);
        Assert.Contains("注销序列号", text, StringComparison.Ordinal);
        Assert.Contains("持有人 / Holder: 南京市玄武区 Nanjing", text, StringComparison.Ordinal);
        Assert.Equal(Code, document.Information.Title);
        Assert.Equal("Puhui", document.Information.Producer);
    }

    [Fact]
    public void Chinese_text_uses_the_cjk_font_as_utf16_hex()
    {
        var bytes = CertificatePdf.Render(Sample());
        var text = Latin1(bytes);

        Assert.Contains("/BaseFont /STSong-Light /Encoding /UniGB-UCS2-H", text, StringComparison.Ordinal);
        Assert.Contains("/Registry (Adobe) /Ordering (GB1) /Supplement 2", text, StringComparison.Ordinal);
        // 碳中和证书 as UTF-16BE code units.
        Assert.Contains("<78B34E2D548C8BC14E66> Tj", text, StringComparison.Ordinal);
        Assert.All(bytes.Skip(16), b => Assert.True(b < 128, "everything after the binary comment is ASCII"));
    }

    [Fact]
    public void Characters_outside_the_bmp_become_question_marks()
    {
        var text = Latin1(CertificatePdf.Render(Sample(value: "林😀木")));

        // 林 ? 木: the emoji is replaced, never written as a surrogate pair.
        Assert.Contains("<6797> Tj", text, StringComparison.Ordinal);
        Assert.Contains("(?) Tj", text, StringComparison.Ordinal);
        Assert.DoesNotContain("D83D", text, StringComparison.Ordinal);
    }

    [Fact]
    public void Rendering_is_deterministic()
    {
        Assert.Equal(CertificatePdf.Render(Sample(400)), CertificatePdf.Render(Sample(400)));
    }

    [Fact]
    public void Many_serial_ranges_continue_on_numbered_pages_each_exactly_once()
    {
        var serials = Serials(400);
        using var document = PdfDocument.Open(CertificatePdf.Render(Sample(400)));

        Assert.True(document.NumberOfPages > 1);
        var pages = document.GetPages().ToList();
        var words = pages.SelectMany(page => page.GetWords()).Select(word => word.Text).ToList();
        foreach (var serial in serials)
        {
            Assert.Single(words, word => word == serial);
        }

        for (var number = 1; number <= pages.Count; number++)
        {
            var expected = string.Create(CultureInfo.InvariantCulture, $"Page {number} of {pages.Count}");
            Assert.Contains(expected, pages[number - 1].Text, StringComparison.Ordinal);
        }

        Assert.All(pages, page => Assert.True(
            serials.Count(serial => page.Text.Contains(serial, StringComparison.Ordinal)) <= CertificatePdf.SerialRangesPerPageMax));
    }

    [Fact]
    public void Long_values_wrap_without_losing_text()
    {
        var value = string.Join(' ', Enumerable.Range(1, 60).Select(i => string.Create(CultureInfo.InvariantCulture, $"word{i:D2}")));
        using var document = PdfDocument.Open(CertificatePdf.Render(Sample(value: value)));

        var page = document.GetPage(1);
        var words = page.GetWords().Select(word => word.Text).ToList();
        Assert.All(value.Split(' '), word => Assert.Contains(word, words));
        var baselines = page.Letters.Where(letter => letter.Value == "w").Select(letter => Math.Round(letter.StartBaseLine.Y)).Distinct();
        Assert.True(baselines.Count() > 1, "a value wider than the page must wrap onto further lines");
    }

    [Fact]
    public void Parentheses_and_backslashes_are_escaped()
    {
        const string value = @"Zhang (San) \ Li";
        var bytes = CertificatePdf.Render(Sample(value: value));

        Assert.Contains(@"/ Holder: Zhang \(San\) \\ Li) Tj", Latin1(bytes), StringComparison.Ordinal);
        using var document = PdfDocument.Open(bytes);
        Assert.Contains(value, document.GetPage(1).Text, StringComparison.Ordinal);
    }

    [Fact]
    public void Qr_code_equals_qrcoder_matrix()
    {
        var text = Latin1(CertificatePdf.Render(Sample()));

        var block = QrBlock().Match(text);
        Assert.True(block.Success);
        var rectangles = Rectangle().Matches(block.Groups[1].Value)
            .Select(m => (X: Parse(m.Groups[1].Value), Y: Parse(m.Groups[2].Value), Side: Parse(m.Groups[3].Value)))
            .ToList();
        var side = rectangles[0].Side;
        Assert.InRange(side, 2.0, 6.0);
        // The top-left finder pattern makes the symbol's first module dark, so it anchors the grid.
        var left = rectangles.Min(r => r.X);
        var top = rectangles.Max(r => r.Y);
        var drawn = rectangles.Select(r => ((int)Math.Round((top - r.Y) / side), (int)Math.Round((r.X - left) / side))).ToHashSet();

        using var data = QRCodeGenerator.GenerateQrCode(Url, QRCodeGenerator.ECCLevel.M);
        var matrix = data.ModuleMatrix;
        var padding = Enumerable.Range(0, matrix.Count).First(i => matrix[i][i]);
        var expected = new HashSet<(int, int)>();
        for (var row = padding; row < matrix.Count - padding; row++)
        {
            for (var column = padding; column < matrix.Count - padding; column++)
            {
                if (matrix[row][column])
                {
                    expected.Add((row - padding, column - padding));
                }
            }
        }

        Assert.Equal(expected.Count, rectangles.Count);
        Assert.True(expected.SetEquals(drawn));
        // Symbol plus a 4-module quiet zone on each side makes about 120 pt.
        Assert.InRange((matrix.Count - (2 * padding) + 8) * side, 119.0, 121.0);
    }

    [Theory]
    [InlineData("")]
    [InlineData(" ")]
    [InlineData(null)]
    public void Missing_code_or_title_throws(string? missing)
    {
        Assert.Throws<ArgumentException>(() => CertificatePdf.Render(Sample() with { Code = missing! }));
        Assert.Throws<ArgumentException>(() => CertificatePdf.Render(Sample() with { TitleZh = missing! }));
        Assert.Throws<ArgumentException>(() => CertificatePdf.Render(Sample() with { TitleEn = missing! }));
    }

    private static double Parse(string number) => double.Parse(number, CultureInfo.InvariantCulture);

    [GeneratedRegex(@"startxref\n(\d+)\n%%EOF\n$")]
    private static partial Regex XrefStart();

    [GeneratedRegex(@"\Gxref\n0 (\d+)\n")]
    private static partial Regex XrefHeader();

    [GeneratedRegex(@"^\d{10} 00000 n $")]
    private static partial Regex XrefEntry();

    [GeneratedRegex(@"q 0 g\n((?:[^\n]+ re\n)+)f\nQ\n")]
    private static partial Regex QrBlock();

    [GeneratedRegex(@"^([\d.]+) ([\d.]+) ([\d.]+) \3 re$", RegexOptions.Multiline)]
    private static partial Regex Rectangle();
}
