using System.Text;

namespace Elite.Core.Jobs;

/// <summary>
/// Invalid CSV rows, kept within bounds: the first <c>max</c> are described (each message cut to 200 characters),
/// the rest only counted, and the whole text cut at <see cref="MaxLength"/> characters, so the job row's
/// <see cref="Rows.JobRow.Reason"/> stays below the table's limit of 32K characters per property.
/// </summary>
internal sealed class ProblemLog(int max)
{
    public const int MaxLength = 24_000;
    private const int MaxMessageLength = 200;
    private readonly List<string> _described = [];

    public int Count { get; private set; }

    public void Add(int line, string message)
    {
        Count++;
        if (_described.Count < max)
        {
            _described.Add($"line {line}: {(message.Length <= MaxMessageLength ? message : message[..MaxMessageLength] + "…")}");
        }
    }

    /// <summary>One text for the job row, or null when there were no problems.</summary>
    public string? Describe(string? note = null)
    {
        if (Count == 0)
        {
            return note;
        }

        var text = new StringBuilder();
        if (note is not null)
        {
            text.Append(note).Append(". ");
        }

        text.Append(Count == 1 ? "1 row is invalid" : $"{Count} rows are invalid");
        text.Append(Count > _described.Count ? $" (the first {_described.Count} are listed): " : ": ");
        text.AppendJoin("; ", _described);
        return text.Length <= MaxLength ? text.ToString() : text.ToString(0, MaxLength) + "…";
    }
}
