using FsCheck;
using FsCheck.Fluent;

namespace Puhui.Tests;

/// <summary>Property checks whose body runs a generated sequence of operations against a fresh store.</summary>
internal static class AsyncProperty
{
    /// <summary>Runs <paramref name="run"/> on <paramref name="runs"/> generated sequences; a failure names the sequence that caused it.</summary>
    public static void Check<T>(Gen<List<T>> sequences, Func<List<T>, Task> run, int runs)
    {
        var property = Prop.ForAll(sequences.ToArbitrary(), ops =>
        {
            try
            {
                Task.Run(() => run(ops)).GetAwaiter().GetResult();
            }
            catch (Exception e)
            {
                throw new InvalidOperationException($"{e.Message}\nsequence: {string.Join("; ", ops)}", e);
            }
        });
        property.Check(Config.QuickThrowOnFailure.WithMaxTest(runs));
    }
}
