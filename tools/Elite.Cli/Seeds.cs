namespace Elite.Cli;

/// <summary>Seed lists as users write them: <c>42</c>, <c>1-4</c>, <c>1,5,9</c>, <c>1-3,10</c>.</summary>
internal static class Seeds
{
    public const int MaxCount = 10_000;

    public static IReadOnlyList<long> Parse(string text)
    {
        var seeds = new List<long>();
        foreach (var part in text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            var range = part.Split('-', 2);
            if (!long.TryParse(range[0], out var first) || first < 0 || (range.Length == 2 && (!long.TryParse(range[1], out var last) || last < first)))
            {
                throw new FormatException($"'{part}' is not a seed or a range of seeds (e.g. 42, 1-4, 1,5,9).");
            }

            var end = range.Length == 2 ? long.Parse(range[1]) : first;
            if (seeds.Count + (end - first + 1) > MaxCount) throw new FormatException($"more than {MaxCount} seeds.");
            for (var seed = first; seed <= end; seed++) seeds.Add(seed);
        }

        return seeds.Count > 0 ? seeds : throw new FormatException("no seed given.");
    }
}
