using System.Globalization;
using System.Text;
using QRCoder;

namespace Puhui.Certificates;

/// One labelled line of the certificate: a bilingual label and a value (the value may hold Chinese text).
public sealed record PdfLine(string LabelZh, string LabelEn, string Value);

/// Everything printed on a carbon-neutral certificate; <see cref="CertificatePdf"/> only lays it out.
public sealed record PdfCertificateContent(
    string TitleZh,
    string TitleEn,
    string Code,
    IReadOnlyList<PdfLine> Lines,
    IReadOnlyList<string> SerialRanges,
    string QrText,
    string FooterZh,
    string FooterEn);

/// <summary>
/// Writes carbon-neutral certificates (碳中和证书) as PDF 1.7 by hand. No PDF library is used because the
/// usable ones are copyleft (PDFsharp is AGPL); a certificate needs only text, lines and rectangles, which
/// are a few hundred lines of PDF syntax. QRCoder (MIT) computes the QR module matrix only.
/// </summary>
/// <remarks>
/// Chinese text uses the non-embedded Adobe CJK font STSong-Light, which every conforming reader provides,
/// so the files stay small and no font file has to be licensed or shipped. ASCII runs use the standard
/// Helvetica font, so codes, serials and URLs are extractable by any PDF text tool. Content streams are
/// uncompressed: the output is deterministic and easy to inspect, and certificates are small anyway.
/// </remarks>
public static class CertificatePdf
{
    /// <summary>Serial ranges printed side by side at most; fewer when the longest range is too wide.</summary>
    private const int SerialColumnsMax = 4;

    /// <summary>Rows of serial ranges on one page at most, so that page breaks do not depend on the footer length.</summary>
    private const int SerialRowsPerPageMax = 50;

    /// <summary>The most serial ranges one page holds; longer lists continue on further pages.</summary>
    public const int SerialRangesPerPageMax = SerialColumnsMax * SerialRowsPerPageMax;

    private const double PageWidth = 595;
    private const double PageHeight = 842;
    private const double Margin = 50;
    private const double ContentWidth = PageWidth - (2 * Margin);
    private const double FrameInset = 25;

    private const double TitleZhSize = 26;
    private const double TitleEnSize = 16;
    private const double CodeSize = 12;
    private const double BodySize = 10.5;
    private const double HeadingSize = 12;
    private const double SerialSize = 9;
    private const double QrTextSize = 6.5;
    private const double FooterSize = 8;

    /// <summary>Baseline-to-baseline distance as a multiple of the font size.</summary>
    private const double Leading = 1.35;

    /// <summary>Indent of the continuation lines of a wrapped labelled line, so each line's start stands out.</summary>
    private const double HangingIndent = 18;

    private const double SectionGap = 14;
    private const double SerialColumnGap = 12;

    /// <summary>Side of the QR code including its quiet zone, in points.</summary>
    private const double QrSide = 120;

    /// <summary>Light modules around the symbol, as ISO/IEC 18004 requires for reliable scanning.</summary>
    private const int QrQuietZone = 4;

    /// <summary>Modules per side of a version 1 symbol, and the growth per version (ISO/IEC 18004).</summary>
    private const int QrVersion1Side = 21;

    private const int QrSideGrowthPerVersion = 4;

    /// <summary>Medium error correction: survives some print damage without making the symbol dense.</summary>
    private const QRCodeGenerator.ECCLevel QrEccLevel = QRCodeGenerator.ECCLevel.M;

    private const string LatinFont = "F1";
    private const string CjkFont = "F2";

    /// <summary>Advance widths of the standard Helvetica font for ASCII 32–126, in 1/1000 em (Adobe AFM).</summary>
    private static readonly int[] HelveticaWidths =
    [
        278, 278, 355, 556, 556, 889, 667, 191, 333, 333, 389, 584, 278, 333, 278, 278,
        556, 556, 556, 556, 556, 556, 556, 556, 556, 556, 278, 278, 584, 584, 584, 556,
        1015, 667, 667, 722, 722, 667, 611, 778, 722, 278, 500, 667, 556, 833, 722, 778,
        667, 778, 722, 667, 611, 722, 667, 944, 667, 667, 611, 278, 278, 278, 469, 556,
        333, 556, 556, 500, 556, 556, 278, 556, 556, 222, 222, 500, 222, 833, 556, 556,
        556, 556, 333, 500, 278, 556, 500, 722, 500, 500, 500, 334, 260, 334, 584,
    ];

