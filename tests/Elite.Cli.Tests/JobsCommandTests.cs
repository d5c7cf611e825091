namespace Elite.Cli.Tests;

/// <summary><c>elite jobs</c> before any server answers: what the user typed is checked here first.</summary>
public sealed class JobsCommandTests
{
    private const string Unreachable = "http://127.0.0.1:9"; // discard port: nothing listens

    [Fact]
    public async Task A_job_file_that_is_not_the_api_json_is_refused_with_its_problem()
    {
        var file = Path.GetTempFileName();
        await File.WriteAllTextAsync(file, """{"conceptId": "dog", "prompts": [{"prompt": "a photo of S"}], "negative_prompt": "x"}""");

        var (exitCode, _, error) = await Cli.RunAsync("jobs", "submit", "--api", Unreachable, "--file", file);

        Assert.Equal(2, exitCode);
        Assert.Contains("negative_prompt", error);
        File.Delete(file);
    }

    [Fact]
    public async Task Missing_or_malformed_arguments_are_user_errors_and_an_unreachable_api_is_named()
    {
        if (Environment.GetEnvironmentVariable(ApiCommand.ApiVariable) is null)
        {
            Assert.Equal(2, (await Cli.RunAsync("jobs", "status", "some-job")).ExitCode); // no --api and no ELITE_API
        }

        Assert.Equal(2, (await Cli.RunAsync("jobs", "status", "--api", "not a url", "some-job")).ExitCode);
        Assert.Equal(2, (await Cli.RunAsync("jobs", "submit", "--api", Unreachable, "--concept", "dog")).ExitCode);

        var (exitCode, _, error) = await Cli.RunAsync("jobs", "watch", "--api", Unreachable, "some-job");
        Assert.Equal(1, exitCode);
        Assert.Contains("could not reach http://127.0.0.1:9/api/", error);
    }
}
