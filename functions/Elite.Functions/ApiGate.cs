using Elite.Core.Api;
using Elite.Core.Callers;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;

namespace Elite.Functions;

/// <summary>Who may make a request, checked first by every HTTP function: its caller (<see cref="Caller.Of"/>) and the caller's rate limit.</summary>
public sealed class ApiGate(CallerOptions callers, ApiRateLimits limits)
{
    /// <summary>The request's caller, or the answer it gets instead: 401 without one, 429 past its limit.</summary>
    public (Caller? Caller, IActionResult? Refusal) Admit(HttpRequest request, RequestKind kind)
    {
        if (Caller.Of(request.Headers[Caller.PrincipalIdHeader].FirstOrDefault(), callers) is not { } caller)
        {
            return (null, new UnauthorizedObjectResult(ApiErrors.One("caller", "sign in (Microsoft Entra ID): this deployment takes no anonymous or function-key callers")));
        }

        return limits.Refusal(request, caller, kind) is { } tooMany ? (null, tooMany) : (caller, null);
    }
}
