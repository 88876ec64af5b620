using System.Globalization;
using System.Text;
using System.Text.Json;
using Hephaestus.Data.Learning;
using Hephaestus.Data.Xapi;
using Hephaestus.Domain.Xapi;
using Hephaestus.Server.Api;
using Hephaestus.Storage;
using Npgsql;

namespace Hephaestus.Server.Features.Xapi;

/// <summary>
/// The xAPI 2.0 Statements resource (xAPI-Communication.md 2.1): PUT one Statement by id, POST one or many, GET by id,
/// by voided id, or by query with consistent paging. Every Statement is stored as accepted (format=exact returns its
/// bytes) and becomes a learning event of the Hephaestus user its actor names. Errors are problem details naming the
/// JSON pointer of the bad property; the status codes are the ones xAPI clients expect.
/// </summary>
public static class XapiStatementsApi
{
    public const string VersionHeader = "X-Experience-API-Version";
    public const string ConsistentThroughHeader = "X-Experience-API-Consistent-Through";

    /// <summary>The most Statements one page holds (limit=0 asks for it), and the page without a limit.</summary>
    const int MaxPage = 500;
    const int DefaultPage = 100;

    /// <summary>The largest Statements request, attachments included (Xapi:MaxRequestBytes overrides it).</summary>
    const long DefaultMaxRequestBytes = 64L << 20;

    static readonly string[] QueryParameters =
    [
        "statementId", "voidedStatementId", "agent", "verb", "activity", "registration", "related_activities", "related_agents", "since", "until",
        "limit", "format", "attachments", "ascending", "cursor",
    ];

    public static IEndpointRouteBuilder MapXapiStatements(this IEndpointRouteBuilder app)
    {
        ArgumentNullException.ThrowIfNull(app);
        var maxBytes = app.ServiceProvider.GetRequiredService<IConfiguration>().GetValue<long?>("Xapi:MaxRequestBytes") ?? DefaultMaxRequestBytes;
        // Inside XapiApi's /xapi group: its conventions (the version header both ways, bearer or provider callers) apply.
        var statements = app.MapGroup("/statements");
        statements.MapPut("", (HttpContext http, NpgsqlDataSource db, LearnerRecord learning, IObjectStore store, IConfiguration configuration, CancellationToken ct) =>
                PutAsync(http, db, learning, store, configuration, maxBytes, ct))
            .WithName("PutXapiStatement")
            .WithMetadata(new BodySizeLimit(maxBytes), BodyBoundsStrings.Instance)
            .WithSummary("Store one xAPI Statement under its id")
            .WithDescription("xAPI 2.0 PUT /statements?statementId=: the body is one Statement (application/json, or multipart/mixed with attachment and "
                + "signature parts). 204 when stored, or when the same Statement is stored under that id already; 409 when another is. The actor must name "
                + "a Hephaestus user (mbox, mbox_sha1sum or an account on Xapi:AccountHomePage named by the user id) the caller may write for: a learner's "
                + "token writes only their own Statements. Problems name the JSON pointer of the bad property.")
            .Produces(StatusCodes.Status204NoContent)
            .ProducesProblems(StatusCodes.Status400BadRequest, StatusCodes.Status403Forbidden, StatusCodes.Status409Conflict, StatusCodes.Status415UnsupportedMediaType);
        statements.MapPost("", (HttpContext http, NpgsqlDataSource db, LearnerRecord learning, IObjectStore store, IConfiguration configuration, CancellationToken ct) =>
                PostAsync(http, db, learning, store, configuration, maxBytes, ct))
            .WithName("PostXapiStatements")
            .WithMetadata(new BodySizeLimit(maxBytes), BodyBoundsStrings.Instance)
            .WithSummary("Store xAPI Statements")
            .WithDescription("xAPI 2.0 POST /statements: one Statement or an array, all or nothing; 200 with the array of their ids (made by the LRS "
                + "where a Statement has none). As PUT otherwise: a Statement whose id is stored already with the same content is accepted, with "
                + "other content the request is refused (409).")
            .Produces<Guid[]>()
            .ProducesProblems(StatusCodes.Status400BadRequest, StatusCodes.Status403Forbidden, StatusCodes.Status409Conflict, StatusCodes.Status415UnsupportedMediaType);
        statements.MapGet("", GetAsync)
            .WithName("GetXapiStatements")
            .WithSummary("Read xAPI Statements")
            .WithDescription("xAPI 2.0 GET /statements: by statementId (not voided) or voidedStatementId (voided only), or a StatementResult "
                + "{statements, more} filtered by agent (JSON), verb, activity, registration, related_activities, related_agents, since and until (stored "
                + "time), newest first unless ascending, limit per page (0: the most, 500). format: exact (the stored bytes), ids, canonical (language maps "
                + "reduced by Accept-Language). attachments=true answers multipart/mixed with the attachment bodies. more pages consistently: the first page "
                + "fixes an upper bound, so Statements stored meanwhile never shift pages. Voided Statements are left out of queries. Headers: "
                + "X-Experience-API-Consistent-Through, Last-Modified.")
            .Produces<XapiStatementResultShape>(contentType: "application/json")
            .ProducesProblems(StatusCodes.Status400BadRequest, StatusCodes.Status403Forbidden, StatusCodes.Status404NotFound);
        return app;
    }

