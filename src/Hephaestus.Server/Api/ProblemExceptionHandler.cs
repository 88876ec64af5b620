using System.Text.Json;
using Microsoft.AspNetCore.Diagnostics;
using Microsoft.AspNetCore.Mvc;
using Hephaestus.Data;
using Hephaestus.Data.Analytics;
using Npgsql;

namespace Hephaestus.Server.Api;

/// <summary>
/// Turns the exceptions a client can cause into problem details with the right 4xx status, and naming the field
/// or constraint; a database that is away or saturated is a 503 with Retry-After (<see cref="DatabaseAvailability"/>).
/// Anything else is a 500 with no internals in the body (the trace id leads to the log).
/// </summary>
public sealed class ProblemExceptionHandler(IProblemDetailsService problems, ILogger<ProblemExceptionHandler> logger) : IExceptionHandler
{
    /// <summary>Seconds a client should wait before retrying a 503: long enough for a pool to drain or a restart to finish.</summary>
    public const int RetryAfterSeconds = 5;

    public async ValueTask<bool> TryHandleAsync(HttpContext context, Exception exception, CancellationToken cancellationToken)
    {
        if (context.RequestServices.GetService<NpgsqlDataSource>() is { } dataSource) HephaestusDatabase.AfterFailure(dataSource, exception);
        var problem = exception switch
        {
            BadHttpRequestException { InnerException: JsonException json } => JsonProblem(json, context),
            BadHttpRequestException bad when JsonMessages.ParameterProblem(bad.Message) is { } parameter => ParameterProblem(parameter),
            BadHttpRequestException bad => new ProblemDetails
            {
                Status = bad.StatusCode,
                Title = bad.StatusCode == StatusCodes.Status413PayloadTooLarge ? "Request body too large" : "Bad request",
                Detail = JsonMessages.Scrub(bad.Message),
            },
            AnalyticsReplicaUnavailableException refused => new ProblemDetails
            {
                Status = StatusCodes.Status503ServiceUnavailable,
                Title = "Analytics replica unavailable",
                Detail = refused.Message,
            },
            _ when DatabaseAvailability.IsUnavailable(exception) => Unavailable(exception),
            PostgresException pg => PostgresProblem(pg),
            _ => null,
        };

        if (problem is null)
        {
            logger.LogError(exception, "Unhandled exception on {Method} {Path}", context.Request.Method, context.Request.Path);
            return false;
        }

        context.Response.StatusCode = problem.Status ?? StatusCodes.Status400BadRequest;
        if (problem.Status == StatusCodes.Status503ServiceUnavailable)
        {
            context.Response.Headers.RetryAfter = RetryAfterSeconds.ToString(System.Globalization.CultureInfo.InvariantCulture);
        }

        return await problems.TryWriteAsync(new ProblemDetailsContext { HttpContext = context, ProblemDetails = problem, Exception = exception });
    }

    /// <summary>The database is away or saturated: the request may be fine, so it is the server's 503, logged once as a warning.</summary>
    ProblemDetails Unavailable(Exception exception)
    {
        if (DatabaseAvailability.IsTimedOut(exception))
        {
            // lock_timeout (55P03: the rows were held by other work) or statement_timeout (57014: the statement ran longer
            // than the database allows, e.g. an aggregate over very many learners); either way the transaction rolled
            // back, so nothing was written. The detail says which, so an operator is not sent looking for a lock.
            logger.LogWarning("Database busy on {Message}", exception.Message);
            var lockHeld = exception is PostgresException { SqlState: PostgresErrorCodes.LockNotAvailable };
            return new ProblemDetails
            {
                Status = StatusCodes.Status503ServiceUnavailable,
                Title = "Busy, retry",
                Detail = lockHeld
                    ? "The data this request needs is held by other work; the request changed nothing and can be retried."
                    : "The request took longer than the database allows (its statement timeout); it changed nothing and can be retried.",
            };
        }

        logger.LogWarning(exception, "Database unavailable");
        return new ProblemDetails
        {
            Status = StatusCodes.Status503ServiceUnavailable,
            Title = "Database unavailable",
            Detail = "The database is unreachable or overloaded; retry later.",
        };
    }

