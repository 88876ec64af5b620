using Hephaestus.Data.Health;
using Hephaestus.Server.Hosting;
using Microsoft.AspNetCore.Http.HttpResults;
using Npgsql;

namespace Hephaestus.Server.Features.Health;

public sealed record HealthResponse(string Status, string? Database = null, IReadOnlyList<string>? PendingMigrations = null);

/// <summary>
/// Liveness says the process answers; readiness says it can serve: the database answers and its schema is the one the
/// code expects. Both are anonymous and cheap, for load balancers and orchestrators.
/// </summary>
public static class HealthApi
{
    public static IEndpointRouteBuilder MapHealth(this IEndpointRouteBuilder routes)
    {
        var health = routes.MapGroup("/health").WithTags("Health").AllowAnonymous();
        health.MapGet("/live", () => TypedResults.Ok(new HealthResponse("live")));
        health.MapGet("/ready", Ready);
        return routes;
    }

    static async Task<Results<Ok<HealthResponse>, JsonHttpResult<HealthResponse>>> Ready(
        NpgsqlDataSource db, SchemaVersion schema, ILoggerFactory logs, CancellationToken ct)
    {
        try
        {
            await HealthStore.PingAsync(db, ct);

            var status = await schema.CheckAsync(ct);
            if (status is { IsCurrent: false })
            {
                return TypedResults.Json(new HealthResponse("not ready", "schema behind", status.Pending), statusCode: StatusCodes.Status503ServiceUnavailable);
            }

            return TypedResults.Ok(new HealthResponse("ready", "ok"));
        }
        catch (Exception e) when (e is NpgsqlException or TimeoutException)
        {
            logs.CreateLogger("Health").LogWarning(e, "Readiness check failed");
            return TypedResults.Json(new HealthResponse("not ready", "unreachable: " + e.Message), statusCode: StatusCodes.Status503ServiceUnavailable);
        }
    }
}