    /// <summary>The shape of a StatementResult (for the OpenAPI document; the body itself is written as stored text).</summary>
    public sealed record XapiStatementResultShape(IReadOnlyList<XapiStatementShape> Statements, string More);

    /// <summary>For the OpenAPI document only: a Statement as xAPI 2.0 defines it (the LRS returns it as stored).</summary>
    public sealed record XapiStatementShape(Guid Id, JsonElement Actor, JsonElement Verb, JsonElement Object, JsonElement? Result, JsonElement? Context,
        DateTimeOffset Timestamp, DateTimeOffset Stored, JsonElement Authority, string Version);

    static void AnswerVersion(HttpContext http) => http.Response.Headers[VersionHeader] = XapiFormats.CurrentVersion;

    static async Task<IResult> PutAsync(HttpContext http, NpgsqlDataSource db, LearnerRecord learning, IObjectStore store, IConfiguration configuration, long maxBytes, CancellationToken ct)
    {
        AnswerVersion(http);
        if (!Guid.TryParse(http.Request.Query["statementId"].ToString(), out var statementId)
            || !XapiFormats.IsUuid(http.Request.Query["statementId"].ToString()))
        {
            return new Validation().Add("/statementId", "is required: the UUID of the Statement").ToProblem();
        }

        var stored = await StoreAsync(http, db, learning, store, configuration, maxBytes, statementId, ct);
        return stored.Problem ?? TypedResults.NoContent();
    }

    static async Task<IResult> PostAsync(HttpContext http, NpgsqlDataSource db, LearnerRecord learning, IObjectStore store, IConfiguration configuration, long maxBytes, CancellationToken ct)
    {
        AnswerVersion(http);
        var stored = await StoreAsync(http, db, learning, store, configuration, maxBytes, null, ct);
        return stored.Problem ?? TypedResults.Ok(stored.Ids);
    }

    static async Task<(IResult? Problem, IReadOnlyList<Guid> Ids)> StoreAsync(HttpContext http, NpgsqlDataSource db, LearnerRecord learning, IObjectStore store, IConfiguration configuration,
        long maxBytes, Guid? statementId, CancellationToken ct)
    {
        var homePage = XapiAuthority.AccountHomePage(http, configuration);
        if (XapiAuthority.Caller(http, homePage) is not { } caller) return (NotACaller(), []);
        var (body, refusal) = await XapiStatementsRequests.ReadAsync(http.Request, store, maxBytes, ct);
        if (body is null) return (refusal, []);
        using (body)
        {
            var (statements, v) = XapiStatementsRequests.Prepare(body, statementId, homePage);
            if (statements is null) return (v.ToProblem("The Statements break the xAPI data model; nothing was stored."), []);
            XapiStoreResult result;
            try
            {
                result = await XapiStatementStore.StoreAsync(db, learning, caller, statements,
                    async (sha256, c) => await store.StatAsync(sha256, c) is not null, ct);
            }
            catch (PostgresException e) when (e.SqlState == PostgresErrorCodes.CheckViolation && e.Message.Contains("no partition", StringComparison.Ordinal))
            {
                return (new Validation().Add(body.IsArray ? "/0/timestamp" : "/timestamp",
                    "lies outside the days the event store accepts (about 30 days back to 3 ahead); nothing was stored").ToProblem(), []);
            }

            string At(string property) => (body.IsArray ? "/" + result.Index.ToString(CultureInfo.InvariantCulture) : "") + property;
            return result.Outcome switch
            {
                XapiStoreOutcome.Stored => (null, result.Ids),
                XapiStoreOutcome.Conflict => (Problems.Conflict("A different Statement is stored under this id; nothing was stored.",
                    new Dictionary<string, object?> { ["field"] = JsonPointer.From(At("/id")) }), []),
                XapiStoreOutcome.UnknownActor => (Forbidden(At("/actor"),
                    "The actor names no Hephaestus user you may write Statements for (by mbox, mbox_sha1sum, or an account on "
                    + homePage + " named by the user id); a learner writes only their own. Nothing was stored."), []),
                XapiStoreOutcome.VoidsVoiding => (new Validation().Add(At("/object/id"), "names a voiding Statement, which cannot be voided").ToProblem(), []),
                XapiStoreOutcome.VoidForbidden => (Forbidden(At("/object/id"), "You may not void that Statement. Nothing was stored."), []),
                _ => (TypedResults.Problem(statusCode: StatusCodes.Status503ServiceUnavailable, title: "Attachment collected meanwhile",
                    detail: "An attachment body was removed by garbage collection while the request was stored; send it again."), []),
            };
        }
    }