    static ValidationProblemDetails JsonProblem(JsonException json, HttpContext context)
    {
        var path = JsonPointer.From(json.Path) + (json is NullElementException element ? element.Relative : "");
        // The serializer's message names the CLR type; keep the part a client can act on.
        var options = context.RequestServices.GetRequiredService<Microsoft.Extensions.Options.IOptions<Microsoft.AspNetCore.Http.Json.JsonOptions>>().Value.SerializerOptions;
        var message = JsonMessages.ForClient(json, options);
        return new ValidationProblemDetails(new Dictionary<string, string[]> { [path] = [message] })
        {
            Status = StatusCodes.Status400BadRequest,
            Title = "The request body is not valid JSON for this endpoint",
            Detail = $"{(path.Length == 0 ? "(the body)" : path)}: {message}",
        };
    }

    /// <summary>A query parameter or header the binder could not read (<c>?after=yesterday</c>): a field error naming it.</summary>
    static ValidationProblemDetails ParameterProblem((string Field, string Message) parameter) =>
        new(new Dictionary<string, string[]> { [parameter.Field] = [parameter.Message] })
        {
            Status = StatusCodes.Status400BadRequest,
            Title = "One or more fields are invalid",
            Detail = $"{parameter.Field}: {parameter.Message}",
        };

    /// <summary>Constraint violations that reach here are races the handler could not see coming (two requests at once).</summary>
    static ProblemDetails? PostgresProblem(PostgresException pg) => pg.SqlState switch
    {
        PostgresErrorCodes.UniqueViolation => new ProblemDetails
        {
            Status = StatusCodes.Status409Conflict,
            Title = "Conflict",
            Detail = $"The request conflicts with existing data ({pg.ConstraintName}).",
            Extensions = { ["constraint"] = pg.ConstraintName },
        },
        PostgresErrorCodes.ForeignKeyViolation => new ProblemDetails
        {
            Status = StatusCodes.Status409Conflict,
            Title = "Conflict",
            Detail = $"The request refers to something that does not exist or is still referenced ({pg.ConstraintName}).",
            Extensions = { ["constraint"] = pg.ConstraintName },
        },
        PostgresErrorCodes.CheckViolation => new ProblemDetails
        {
            Status = StatusCodes.Status422UnprocessableEntity,
            Title = "Invalid value",
            Detail = $"A value breaks the rule {pg.ConstraintName}.",
            Extensions = { ["constraint"] = pg.ConstraintName },
        },
        PostgresErrorCodes.InsufficientPrivilege => new ProblemDetails
        {
            Status = StatusCodes.Status403Forbidden,
            Title = "Forbidden",
            Detail = pg.MessageText,
        },
        // Raised by the acyclicity triggers (skill prerequisites, step prerequisites, the skill tree); HINT is the
        // cycle as a JSON array of ids (in HINT). Features catch it first to name the cycle by codes; this is the safety net.
        HephaestusSqlStates.Cycle => new ProblemDetails
        {
            Status = StatusCodes.Status409Conflict,
            Title = "Cycle refused",
            Detail = pg.MessageText,
            Extensions = { ["cycle"] = HephaestusSqlStates.CycleIds(pg) },
        },
        HephaestusSqlStates.Frozen => new ProblemDetails
        {
            Status = StatusCodes.Status409Conflict,
            Title = "Frozen",
            Detail = pg.MessageText + ". Create a new draft version to change it.",
        },
        HephaestusSqlStates.ScaleInUse => new ProblemDetails
        {
            Status = StatusCodes.Status409Conflict,
            Title = "Scale in use",
            Detail = pg.MessageText + ". Create a new version of the scale (POST /api/v1/mastery-scales/{id}/versions) and point frameworks to it.",
        },
        // The review operation checks the lifecycle first; this is the net for a status change that reached the trigger.
        HephaestusSqlStates.IllegalTransition => new ProblemDetails
        {
            Status = StatusCodes.Status409Conflict,
            Title = "Illegal transition",
            Detail = pg.MessageText + ".",
        },
        // Class 22 (data exception: a NUL, an invalid encoding, a number out of range) is the client's value; the edge
        // refuses what it can see coming, this is the net for the rest.
        { } state when state.StartsWith("22", StringComparison.Ordinal) => new ProblemDetails
        {
            Status = StatusCodes.Status400BadRequest,
            Title = "Invalid value",
            Detail = "A value in the request cannot be stored: " + pg.MessageText,
            Extensions = { ["sqlState"] = pg.SqlState },
        },
        PostgresErrorCodes.SerializationFailure or PostgresErrorCodes.DeadlockDetected => new ProblemDetails
        {
            Status = StatusCodes.Status503ServiceUnavailable,
            Title = "Busy, retry",
            Detail = "The request collided with concurrent writes too many times; it changed nothing and can be retried.",
        },
        _ => null,
    };
}