    /// <summary>Renders the certificate as PDF 1.7 bytes. Deterministic: the same content gives the same bytes (no clock, no random ids).</summary>
    /// <exception cref="ArgumentException">The code or a title is null or empty.</exception>
    public static byte[] Render(PdfCertificateContent content)
    {
        ArgumentNullException.ThrowIfNull(content);
        RequireText(content.Code, "certificate code");
        RequireText(content.TitleZh, "Chinese title");
        RequireText(content.TitleEn, "English title");
        ArgumentNullException.ThrowIfNull(content.Lines);
        ArgumentNullException.ThrowIfNull(content.SerialRanges);
        ArgumentNullException.ThrowIfNull(content.QrText);

        var footer = new List<string>();
        footer.AddRange(Wrap(Clean(content.FooterZh), FooterSize, ContentWidth, ContentWidth));
        footer.AddRange(Wrap(Clean(content.FooterEn), FooterSize, ContentWidth, ContentWidth));
        footer.RemoveAll(line => line.Length == 0);
        var pageNumberBaseline = Margin - 10;
        var footerTop = pageNumberBaseline + ((footer.Count + 1) * FooterSize * Leading);

        var qrTextLines = Wrap(Clean(content.QrText), QrTextSize, ContentWidth, ContentWidth);
        var qrBottom = footerTop + (qrTextLines.Count * QrTextSize * Leading) + 4;
        var qrTop = qrBottom + QrSide;

        var flow = new Flow(firstPageBottom: qrTop + SectionGap, otherPagesBottom: footerTop + SectionGap);
        WriteHeader(flow, content);
        WriteLines(flow, content.Lines);
        WriteSerialRanges(flow, content.Code, content.SerialRanges);

        var first = flow.Pages[0];
        DrawQr(first, content.QrText, PageWidth - Margin - QrSide, qrBottom);
        var y = qrBottom - (QrTextSize * Leading);
        foreach (var line in qrTextLines)
        {
            first.Text(PageWidth - Margin - Width(line, QrTextSize), y, QrTextSize, line);
            y -= QrTextSize * Leading;
        }

        var count = flow.Pages.Count;
        for (var index = 0; index < count; index++)
        {
            var page = flow.Pages[index];
            page.Frame();
            var baseline = footerTop - (FooterSize * Leading);
            foreach (var line in footer)
            {
                page.Centred(baseline, FooterSize, line);
                baseline -= FooterSize * Leading;
            }

            var number = index + 1;
            page.Centred(pageNumberBaseline, FooterSize, Invariant($"第 {number}/{count} 页 / Page {number} of {count}"));
        }

        return PdfFile.Write(Clean(content.Code), flow.Pages);
    }

    private static void RequireText(string? value, string what)
    {
        if (string.IsNullOrWhiteSpace(value))
        {
            throw new ArgumentException($"The {what} must not be empty.", "content");
        }
    }

    private static void WriteHeader(Flow flow, PdfCertificateContent content)
    {
        foreach (var (text, size) in new[] { (content.TitleZh, TitleZhSize), (content.TitleEn, TitleEnSize) })
        {
            foreach (var line in Wrap(Clean(text), size, ContentWidth, ContentWidth))
            {
                flow.Next(size * Leading).Centred(flow.Y, size, line);
            }
        }

        flow.Gap(SectionGap / 2);
        foreach (var line in Wrap(Clean($"证书编号 / Certificate No.: {content.Code}"), CodeSize, ContentWidth, ContentWidth))
        {
            flow.Next(CodeSize * Leading).Centred(flow.Y, CodeSize, line);
        }

        flow.Gap(SectionGap);
    }

    private static void WriteLines(Flow flow, IReadOnlyList<PdfLine> lines)
    {
        foreach (var item in lines)
        {
            ArgumentNullException.ThrowIfNull(item);
            var text = Clean($"{item.LabelZh} / {item.LabelEn}: {item.Value}");
            var wrapped = Wrap(text, BodySize, ContentWidth, ContentWidth - HangingIndent);
            for (var i = 0; i < wrapped.Count; i++)
            {
                var indent = i == 0 ? 0 : HangingIndent;
                flow.Next(BodySize * Leading).Text(Margin + indent, flow.Y, BodySize, wrapped[i]);
            }
        }

        flow.Gap(SectionGap);
    }