    static IResult NotACaller() => TypedResults.Problem(statusCode: StatusCodes.Status403Forbidden, title: "Not an xAPI client",
        detail: "Statements are sent with an activity provider's credentials or a provisioned user's token.");

    static IResult Forbidden(string field, string detail) => TypedResults.Problem(statusCode: StatusCodes.Status403Forbidden, title: "Forbidden", detail: detail,
        extensions: new Dictionary<string, object?> { ["field"] = JsonPointer.From(field) });

    // GET ---------------------------------------------------------------------------------------------------------------

    static async Task<IResult> GetAsync(HttpContext http, NpgsqlDataSource db, IObjectStore store, IConfiguration configuration, CancellationToken ct)
    {
        AnswerVersion(http);
        var homePage = XapiAuthority.AccountHomePage(http, configuration);
        if (XapiAuthority.Caller(http, homePage) is not { } caller) return NotACaller();
        var query = http.Request.Query;
        var v = new Validation();
        foreach (var name in query.Keys.Where(k => !QueryParameters.Contains(k, StringComparer.Ordinal))) v.Add("/" + name, "is not a parameter of the Statements resource");
        var format = query["format"].ToString() is { Length: > 0 } f ? f : "exact";
        if (format is not ("exact" or "ids" or "canonical")) v.Add("/format", "must be exact, ids or canonical");
        var withAttachments = Flag(query, "attachments", v);
        var single = query.ContainsKey("statementId") ? "statementId" : query.ContainsKey("voidedStatementId") ? "voidedStatementId" : null;
        if (single is not null)
        {
            foreach (var name in query.Keys.Where(k => k is not ("attachments" or "format") && k != single)) v.Add("/" + name, $"is not allowed with {single}");
            var text = query[single].ToString();
            if (!XapiFormats.IsUuid(text)) v.Add("/" + single, "must be a UUID");
            if (!v.IsValid) return v.ToProblem();
            var (found, through) = await XapiStatementStore.GetAsync(db, caller, Guid.Parse(text), voided: single == "voidedStatementId", ct);
            if (found is null) return Problems.NotFound("Statement", Guid.Parse(text));
            Headers(http, through, found.Stored);
            var body = Format(found.Text, format, Languages(http));
            return withAttachments ? await XapiStatementsResponses.MultipartAsync(http, db, caller, store, body, [found.Id], ct) : Results.Text(body, "application/json", Encoding.UTF8);
        }

        var filter = Filter(query, v);
        var limit = query["limit"].ToString() is { Length: > 0 } l ? int.TryParse(l, NumberStyles.None, CultureInfo.InvariantCulture, out var n) ? n : -1 : DefaultPage;
        if (limit == 0) limit = MaxPage;
        else limit = v.PageSize(limit, MaxPage, DefaultPage);
        var cursor = query["cursor"].ToString() is { Length: > 0 } token ? XapiStatementsResponses.ParseCursor(token) : null;
        if (query.ContainsKey("cursor") && cursor is null) v.Add("/cursor", "is not a cursor this LRS made (follow the more link as given)");
        if (!v.IsValid || filter is null) return v.ToProblem();
        if (await ReadsOthersAsync(db, caller, filter, query, homePage, ct)) return Forbidden("/agent", "A learner reads only their own Statements.");
        var page = await XapiStatementStore.QueryAsync(db, caller, filter, limit, cursor, ct);
        Headers(http, page.ConsistentThrough, page.Statements.Count > 0 ? page.Statements.Max(s => s.Stored) : null);
        var languages = Languages(http);
        var result = new StringBuilder("{\"statements\":[");
        result.AppendJoin(',', page.Statements.Select(s => Format(s.Text, format, languages)));
        result.Append("],\"more\":").Append(JsonSerializer.Serialize(page.Next is null ? "" : XapiStatementsResponses.MoreLink(http, page.Next))).Append('}');
        return withAttachments
            ? await XapiStatementsResponses.MultipartAsync(http, db, caller, store, result.ToString(), [.. page.Statements.Select(s => s.Id)], ct)
            : Results.Text(result.ToString(), "application/json", Encoding.UTF8);
    }

