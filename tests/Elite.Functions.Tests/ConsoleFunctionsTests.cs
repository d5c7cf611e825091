using System.Globalization;
using System.Text.RegularExpressions;
using Elite.Contracts.Generation;
using Elite.Core.Jobs;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;

namespace Elite.Functions.Tests;

/// <summary>The web console's files: served with their types and a script policy, complete, and in step with the API's defaults and limits.</summary>
public sealed partial class ConsoleFunctionsTests
{
    private readonly ConsoleFunctions functions = new();

    [Theory]
    [InlineData("index.html", "text/html; charset=utf-8")]
    [InlineData("jobs.html", "text/html; charset=utf-8")]
    [InlineData("results.html", "text/html; charset=utf-8")]
    [InlineData("console.css", "text/css; charset=utf-8")]
    [InlineData("concepts.js", "text/javascript; charset=utf-8")]
    public async Task A_file_of_the_console_is_served_with_its_type_and_a_policy_that_runs_only_the_consoles_own_scripts(string file, string mediaType)
    {
        var http = new DefaultHttpContext();
        var served = Assert.IsType<ContentResult>(await functions.GetConsoleFile(http.Request, file));
        Assert.Equal((StatusCodes.Status200OK, mediaType), (served.StatusCode, served.ContentType));
        Assert.False(string.IsNullOrWhiteSpace(served.Content));
        Assert.Contains("default-src 'self'", http.Response.Headers.ContentSecurityPolicy.ToString());
        Assert.DoesNotContain("unsafe-inline", http.Response.Headers.ContentSecurityPolicy.ToString());
        Assert.Equal("nosniff", http.Response.Headers.XContentTypeOptions.ToString());
    }

    [Theory]
    [InlineData("missing.html")]
    [InlineData("..%2FProgram.cs")]
    [InlineData("../Program.cs")]
    [InlineData("Index.html")]
    public async Task Anything_else_is_not_found(string file) =>
        Assert.IsType<NotFoundObjectResult>(await functions.GetConsoleFile(new DefaultHttpContext().Request, file));

    [Fact]
    public void Every_page_script_and_stylesheet_the_pages_load_is_a_console_file_and_nothing_comes_from_elsewhere()
    {
        var pages = ConsoleFiles.All.Values.Where(f => f.Name.EndsWith(".html", StringComparison.Ordinal)).ToList();
        Assert.Equal(["index.html", "jobs.html", "results.html"], pages.Select(p => p.Name).Order(StringComparer.Ordinal));
        var loaded = pages.SelectMany(p => Reference().Matches(p.Text).Select(m => m.Groups["file"].Value))
            .Concat(ConsoleFiles.All.Values.Where(f => f.Name.EndsWith(".js", StringComparison.Ordinal)).SelectMany(s => Import().Matches(s.Text).Select(m => m.Groups["file"].Value)))
            .ToHashSet();
        Assert.All(loaded, file => Assert.NotNull(ConsoleFiles.Find(file.Split('?')[0])));
        Assert.All(ConsoleFiles.All.Keys, name => Assert.Contains(name, loaded)); // no file is left unused
        Assert.All(ConsoleFiles.All.Values, f => Assert.DoesNotContain("//cdn", f.Text, StringComparison.OrdinalIgnoreCase));
        Assert.All(pages, p => Assert.DoesNotMatch(@"<script(?![^>]*\bsrc=)", p.Text)); // no inline script: the policy would block it
    }

    [Fact]
    public void The_job_form_offers_the_schedulers_and_starts_at_the_defaults_within_the_limits_of_the_api()
    {
        var form = ConsoleFiles.Find("jobs.html")!.Text;
        Assert.Equal(SchedulerNames.All, Option().Matches(form).Select(m => m.Groups["value"].Value));
        Assert.Equal(SchedulerNames.Of(GenerationDefaults.Scheduler), Option().Matches(form).Single(m => m.Groups["selected"].Success).Groups["value"].Value);
        var limits = JobLimits.Default;
        Assert.Equal(Field("steps", GenerationDefaults.Steps, limits.MinSteps, limits.MaxSteps), Input(form, "steps"));
        Assert.Equal(Field("guidance", GenerationDefaults.Guidance, limits.MinGuidance, limits.MaxGuidance), Input(form, "guidance"));
        Assert.Equal(Field("lambda", GenerationDefaults.Lambda, limits.MinLambda, limits.MaxLambda), Input(form, "lambda"));
    }

    private static string Field(string id, IFormattable value, IFormattable min, IFormattable max) =>
        $"{id}: value {Invariant(value)}, min {Invariant(min)}, max {Invariant(max)}";

    private static string Input(string form, string id)
    {
        var input = Regex.Match(form, $"<input id=\"{id}\"[^>]*>").Value;
        string Attribute(string name) => Regex.Match(input, $"\\b{name}=\"([^\"]*)\"").Groups[1].Value;
        return $"{id}: value {Attribute("value")}, min {Attribute("min")}, max {Attribute("max")}";
    }

    private static string Invariant(IFormattable value) => value.ToString(null, CultureInfo.InvariantCulture);

    [GeneratedRegex("""<(?:script|link)\b[^>]*\b(?:src|href)="(?<file>[^"]+)"|<a\b[^>]*\bhref="(?<file>[a-z]+\.html)""")]
    private static partial Regex Reference();

    [GeneratedRegex("""\bfrom\s+"\./(?<file>[^"]+)"|`(?<file>[a-z]+\.html)\?""")]
    private static partial Regex Import();

    [GeneratedRegex("""<option value="(?<value>[^"]+)"(?<selected> selected)?>""")]
    private static partial Regex Option();
}