    /// <summary>
    /// Lays the ranges out row by row in as many columns as the longest range allows, continuing on new
    /// pages when the page is full. A range wider than the whole line (one column) wraps, so none is cut.
    /// </summary>
    private static void WriteSerialRanges(Flow flow, string code, IReadOnlyList<string> ranges)
    {
        const string Heading = "注销序列号 / Retired serial ranges";
        flow.Next(HeadingSize * Leading).Text(Margin, flow.Y, HeadingSize, Heading);
        flow.Gap(4);

        var cleaned = ranges.Select(range => Clean(range ?? string.Empty)).ToList();
        var widest = cleaned.Count == 0 ? 0 : cleaned.Max(range => Width(range, SerialSize));
        var columns = (int)Math.Clamp(Math.Floor((ContentWidth + SerialColumnGap) / (widest + SerialColumnGap)), 1, SerialColumnsMax);
        var columnWidth = (ContentWidth + SerialColumnGap) / columns;

        var rows = columns == 1
            ? cleaned.SelectMany(range => Wrap(range, SerialSize, ContentWidth, ContentWidth)).Select(line => new[] { line }).ToList()
            : cleaned.Chunk(columns).ToList();

        var rowsOnPage = 0;
        var pageIndex = flow.Pages.Count;
        foreach (var row in rows)
        {
            if (rowsOnPage == SerialRowsPerPageMax)
            {
                flow.NewPage();
            }

            var page = flow.Next(SerialSize * Leading);
            if (flow.Pages.Count != pageIndex)
            {
                pageIndex = flow.Pages.Count;
                rowsOnPage = 0;
                flow.Y = page.ContinuationHeading(code, Heading);
                page = flow.Next(SerialSize * Leading);
            }

            for (var column = 0; column < row.Length; column++)
            {
                page.Text(Margin + (column * columnWidth), flow.Y, SerialSize, row[column]);
            }

            rowsOnPage++;
        }
    }

    /// <summary>
    /// Draws the QR code as vector rectangles, one per dark module, filled by a single <c>f</c>, so it stays
    /// sharp at any zoom and print resolution.
    /// </summary>
    private static void DrawQr(Page page, string text, double left, double bottom)
    {
        var dark = QrModules(text);
        var size = dark.GetLength(0);
        var module = QrSide / (size + (2 * QrQuietZone));
        var top = bottom + QrSide - (QrQuietZone * module);
        var x0 = left + (QrQuietZone * module);
        page.Raw("q 0 g\n");
        for (var row = 0; row < size; row++)
        {
            for (var column = 0; column < size; column++)
            {
                if (dark[row, column])
                {
                    var y = top - ((row + 1) * module);
                    page.Raw($"{Num(x0 + (column * module))} {Num(y)} {Num(module)} {Num(module)} re\n");
                }
            }
        }

        page.Raw("f\nQ\n");
    }

    /// <summary>The symbol's modules without QRCoder's own quiet zone, which <see cref="DrawQr"/> adds itself.</summary>
    private static bool[,] QrModules(string text)
    {
        using var data = QRCodeGenerator.GenerateQrCode(text, QrEccLevel);
        var matrix = data.ModuleMatrix;
        var size = QrVersion1Side + ((data.Version - 1) * QrSideGrowthPerVersion);
        var padding = (matrix.Count - size) / 2;
        var dark = new bool[size, size];
        for (var row = 0; row < size; row++)
        {
            for (var column = 0; column < size; column++)
            {
                dark[row, column] = matrix[row + padding][column + padding];
            }
        }

        return dark;
    }

    /// <summary>
    /// Normalises text to what the two fonts can show: control characters become spaces, and characters
    /// outside the Basic Multilingual Plane (which UCS-2 cannot encode) become '?'.
    /// </summary>
    private static string Clean(string? text)
    {
        var builder = new StringBuilder((text ?? string.Empty).Length);
        foreach (var rune in (text ?? string.Empty).EnumerateRunes())
        {
            if (!rune.IsBmp || rune == Rune.ReplacementChar)
            {
                builder.Append('?');
            }
            else if (Rune.IsControl(rune))
            {
                builder.Append(' ');
            }
            else
            {
                builder.Append((char)rune.Value);
            }
        }

        return builder.ToString();
    }

    private static bool IsLatin(char c) => c is >= ' ' and <= '~';

    /// <summary>Advance width of a character: Helvetica's for ASCII, one em for the CJK font.</summary>
    private static double CharWidth(char c, double size) => IsLatin(c) ? HelveticaWidths[c - ' '] * size / 1000 : size;

    private static double Width(string text, double size) => text.Sum(c => CharWidth(c, size));

