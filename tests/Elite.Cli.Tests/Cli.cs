using System.CommandLine;

namespace Elite.Cli.Tests;

/// <summary>Runs the <c>elite</c> command tree in-process and captures what it prints.</summary>
internal static class Cli
{
    public static Task<(int ExitCode, string Output, string Error)> RunAsync(params string[] args) => RunAsync(new StringWriter(), CancellationToken.None, args);

    public static async Task<(int ExitCode, string Output, string Error)> RunAsync(StringWriter output, CancellationToken cancellationToken, params string[] args)
    {
        var error = new StringWriter();
        var exitCode = await EliteCommand.Create().Parse(args).InvokeAsync(new InvocationConfiguration { Output = output, Error = error }, cancellationToken);
        return (exitCode, output.ToString(), error.ToString());
    }
}
