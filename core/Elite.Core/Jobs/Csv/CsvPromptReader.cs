using System.Net;
using System.Text;
using Azure;
using CsvHelper;

namespace Elite.Core.Jobs;

/// <summary>One data row of a prompt CSV: its 0-based index, its line, its fields, and a quoting problem CsvHelper found in it.</summary>
internal sealed record CsvRow(int Index, int Line, IReadOnlyList<string> Fields, IReadOnlyDictionary<string, int> Columns, string? Malformed)
{
    /// <summary>The field of a column, empty when the header lacks the column or the row is short.</summary>
    public string Field(string column) => Columns.TryGetValue(column, out var index) && index < Fields.Count ? Fields[index] : "";
}

/// <summary>How the reading of a CSV ended: tasks written, rows refused, whether rows were left unread, and the job's reason.</summary>
internal sealed record CsvReadOutcome(int TaskCount, int InvalidRowCount, bool RowsNotRead, string? Reason);

/// <summary>
/// Reads a prompt CSV within its bounds: the header first (checked, to say exactly what is wrong with it), then at
/// most <see cref="JobLimits.MaxCsvRows"/> rows, each of at most <see cref="JobLimits.MaxCsvFieldLength"/> per field.
/// Streamed: memory stays flat however long the file is. What a row means is the caller's (<see cref="CsvRowParser"/>).
/// </summary>
internal sealed class CsvPromptReader(JobLimits limits)
{
    /// <param name="accept">Takes a row and returns why it is refused, or null when its task was written.</param>
    public async Task<CsvReadOutcome> ReadAsync(Stream csv, Func<CsvRow, CancellationToken, Task<string?>> accept, CancellationToken cancellationToken)
    {
        var problems = new ProblemLog(limits.MaxReportedProblems);
        var malformed = new Dictionary<long, string>();
        var readerOptions = new CsvReaderOptions
        {
            Separator = ',',
            HasHeader = false, // the first record is checked here, to say exactly what is wrong with it
            TrackLineNumbers = true,
            AllowLineBreaksInQuotes = true, // RFC 4180; a stray quote swallows at most MaxRecordSize, and that stops the reading
            MaxRecordSize = limits.MaxCsvFieldLength * (CsvColumns.All.Count + 1),
            OnMalformedRecord = record => malformed[record.LineNumber] = MalformedReason(record.Reason),
        };

        await using var reader = CsvReader.Create(csv, readerOptions, leaveOpen: true);
        int rows = 0, accepted = 0;
        try
        {
            if (!await reader.ReadAsync(cancellationToken))
            {
                return new(0, 0, false, "the CSV file is empty: its first line must be a header naming the columns " + CsvColumns.Described);
            }

            var (columns, headerProblem) = ReadHeader(reader);
            if (columns is null)
            {
                return new(0, 0, false, headerProblem);
            }

            while (await reader.ReadAsync(cancellationToken))
            {
                if (rows == limits.MaxCsvRows)
                {
                    return new(accepted, problems.Count, true,
                        problems.Describe($"the CSV has more than {limits.MaxCsvRows} rows: only the first {limits.MaxCsvRows} were read"));
                }

                var line = (int)reader.LineNumber;
                var fields = Enumerable.Range(0, reader.FieldCount).Select(reader.GetString).ToList();
                var problem = await accept(new CsvRow(rows, line, fields, columns, malformed.Remove(line, out var quoting) ? quoting : null), cancellationToken);
                rows++;
                if (problem is not null)
                {
                    problems.Add(line, problem);
                }
                else
                {
                    accepted++;
                }
            }
        }
        catch (RequestFailedException e) when (e.Status == (int)HttpStatusCode.PreconditionFailed)
        {
            // The blob is read pinned to one version (If-Match): a new upload under the same name ends this one's reading.
            return new(accepted, problems.Count, true,
                problems.Describe($"the CSV was replaced while it was read: the {rows} rows read before run, and its new version is read as a job of its own"));
        }
        catch (CsvFormatException e)
        {
            return new(accepted, problems.Count, true,
                problems.Describe($"line {e.LineNumber}: a row longer than {readerOptions.MaxRecordSize} bytes (an unclosed quote?); reading stopped there"));
        }

        if (rows == 0)
        {
            return new(0, 0, false, "the CSV has a header but no rows");
        }

        return new(accepted, problems.Count, false, accepted == 0 ? "no row is valid. " + problems.Describe() : problems.Describe());
    }

    /// <summary>The index of each column in the header, or why the first record is not a usable header.</summary>
    private static (Dictionary<string, int>? Columns, string? Problem) ReadHeader(CsvReader reader)
    {
        var names = Enumerable.Range(0, reader.FieldCount).Select(i => reader.GetString(i).Trim().ToLowerInvariant()).ToList();
        if (!names.Contains(CsvColumns.ConceptId) || !names.Contains(CsvColumns.Prompt))
        {
            return (null, $"the first line must be a header naming the columns {CsvColumns.Described}; it is: {JobValidator.Shorten(Encoding.UTF8.GetString(reader.RawRecord), 200)}");
        }

        var unknown = names.Where(name => !CsvColumns.All.Contains(name)).Distinct().Select(name => $"'{JobValidator.Shorten(name)}'").ToList();
        var twice = names.GroupBy(name => name).Where(group => group.Count() > 1).Select(group => group.Key).ToList();
        if (unknown.Count > 0 || twice.Count > 0)
        {
            var parts = new List<string>();
            if (unknown.Count > 0)
            {
                parts.Add($"unknown column{(unknown.Count > 1 ? "s" : "")} {string.Join(", ", unknown)}");
            }

            if (twice.Count > 0)
            {
                parts.Add($"{string.Join(", ", twice)} more than once");
            }

            return (null, $"the header has {string.Join(" and ", parts)}; the columns are {CsvColumns.Described}");
        }

        return (names.Select((name, index) => (name, index)).ToDictionary(column => column.name, column => column.index, StringComparer.Ordinal), null);
    }

    private static string MalformedReason(CsvMalformedReason reason) => reason switch
    {
        CsvMalformedReason.StrayQuote => "has a quote inside an unquoted field",
        CsvMalformedReason.TextAfterClosingQuote => "has text after the closing quote of a field",
        CsvMalformedReason.UnterminatedQuote => "has a quoted field that is never closed",
        CsvMalformedReason.LineBreakInQuotes => "has a quoted field that runs past the end of the line",
        _ => $"is malformed ({reason})",
    };
}
