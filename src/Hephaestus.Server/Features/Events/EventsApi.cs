using System.Globalization;
using Hephaestus.Data;
using Hephaestus.Data.Events;
using Hephaestus.Data.Learning;
using Hephaestus.Server.Api;
using Hephaestus.Server.Auth;
using Hephaestus.Server.Hosting;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Net.Http.Headers;
using Microsoft.OpenApi;
using Npgsql;

namespace Hephaestus.Server.Features.Events;

/// <summary>What a batch did: events stored, and events dropped as duplicates (stored before, or repeated in the batch).</summary>
public sealed record IngestResponse(int Stored, int Duplicates);

/// <summary>Counts per UTC day and verb over [from, to).</summary>
public sealed record EventCountsResponse(DateOnly From, DateOnly To, IReadOnlyList<EventCount> Items);

/// <summary>
/// Learning events: the native batch door (a JSON array or NDJSON of compact events, written with binary COPY, all or
/// nothing, duplicates dropped by client event id), a learner's timeline (newest first, keyset paged by occurred time and
/// id) and counts per verb and day for a learner or a cohort. A learner writes and reads their own events, an educator
/// reads their cohorts' learners', an admin anyone's; analysts read.
/// </summary>
public static class EventsApi
{
    public static readonly string[] JsonLinesMediaTypes = ["application/x-ndjson", "application/jsonl"];

    /// <summary>The longest range of days a count covers.</summary>
    public const int MaxCountDays = 366;

    public static IEndpointRouteBuilder MapEvents(this IEndpointRouteBuilder routes)
    {
        ArgumentNullException.ThrowIfNull(routes);
        var options = routes.ServiceProvider.GetRequiredService<EventOptions>();
        var events = routes.MapGroup("/api/v1").WithTags("Events").RequireAuthorization(Policies.Provisioned);
        events.MapPost("/events", Ingest).WithName("IngestEvents")
            .WithMetadata(new BodySizeLimit(options.MaxBodyBytes), new StreamedBody()).LimitRowWrites()
            .WithSummary("Store a batch of learning events")
            .WithDescription("A JSON array of events, or NDJSON (`Content-Type: application/x-ndjson`, one event a line), each "
                + "`{learnerId, occurredAt, clientEventId, verb, object: {type, id}, result?, context?}`; `result.score.scaled` (-1..1) and "
                + "`result.duration` (ISO 8601) are checked and kept as columns. All or nothing: every invalid event is an error keyed "
                + "`/<index>/<field>` (422) and nothing is written; `occurredAt` must lie within the accepted window (Events:MaxPastDays, "
                + "retention, Events:MaxFuture). An event whose learner and clientEventId were stored before with the same occurredAt is "
                + "a duplicate and dropped (a retry must resend the same occurredAt). The answer comes after a durable commit. A learner "
                + "posts their own events; an admin anyone's. The body may be up to Events:MaxBodyBytes (16 MiB by default), read as it arrives.")
            .AddOpenApiOperationTransformer((operation, _, _) => Body(operation))
            .Produces<IngestResponse>()
            .ProducesProblems(StatusCodes.Status403Forbidden, StatusCodes.Status413PayloadTooLarge, StatusCodes.Status415UnsupportedMediaType,
                StatusCodes.Status422UnprocessableEntity);
        events.MapGet("/learners/{learnerId:guid}/events", Timeline).WithName("ListLearnerEvents")
            .WithSummary("A learner's timeline of events")
            .WithDescription("Native events and xAPI statements, newest first by occurred time, keyset paged: pass `next` as `after`. "
                + "Events stored meanwhile never shift a page (the cursor is the last event's time and id): a late event older than the "
                + "cursor appears when the walk reaches its time. Filters: verb, objectType, objectId, since (inclusive), until "
                + "(exclusive), source (native or xapi). The learner, their educators, admins and analysts.")
            .ProducesProblems(StatusCodes.Status404NotFound);
        events.MapGet("/learners/{learnerId:guid}/events/counts", LearnerCounts).WithName("CountLearnerEvents")
            .WithSummary("A learner's events counted per verb and day")
            .WithDescription("Counts per UTC day and verb over [from, to) (dates; by default the last 30 days, at most 366 days).")
            .ProducesProblems(StatusCodes.Status404NotFound);
        events.MapGet("/cohorts/{cohortId:guid}/events/counts", CohortCounts).WithName("CountCohortEvents")
            .WithSummary("A cohort's events counted per verb and day")
            .WithDescription("Counts per UTC day and verb of the events of the cohort's learners over [from, to) (dates; by default the "
                + "last 30 days, at most 366 days). Educators of the cohort and admins count every learner; a learner of the cohort their own.")
            .ProducesProblems(StatusCodes.Status404NotFound);
        return routes;
    }

