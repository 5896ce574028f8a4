using System.Collections;

namespace Puhui.Storage;

/// <summary>What an audit found, kept to the first <see cref="Ledger.AuditReport.ProblemsMax"/>: enough to name the bad rows without flooding a report.</summary>
internal sealed class AuditProblems : IReadOnlyList<string>
{
    private readonly List<string> _problems = [];

    public int Count => _problems.Count;

    public string this[int index] => _problems[index];

    public void Add(string problem)
    {
        if (_problems.Count < Ledger.AuditReport.ProblemsMax) _problems.Add(problem);
    }

    public IEnumerator<string> GetEnumerator() => _problems.GetEnumerator();

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();
}