    static bool Flag(IQueryCollection query, string name, Validation v)
    {
        var text = query[name].ToString();
        if (text.Length == 0) return false;
        if (text is "true" or "false") return text == "true";
        v.Add("/" + name, "must be true or false");
        return false;
    }

    static XapiStatementFilter? Filter(IQueryCollection query, Validation v)
    {
        string[]? agentKeys = null;
        if (query["agent"].ToString() is { Length: > 0 } agentText)
        {
            try
            {
                using var agent = JsonDocument.Parse(agentText);
                var errors = XapiStatementValidator.ValidateAgent(agent.RootElement, "/agent");
                v.AddRange(errors);
                if (errors.Count == 0) agentKeys = XapiAgents.FilterKeys(agent.RootElement);
            }
            catch (JsonException)
            {
                v.Add("/agent", "must be an Agent or identified Group as JSON");
            }
        }

        string? Iri(string name)
        {
            var text = query[name].ToString();
            if (text.Length == 0) return null;
            if (!XapiFormats.IsIri(text)) v.Add("/" + name, "must be an IRI");
            return text;
        }

        DateTimeOffset? Time(string name)
        {
            var text = query[name].ToString();
            if (text.Length == 0) return null;
            if (XapiFormats.TryParseTimestamp(text, out var time)) return time;
            v.Add("/" + name, "must be an ISO 8601 timestamp with a time zone offset");
            return null;
        }

        var verb = Iri("verb");
        var activity = Iri("activity");
        Guid? registration = null;
        if (query["registration"].ToString() is { Length: > 0 } r)
        {
            if (XapiFormats.IsUuid(r)) registration = Guid.Parse(r);
            else v.Add("/registration", "must be a UUID");
        }

        var filter = new XapiStatementFilter(agentKeys, Flag(query, "related_agents", v), verb, activity, Flag(query, "related_activities", v), registration,
            Time("since"), Time("until"), Flag(query, "ascending", v));
        return v.IsValid ? filter : null;
    }

    /// <summary>
    /// A learner (a token without a staff role) filtering by an agent other than themselves is refused rather than
    /// answered with an empty page: row-level security would hide those Statements anyway, and saying so is clearer.
    /// </summary>
    static async Task<bool> ReadsOthersAsync(NpgsqlDataSource db, XapiCaller caller, XapiStatementFilter filter, IQueryCollection query, string homePage, CancellationToken ct)
    {
        if (filter.AgentKeys is null || caller.ProviderId is not null || caller.Actor.Has("admin") || caller.Actor.Has("educator")) return false;
        using var agent = JsonDocument.Parse(query["agent"].ToString());
        if (XapiAgents.UserKey(agent.RootElement, homePage) is not { } key) return true;
        return (await XapiAgents.FindAsync(db, caller.Actor, key, null, ct))?.Id != caller.Actor.UserId;
    }

    static void Headers(HttpContext http, DateTimeOffset consistentThrough, DateTimeOffset? lastModified)
    {
        http.Response.Headers[ConsistentThroughHeader] = consistentThrough.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture);
        if (lastModified is { } modified) http.Response.Headers.LastModified = modified.ToString("R", CultureInfo.InvariantCulture);
    }

    static IReadOnlyList<string> Languages(HttpContext http) =>
        [.. (http.Request.GetTypedHeaders().AcceptLanguage ?? []).OrderByDescending(l => l.Quality ?? 1).Select(l => l.Value.ToString()).Where(l => l != "*")];

    static string Format(string stored, string format, IReadOnlyList<string> languages) => format switch
    {
        "ids" => XapiStatementText.Ids(stored),
        "canonical" => XapiStatementText.Canonical(stored, languages),
        _ => stored,
    };
}