    static Task Body(OpenApiOperation operation)
    {
        operation.RequestBody = new OpenApiRequestBody
        {
            Required = true,
            Content = new Dictionary<string, OpenApiMediaType>
            {
                ["application/json"] = new() { Schema = EventInputSchema() },
                ["application/x-ndjson"] = new() { Schema = new OpenApiSchema { Type = JsonSchemaType.String, Description = "One event (as in the JSON array) a line." } },
            },
        };
        return Task.CompletedTask;
    }

    static OpenApiSchema EventInputSchema()
    {
        OpenApiSchema Text(int max, string? format = null) => new() { Type = JsonSchemaType.String, MinLength = 1, MaxLength = max, Format = format };
        var item = new OpenApiSchema
        {
            Type = JsonSchemaType.Object,
            Required = new HashSet<string> { "learnerId", "occurredAt", "clientEventId", "verb", "object" },
            Properties = new Dictionary<string, IOpenApiSchema>
            {
                ["learnerId"] = new OpenApiSchema { Type = JsonSchemaType.String, Format = "uuid" },
                ["occurredAt"] = new OpenApiSchema { Type = JsonSchemaType.String, Format = "date-time" },
                ["clientEventId"] = Text(EventBatch.ClientEventIdLength),
                ["verb"] = Text(EventBatch.VerbLength),
                ["object"] = new OpenApiSchema
                {
                    Type = JsonSchemaType.Object,
                    Required = new HashSet<string> { "type", "id" },
                    Properties = new Dictionary<string, IOpenApiSchema> { ["type"] = Text(EventBatch.ObjectTypeLength), ["id"] = Text(EventBatch.ObjectIdLength) },
                },
                ["result"] = new OpenApiSchema { Type = JsonSchemaType.Object | JsonSchemaType.Null, Description = "As xAPI's result: score.scaled (-1..1), duration (ISO 8601), any other fields." },
                ["context"] = new OpenApiSchema { Type = JsonSchemaType.Object | JsonSchemaType.Null },
            },
        };
        return new OpenApiSchema { Type = JsonSchemaType.Array, Items = item };
    }

    static async Task<Results<Ok<IngestResponse>, ProblemHttpResult>> Ingest(HttpContext http, NpgsqlDataSource db, LearnerRecord learning,
        EventOptions options, CancellationToken ct)
    {
        if (!MediaTypeHeaderValue.TryParse(http.Request.ContentType, out var type)) return Unsupported();
        var format = type.MediaType.Equals("application/json", StringComparison.OrdinalIgnoreCase) ? EventBatchFormat.JsonArray
            : JsonLinesMediaTypes.Contains(type.MediaType.Value, StringComparer.OrdinalIgnoreCase) ? EventBatchFormat.JsonLines
            : (EventBatchFormat?)null;
        if (format is null) return Unsupported();

        var batch = await EventBatch.ReadAsync(http.Request.Body, format.Value, options.Retention, DateTimeOffset.UtcNow, ct);
        if (batch.Errors.Count > 0) return Invalid(batch.Errors, batch.Count);
        var result = await EventStore.IngestAsync(db, learning, http.RequireActor(), batch, ct);
        return result.Outcome switch
        {
            IngestOutcome.Forbidden => Problems.Forbidden("A learner stores only their own events; only an admin stores events for others."),
            IngestOutcome.Invalid => Invalid(result.Errors!, batch.Count),
            _ => TypedResults.Ok(new IngestResponse(result.Stored, result.Duplicates)),
        };
    }