    /// <summary>
    /// Greedy line breaking: Latin text breaks after spaces, CJK text between any two characters, and a word
    /// longer than a whole line is broken wherever it must be, so that nothing is ever cut off.
    /// </summary>
    private static List<string> Wrap(string text, double size, double firstWidth, double restWidth)
    {
        var lines = new List<string>();
        var start = 0;
        while (start < text.Length)
        {
            var limit = lines.Count == 0 ? firstWidth : restWidth;
            var end = start;
            var width = 0.0;
            var lastBreak = -1;
            while (end < text.Length)
            {
                var advance = CharWidth(text[end], size);
                if (width + advance > limit && end > start)
                {
                    break;
                }

                width += advance;
                end++;
                if (text[end - 1] == ' ' || !IsLatin(text[end - 1]) || (end < text.Length && !IsLatin(text[end])))
                {
                    lastBreak = end;
                }
            }

            if (end < text.Length && lastBreak > start)
            {
                end = lastBreak;
            }

            lines.Add(text[start..end].TrimEnd());
            start = end;
            while (start < text.Length && text[start] == ' ')
            {
                start++;
            }
        }

        if (lines.Count == 0)
        {
            lines.Add(string.Empty);
        }

        return lines;
    }

    private static string Invariant(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);

    /// <summary>Formats a coordinate with at most three decimals, culture-independently, so output is deterministic.</summary>
    private static string Num(double value)
    {
        var rounded = Math.Round(value, 3);
        return rounded == 0 ? "0" : rounded.ToString("0.###", CultureInfo.InvariantCulture);
    }

    /// <summary>
    /// Writes text as runs: ASCII in Helvetica (a literal string, with the delimiters escaped) and everything
    /// else in the CJK font (a hex string of UTF-16BE code units, which is what UniGB-UCS2-H expects).
    /// Switching fonts inside one text object lets the reader advance the pen by each font's own widths.
    /// </summary>
    private static string TextOperators(double x, double y, double size, string text)
    {
        var builder = new StringBuilder();
        builder.Append(Invariant($"BT {Num(x)} {Num(y)} Td\n"));
        var start = 0;
        while (start < text.Length)
        {
            var latin = IsLatin(text[start]);
            var end = start;
            while (end < text.Length && IsLatin(text[end]) == latin)
            {
                end++;
            }

            builder.Append(Invariant($"/{(latin ? LatinFont : CjkFont)} {Num(size)} Tf "));
            if (latin)
            {
                builder.Append('(');
                foreach (var c in text.AsSpan(start, end - start))
                {
                    if (c is '(' or ')' or '\\')
                    {
                        builder.Append('\\');
                    }

                    builder.Append(c);
                }

                builder.Append(") Tj\n");
            }
            else
            {
                builder.Append('<');
                foreach (var c in text.AsSpan(start, end - start))
                {
                    builder.Append(((int)c).ToString("X4", CultureInfo.InvariantCulture));
                }

                builder.Append("> Tj\n");
            }

            start = end;
        }

        builder.Append("ET\n");
        return builder.ToString();
    }

    /// <summary>One page's content stream under construction.</summary>
    private sealed class Page
    {
        private readonly StringBuilder content = new();

        public string Content => content.ToString();

        public void Raw(string operators) => content.Append(operators);

        public void Text(double x, double y, double size, string text)
        {
            if (text.Length > 0)
            {
                content.Append(TextOperators(x, y, size, text));
            }
        }

        public void Centred(double y, double size, string text) => Text((PageWidth - Width(text, size)) / 2, y, size, text);

        /// <summary>Heads a continuation page so a loose page still says which certificate it belongs to.</summary>
        public double ContinuationHeading(string code, string heading)
        {
            var y = PageHeight - Margin - HeadingSize;
            Text(Margin, y, HeadingSize, Clean($"{heading} ({code})"));
            return y - 4;
        }

        /// <summary>A thin double frame: the customary look of a certificate, drawn with lines only.</summary>
        public void Frame()
        {
            foreach (var (inset, width) in new[] { (FrameInset, 1.5), (FrameInset + 4, 0.5) })
            {
                var (left, bottom, right, top) = (inset, inset, PageWidth - inset, PageHeight - inset);
                content.Append(Invariant(
                    $"q 0.1 0.4 0.2 RG {Num(width)} w {Num(left)} {Num(bottom)} m {Num(right)} {Num(bottom)} l {Num(right)} {Num(top)} l {Num(left)} {Num(top)} l h S Q\n"));
            }
        }
    }

    /// <summary>A top-to-bottom cursor over pages that starts a new page when the next line would not fit.</summary>
    private sealed class Flow(double firstPageBottom, double otherPagesBottom)
    {
        private const double Top = PageHeight - Margin;

        public List<Page> Pages { get; } = [new Page()];

        /// <summary>Baseline of the line most recently placed.</summary>
        public double Y { get; set; } = Top;

        private double Bottom => Pages.Count == 1 ? firstPageBottom : otherPagesBottom;

