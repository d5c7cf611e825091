using Elite.Core.Jobs;

namespace Elite.Core.Api;

/// <summary>The body of every error answer (<c>400</c>, <c>404</c>, <c>409</c>): each problem found, with the field it concerns.</summary>
public sealed record ApiErrors(IReadOnlyList<ValidationProblem> Errors)
{
    public static ApiErrors One(string field, string message) => new([new ValidationProblem(field, message)]);

    public override string ToString() => string.Join(Environment.NewLine, Errors);
}