    static ProblemHttpResult Invalid(IReadOnlyList<Hephaestus.Domain.ValidationError> errors, int count)
    {
        var v = new Validation().AddRange(errors);
        var limited = errors.Count >= EventBatch.MaxErrors ? $" (the first {EventBatch.MaxErrors} listed)" : "";
        return v.ToUnprocessable(string.Create(CultureInfo.InvariantCulture,
            $"{errors.Count} error(s){limited} in a batch of {count} event(s); nothing was stored."));
    }

    static ProblemHttpResult Unsupported() => TypedResults.Problem(statusCode: StatusCodes.Status415UnsupportedMediaType,
        title: "Unsupported media type", detail: "The body must be application/json (an array of events) or application/x-ndjson (one event a line).");

    static async Task<Results<Ok<Page<TimelineEvent>>, ValidationProblem, ProblemHttpResult>> Timeline(Guid learnerId, HttpContext http, NpgsqlDataSource db,
        CancellationToken ct, string? verb = null, string? objectType = null, string? objectId = null, DateTimeOffset? since = null,
        DateTimeOffset? until = null, string? source = null, string? after = null, int? limit = null)
    {
        var v = new Validation();
        var size = v.PageSize(limit);
        TimelineCursor? cursor = null;
        if (after is not null)
        {
            if (TimelineCursor.TryParse(after, out var parsed)) cursor = parsed;
            else v.Add("/after", "must be the next cursor of a previous page");
        }

        v.Text("/verb", verb, 1, 2048, required: false).Text("/objectType", objectType, 1, EventBatch.ObjectTypeLength, required: false)
            .Text("/objectId", objectId, 1, EventBatch.ObjectIdLength, required: false);
        if (source is not null and not ("native" or "xapi")) v.Add("/source", "must be native or xapi");
        if (since is not null && until is not null && since >= until) v.Add("/until", "must be after since");
        if (!v.IsValid) return v.ToProblem();
        var page = await EventStore.TimelineAsync(db, http.RequireActor(), learnerId, new TimelineFilter(verb, objectType, objectId, since, until, source),
            cursor, size, ct);
        return page is null ? Problems.NotFound("learner", learnerId) : TypedResults.Ok(page);
    }

    static async Task<Results<Ok<EventCountsResponse>, ValidationProblem, ProblemHttpResult>> LearnerCounts(Guid learnerId, HttpContext http,
        NpgsqlDataSource db, CancellationToken ct, DateOnly? from = null, DateOnly? to = null)
    {
        var v = new Validation();
        var (first, end) = Range(v, from, to);
        if (!v.IsValid) return v.ToProblem();
        var counts = await EventStore.CountLearnerAsync(db, http.RequireActor(), learnerId, first, end, ct);
        return counts is null ? Problems.NotFound("learner", learnerId) : TypedResults.Ok(new EventCountsResponse(first, end, counts));
    }

    static async Task<Results<Ok<EventCountsResponse>, ValidationProblem, ProblemHttpResult>> CohortCounts(Guid cohortId, HttpContext http,
        NpgsqlDataSource db, CancellationToken ct, DateOnly? from = null, DateOnly? to = null)
    {
        var v = new Validation();
        var (first, end) = Range(v, from, to);
        if (!v.IsValid) return v.ToProblem();
        var counts = await EventStore.CountCohortAsync(db, http.RequireActor(), cohortId, first, end, ct);
        return counts is null ? Problems.NotFound("cohort", cohortId) : TypedResults.Ok(new EventCountsResponse(first, end, counts));
    }

    /// <summary>[from, to) in UTC days: by default the 30 days up to today; at most <see cref="MaxCountDays"/>.</summary>
    static (DateOnly From, DateOnly To) Range(Validation v, DateOnly? from, DateOnly? to)
    {
        var end = to ?? DateOnly.FromDateTime(DateTime.UtcNow).AddDays(1);
        var first = from ?? end.AddDays(-30);
        if (first >= end) v.Add("/to", "must be after from");
        else if (end.DayNumber - first.DayNumber > MaxCountDays) v.Add("/to", string.Create(CultureInfo.InvariantCulture, $"must be at most {MaxCountDays} days after from"));
        return (first, end);
    }
}
