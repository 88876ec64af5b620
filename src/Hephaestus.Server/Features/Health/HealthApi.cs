using Hephaestus.Data.Analytics;
using Hephaestus.Data.Embedded;
using Hephaestus.Data.Health;
using Hephaestus.Server.Hosting;
using Hephaestus.Storage;
using Microsoft.AspNetCore.Http.HttpResults;
using Npgsql;

namespace Hephaestus.Server.Features.Health;

/// <param name="AnalyticsReplica">The analytics replica: <c>ok</c>, <c>none</c> (not configured), or what is wrong with it (analytics then
/// fall back to the primary or refuse, as configured: readiness does not depend on it).</param>
/// <param name="ReplicaLagSeconds">The replica's lag when it was probed.</param>
public sealed record HealthResponse(string Status, string? Database = null, IReadOnlyList<string>? PendingMigrations = null, string? Storage = null,
    string? AnalyticsReplica = null, double? ReplicaLagSeconds = null);

/// <summary>
/// Liveness says the process is worth keeping: it answers, and the embedded PostgreSQL it supervises has not kept failing
/// to restart for longer than Embedded:LivenessFailsAfterSeconds (then an orchestrator should restart the service).
/// Readiness says it can serve: the embedded postmaster runs (not down, not in crash recovery), the database answers and
/// accepts writes, its schema is the one the code expects, and the object store answers (the S3 bucket, or the objects
/// directory). Both are anonymous and cheap, for load balancers and
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
            .WithDescription("200 when the database answers and has no pending migrations; 503 with Retry-After otherwise (an orchestrator sends traffic elsewhere). The answer also reports the analytics replica and its lag, which readiness does not depend on. No token needed; never rate limited.");
        return routes;
    }

    static Results<Ok<HealthResponse>, JsonHttpResult<HealthResponse>> Live(DatabaseEndpoint endpoint, HttpContext context) =>
        endpoint.Supervisor is { IsLive: false, DownSince: var since }
            ? NotServing(context, "not live", $"embedded PostgreSQL down since {since:O}, restarts failing")
            : TypedResults.Ok(new HealthResponse("live"));

    /// <summary>A probe waits about this long; a store that has not answered by then is not ready.</summary>
    static readonly TimeSpan StorageBound = TimeSpan.FromSeconds(5);

    static async Task<Results<Ok<HealthResponse>, JsonHttpResult<HealthResponse>>> Ready(
        NpgsqlDataSource db, DatabaseEndpoint endpoint, SchemaVersion schema, IObjectStore store, AnalyticsSource analytics, ILoggerFactory logs,
        HttpContext context, CancellationToken ct)
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
        }
        catch (Exception e) when (e is NpgsqlException or TimeoutException)
        {
            logs.CreateLogger("Health").LogWarning(e, "Readiness check failed");
            return NotServing(context, "not ready", "unreachable: " + e.Message);
        }

        if (await StorageProblemAsync(store, ct) is { } problem)
        {
            logs.CreateLogger("Health").LogWarning("Readiness check failed: object storage {Problem}", problem);
            return NotServing(context, "not ready", "ok", storage: problem);
        }

        var replica = await analytics.CheckReplicaAsync(ct);
        return TypedResults.Ok(new HealthResponse("ready", "ok", Storage: "ok",
            AnalyticsReplica: replica switch { { Configured: false } => "none", { Problem: { } wrong } => "unusable: the replica " + wrong, _ => "ok" },
            ReplicaLagSeconds: replica.LagSeconds));
    }

    /// <summary>Null when the store answers; otherwise what is wrong with it.</summary>
    static async Task<string?> StorageProblemAsync(IObjectStore store, CancellationToken ct)
    {
        using var bound = CancellationTokenSource.CreateLinkedTokenSource(ct);
        bound.CancelAfter(StorageBound);
        try
        {
            await store.CheckAvailableAsync(bound.Token);
            return null;
        }
        catch (ObjectStoreUnavailableException e)
        {
            return "unavailable: " + e.Message;
        }
        catch (OperationCanceledException) when (!ct.IsCancellationRequested)
        {
            return $"no answer within {StorageBound.TotalSeconds:0} s";
        }
    }

    static JsonHttpResult<HealthResponse> NotServing(HttpContext context, string status, string database, IReadOnlyList<string>? pending = null, string? storage = null)
    {
        context.Response.Headers.RetryAfter = "5";
        return TypedResults.Json(new HealthResponse(status, database, pending, storage), statusCode: StatusCodes.Status503ServiceUnavailable);
    }
}
