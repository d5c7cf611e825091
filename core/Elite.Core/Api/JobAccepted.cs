namespace Elite.Core.Api;

/// <summary>The body of <c>202 Accepted</c> from <c>POST /api/jobs</c>.</summary>
/// <param name="Repeated">The request repeated an earlier one with the same <c>Idempotency-Key</c>: this is that job.</param>
/// <param name="Status">The job's status URL, relative to the host.</param>
public sealed record JobAccepted(string JobId, int Tasks, bool Repeated, string Status);