        public void NewPage()
        {
            Pages.Add(new Page());
            Y = Top;
        }

        /// <summary>Moves down one line of the given height, on a new page if need be, and returns the page.</summary>
        public Page Next(double height)
        {
            if (Y - height < Bottom)
            {
                NewPage();
            }

            Y -= height;
            return Pages[^1];
        }

        public void Gap(double height) => Y -= height;
    }

    /// <summary>Serialises objects, the cross-reference table and the trailer.</summary>
    private static class PdfFile
    {
        private const int CatalogId = 1;
        private const int PagesId = 2;
        private const int InfoId = 3;
        private const int LatinFontId = 4;
        private const int CjkFontId = 5;
        private const int CjkDescendantId = 6;
        private const int CjkDescriptorId = 7;
        private const int FirstPageId = 8;

        public static byte[] Write(string code, IReadOnlyList<Page> pages)
        {
            var pageIds = Enumerable.Range(0, pages.Count).Select(i => FirstPageId + (2 * i)).ToList();
            var objects = new List<string>
            {
                Invariant($"<< /Type /Catalog /Pages {PagesId} 0 R >>"),
                Invariant($"<< /Type /Pages /Kids [{string.Join(' ', pageIds.Select(id => Invariant($"{id} 0 R")))}] /Count {pages.Count} >>"),
                Invariant($"<< /Title {InfoString(code)} /Producer (Puhui) >>"),
                "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>",
                Invariant($"<< /Type /Font /Subtype /Type0 /BaseFont /STSong-Light /Encoding /UniGB-UCS2-H /DescendantFonts [{CjkDescendantId} 0 R] >>"),
                Invariant($"<< /Type /Font /Subtype /CIDFontType0 /BaseFont /STSong-Light /CIDSystemInfo << /Registry (Adobe) /Ordering (GB1) /Supplement 2 >> /FontDescriptor {CjkDescriptorId} 0 R /DW 1000 /W [1 95 500] >>"),
                "<< /Type /FontDescriptor /FontName /STSong-Light /Flags 6 /FontBBox [-25 -254 1000 880] /ItalicAngle 0 /Ascent 880 /Descent -120 /CapHeight 880 /StemV 93 >>",
            };

            foreach (var (page, id) in pages.Zip(pageIds))
            {
                var stream = page.Content;
                objects.Add(Invariant(
                    $"<< /Type /Page /Parent {PagesId} 0 R /MediaBox [0 0 {Num(PageWidth)} {Num(PageHeight)}] /Resources << /Font << /{LatinFont} {LatinFontId} 0 R /{CjkFont} {CjkFontId} 0 R >> >> /Contents {id + 1} 0 R >>"));
                objects.Add(Invariant($"<< /Length {stream.Length} >>\nstream\n{stream}endstream"));
            }

            using var output = new MemoryStream();
            Append(output, "%PDF-1.7\n");

            // A comment of bytes above 127 tells transfer tools that the file is binary.
            output.Write([(byte)'%', 0xE2, 0xE3, 0xCF, 0xD3, (byte)'\n']);

            var offsets = new List<long>();
            for (var i = 0; i < objects.Count; i++)
            {
                offsets.Add(output.Position);
                Append(output, Invariant($"{i + 1} 0 obj\n{objects[i]}\nendobj\n"));
            }

            var xref = output.Position;
            var table = new StringBuilder();
            table.Append(Invariant($"xref\n0 {objects.Count + 1}\n0000000000 65535 f \n"));
            foreach (var offset in offsets)
            {
                table.Append(Invariant($"{offset:D10} 00000 n \n"));
            }

            table.Append(Invariant($"trailer\n<< /Size {objects.Count + 1} /Root {CatalogId} 0 R /Info {InfoId} 0 R >>\nstartxref\n{xref}\n%%EOF\n"));
            Append(output, table.ToString());
            return output.ToArray();
        }

        /// <summary>A PDF text string: literal for ASCII, otherwise UTF-16BE with a byte-order mark as the spec requires.</summary>
        private static string InfoString(string text)
        {
            if (text.All(IsLatin))
            {
                return "(" + text.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("(", "\\(", StringComparison.Ordinal).Replace(")", "\\)", StringComparison.Ordinal) + ")";
            }

            return "<FEFF" + string.Concat(text.Select(c => ((int)c).ToString("X4", CultureInfo.InvariantCulture))) + ">";
        }

        /// <summary>Everything written is ASCII by construction (CJK text is hex-encoded), so one byte per char.</summary>
        private static void Append(Stream output, string text) => output.Write(Encoding.ASCII.GetBytes(text));
    }
}
