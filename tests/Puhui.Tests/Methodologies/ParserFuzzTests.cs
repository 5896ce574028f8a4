using FsCheck;
using FsCheck.Fluent;
using Puhui.Methodologies;
using Puhui.Methodologies.Language;

namespace Puhui.Tests.Methodologies;

/// <summary>Whatever the input, the parser, the unit checker and the loader throw nothing but <see cref="MethodologyException"/>.</summary>
public sealed class ParserFuzzTests
{
    private static readonly string[] Tokens =
    [
        "a", "b", "c", "1", "0", "2.5", ".", "(", ")", ",", "+", "-", "*", "/", "<", "<=", ">", ">=", "==", "!=", "=", "!",
        "and", "or", "not", "true", "false", "if(", "min(", "max(", "clamp(", "round(", "floor(", "ceil(", "abs(",
        "sum_prev(", "avg_prev(", "days_prev(", "[km]", "[g/km]", "[", "]", "[%]", "[kWh", " ", "99999999999999999999999999999",
        "79228162514264337593543950335", "é", "\0", "\t", "😀", "x_1", "_", "[m^5]", "[1/0]",
    ];

    private static readonly (string, string)[] Inputs = [("a", "km"), ("b", "m"), ("c", "1")];

    /// <summary>
    /// Sends a formula over a, b, c through the parser and the whole loader. Any exception other than a
    /// <see cref="MethodologyException"/> escapes and falsifies the property.
    /// </summary>
    private static void LoadOrRefuse(string formula)
    {
        try
        {
            Parser.Parse(formula);
            MethodologyText.Load(Inputs, ("x", "1", formula));
        }
        catch (MethodologyException e)
        {
            Assert.False(string.IsNullOrEmpty(e.Problem));
        }
    }

    [Fact]
    public void Arbitrary_strings_only_ever_raise_methodology_exceptions()
    {
        Check.One(Config.QuickThrowOnFailure.WithMaxTest(1000), Prop.ForAll<string>(s => LoadOrRefuse(s ?? "")));
    }

    [Fact]
    public void Random_token_soup_only_ever_raises_methodology_exceptions()
    {
        var soup = Gen.Elements(Tokens).ListOf().Select(list => string.Concat(list));
        Check.One(Config.QuickThrowOnFailure.WithMaxTest(3000), Prop.ForAll(soup.ToArbitrary(), LoadOrRefuse));
    }

    [Fact]
    public void Mutated_library_files_only_ever_raise_methodology_exceptions()
    {
        var files = Directory.GetFiles(MethodologyText.LibraryDirectory(), "*.yaml").Select(File.ReadAllText).ToArray();
        var random = new Random(4);
        var loaded = 0;
        for (var i = 0; i < 600; i++)
        {
            var text = files[random.Next(files.Length)].ToCharArray().ToList();
            for (var edits = random.Next(1, 4); edits > 0; edits--)
            {
                var at = random.Next(text.Count);
                switch (random.Next(3))
                {
                    case 0: text.RemoveAt(at); break;
                    case 1: text.Insert(at, "{}[]:-'\"#&*!|>%@`,?\n 0.9aé"[random.Next(25)]); break;
                    default: text[at] = "{}[]:-'\"#&*!|>%@`,?\n 0.9aé"[random.Next(25)]; break;
                }
            }
            try
            {
                MethodologyLoader.Parse(new string(text.ToArray()));
                loaded++;
            }
            catch (MethodologyException)
            {
                // Refused with our own error: what this test wants.
            }
        }
        // Some mutations land in comments or descriptions; if none loaded, the mutations are too blunt to test anything.
        Assert.InRange(loaded, 1, 599);
    }
}
