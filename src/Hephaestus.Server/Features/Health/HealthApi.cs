using Hephaestus.Data.Embedded;
using Hephaestus.Data.Health;
using Hephaestus.Server.Hosting;
using Microsoft.AspNetCore.Http.HttpResults;
using Npgsql;

namespace Hephaestus.Server.Features.Health;

public sealed record HealthResponse(string Status, string? Database = null, IReadOnlyList<string>? PendingMigrations = null);

/// <summary>
/// Liveness says the process is worth keeping: it answers, and the embedded PostgreSQL it supervises has not kept failing
/// to restart for longer than Embedded:LivenessFailsAfterSeconds (then an orchestrator should restart the service).
/// Readiness says it can serve: the embedded postmaster runs (not down, not in crash recovery), the database answers and
/// accepts writes, and its schema is the one the code expects. Both are anonymous and cheap, for load balancers and
/// orchestrators; a 503 carries Retry-After.
/// </summary>
public static class HealthApi
{
    public static IEndpointRouteBuilder MapHealth(this IEndpointRouteBuilder routes)
    {
        var health = routes.MapGroup("/health").WithTags("Health").AllowAnonymous()
            // An orchestrator probing health is never throttled: a 429 would read as "down".
            .DisableRateLimiting();
        health.MapGet("/live", Live).WithName("GetLiveness")
            .WithSummary("Is the process alive")
            .WithDescription("200 while the process runs and the embedded database's supervisor has not given up; 503 otherwise (an orchestrator restarts the process). No token needed; never rate limited.");
        health.MapGet("/ready", Ready).WithName("GetReadiness")
            .WithSummary("Can the service take requests")
            .WithDescription("200 when the database answers and has no pending migrations; 503 with Retry-After otherwise (an orchestrator sends traffic elsewhere). No token needed; never rate limited.");
        return routes;
    }

    static Results<Ok<HealthResponse>, JsonHttpResult<HealthResponse>> Live(DatabaseEndpoint endpoint, HttpContext context) =>
        endpoint.Supervisor is { IsLive: false, DownSince: var since }
            ? NotServing(context, "not live", $"embedded PostgreSQL down since {since:O}, restarts failing")
            : TypedResults.Ok(new HealthResponse("live"));

    static async Task<Results<Ok<HealthResponse>, JsonHttpResult<HealthResponse>>> Ready(
        NpgsqlDataSource db, DatabaseEndpoint endpoint, SchemaVersion schema, ILoggerFactory logs, HttpContext context, CancellationToken ct)
    {
        if (endpoint.Supervisor is { State: not PostmasterState.Running and var state })
        {
            return NotServing(context, "not ready", state == PostmasterState.Starting ? "embedded PostgreSQL starting (recovering)" : "embedded PostgreSQL down");
        }

        try
        {
            var writability = await HealthStore.CheckAsync(db, ct);
            if (writability != DatabaseWritability.Writable)
            {
                return NotServing(context, "not ready", writability == DatabaseWritability.InRecovery ? "in recovery (standby): read-only" : "read-only");
            }

            var status = await schema.CheckAsync(ct);
            if (status is { IsCurrent: false })
            {
                return NotServing(context, "not ready", "schema behind", status.Pending);
            }

            return TypedResults.Ok(new HealthResponse("ready", "ok"));
        }
        catch (Exception e) when (e is NpgsqlException or TimeoutException)
        {
            logs.CreateLogger("Health").LogWarning(e, "Readiness check failed");
            return NotServing(context, "not ready", "unreachable: " + e.Message);
        }
    }

    static JsonHttpResult<HealthResponse> NotServing(HttpContext context, string status, string database, IReadOnlyList<string>? pending = null)
    {
        context.Response.Headers.RetryAfter = "5";
        return TypedResults.Json(new HealthResponse(status, database, pending), statusCode: StatusCodes.Status503ServiceUnavailable);
    }
}
