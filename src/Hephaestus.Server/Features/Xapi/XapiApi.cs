using System.Globalization;
using System.Text.Json;
using System.Text.RegularExpressions;
using Hephaestus.Data.Xapi;
using Hephaestus.Server.Api;
using Hephaestus.Server.Auth;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Hephaestus.Server.Features.Xapi;

/// <summary>Endpoint metadata: the endpoint answers whatever X-Experience-API-Version says (the About resource must).</summary>
public sealed record AnyXapiVersion
{
    public static readonly AnyXapiVersion Instance = new();
}

/// <summary>
/// The xAPI 2.0 Learning Record Store under <c>/xapi</c> (IEEE 9274.1.1). Its conventions are one call,
/// <see cref="WithXapiConventions{TBuilder}"/>, applied to the group (and to any xAPI route mapped apart): every response
/// carries <c>X-Experience-API-Version: 2.0.0</c>; every request must send 2.0 or 2.0.x (missing, 1.0.x, 2.1+ are a 400
/// problem, as 2.0 requires: an LRS refuses versions before 2.0.0 unless it routes them to a conformant older
/// implementation, which this one does not have), except About; callers are a provisioned user (bearer token) or an
/// activity provider (HTTP Basic, <see cref="XapiBasic"/>). Errors are problem details like the rest of the service.
/// </summary>
public static partial class XapiApi
{
    public const string Version = "2.0.0";
    public const string VersionHeader = "X-Experience-API-Version";

    public static TBuilder WithXapiConventions<TBuilder>(this TBuilder builder) where TBuilder : IEndpointConventionBuilder
    {
        builder.WithMetadata(new FixedResponseHeader(VersionHeader, Version));
        builder.RequireAuthorization(Policies.XapiClient);
        builder.AddEndpointFilter(async (context, next) =>
            AlternateSyntaxProblem(context.HttpContext.Request) is { } alternate ? alternate
            : context.HttpContext.GetEndpoint()?.Metadata.GetMetadata<AnyXapiVersion>() is null
              && VersionProblem(context.HttpContext.Request.Headers[VersionHeader].ToString()) is { } problem
                ? problem
                : await next(context));
        return builder;
    }

    public static IEndpointRouteBuilder MapXapi(this IEndpointRouteBuilder routes)
    {
        var xapi = routes.MapGroup("/xapi").WithTags("xAPI").WithXapiConventions();
        xapi.MapGet("/about", About).WithName("XapiAbout")
            .AllowAnonymous()
            .WithMetadata(AnyXapiVersion.Instance)
            .WithSummary("About this LRS")
            .WithDescription("The xAPI versions this Learning Record Store speaks (`2.0.0`) and its extensions. Needs no credentials and no "
                + "X-Experience-API-Version header, so a client can find the version before it speaks.");
        xapi.MapXapiStatements();
        xapi.MapXapiDocuments();
        xapi.MapXapiAgents();
        xapi.MapXapiActivities();
        return routes;
    }

    static Ok<AboutResponse> About() => TypedResults.Ok(new AboutResponse([Version], new Dictionary<string, JsonElement>()));

    /// <summary>The problem for a version header this LRS does not speak; null for 2.0 and 2.0.x.</summary>
    internal static ProblemHttpResult? VersionProblem(string header)
    {
        if (AcceptedVersion().IsMatch(header)) return null;
        var detail = header.Length == 0
            ? $"Send the {VersionHeader} header: this LRS speaks xAPI {Version}."
            : $"{VersionHeader} {header} is not spoken here: this LRS speaks xAPI 2.0 (send {Version}); 1.0.x clients need an LRS of that version.";
        return TypedResults.Problem(statusCode: StatusCodes.Status400BadRequest, title: "Unsupported xAPI version", detail: detail);
    }

    /// <summary>
    /// xAPI 1.0.3's Alternate Request Syntax (Communication 1.3: a POST with the intended method in a <c>method</c> query
    /// parameter, headers and content as form fields) is not part of xAPI 2.0: IEEE 9274.1.1 has no such section, so to a
    /// 2.0 LRS <c>method</c> is a parameter it does not recognise, which 2.0 answers with 400 Bad Request. Checked before
    /// the version (such a request carries its version header as a form field) so that the answer says what happened.
    /// </summary>
    internal static ValidationProblem? AlternateSyntaxProblem(HttpRequest request) =>
        request.Query.ContainsKey("method")
            ? new Validation().Add("/method", "is not a parameter of xAPI 2.0: the Alternate Request Syntax (POST with ?method=, headers and content "
                + "as form fields) belongs to xAPI 1.0.3 and was left out of 2.0").ToProblem(
                "xAPI 2.0, which this LRS speaks, has no Alternate Request Syntax: send the request with its own HTTP method, headers and body.")
            : null;

    [GeneratedRegex(@"^2\.0(\.[0-9]{1,6})?$")]
    private static partial Regex AcceptedVersion();

    /// <summary>Who asks: an activity provider (its actor and cohort) or the signed-in user.</summary>
    internal static XapiDocumentCaller Caller(HttpContext http, IConfiguration configuration)
    {
        var home = AccountHomePage(http, configuration);
        if (!http.User.IsProvider()) return new XapiDocumentCaller(http.RequireActor(), null, home);
        var scope = http.User.FindFirst(XapiBasic.LearnerScopeClaim)?.Value;
        return new XapiDocumentCaller(XapiCredentialStore.ProviderActor, scope is null ? null : Guid.Parse(scope), home);
    }

    /// <summary>
    /// The home page of accounts that name a Hephaestus user (account.name = the user id): Xapi:AccountHomePage, else the
    /// service's own base URL (the same rule as the Statements resource's).
    /// </summary>
    internal static string AccountHomePage(HttpContext http, IConfiguration configuration) =>
        configuration["Xapi:AccountHomePage"] is { Length: > 0 } configured
            ? configured
            : $"{http.Request.Scheme}://{http.Request.Host}{http.Request.PathBase}";

    internal static ProblemHttpResult Forbidden() => Problems.Forbidden(
        "These credentials may not touch this agent's documents: a learner only their own agent (their mbox or their account), "
        + "a provider limited to a cohort only that cohort's learners.");

    /// <summary>Last-Modified as HTTP writes it (RFC 9110, IMF-fixdate).</summary>
    internal static string HttpDate(DateTimeOffset time) => time.UtcDateTime.ToString("R", CultureInfo.InvariantCulture);
}

/// <summary>GET /xapi/about: the versions spoken and extensions (none).</summary>
public sealed record AboutResponse(IReadOnlyList<string> Version, IReadOnlyDictionary<string, JsonElement> Extensions);

/// <summary>
/// The query of an xAPI request, read as the specification asks: names are case-sensitive and an unknown (or
/// differently cased) parameter is a 400, as is a parameter given twice; each mistake is a field error on
/// <c>/&lt;name&gt;</c> (an agent's own mistakes under <c>/agent/…</c>).
/// </summary>
internal sealed class XapiQuery
{
    /// <summary>The longest activity IRI, document id or similar the LRS keeps (CHECKs in the database agree).</summary>
    public const int MaxIdLength = 2048;

    readonly IQueryCollection _query;

    public XapiQuery(HttpRequest request, params string[] allowed)
    {
        _query = request.Query;
        foreach (var (name, values) in _query)
        {
            if (!allowed.Contains(name, StringComparer.Ordinal)) Validation.Add("/" + name, "is not a parameter of this resource (names are case-sensitive)");
            else if (values.Count > 1) Validation.Add("/" + name, "must be given once");
        }
    }

    public Validation Validation { get; } = new();

    /// <summary>A string query parameter as the OpenAPI document shows it (the handlers read the query themselves).</summary>
    public static Microsoft.OpenApi.OpenApiParameter Parameter(string name, string description, bool required, int maxLength = MaxIdLength) => new()
    {
        Name = name,
        Required = required,
        Description = description,
        Schema = new Microsoft.OpenApi.OpenApiSchema { Type = Microsoft.OpenApi.JsonSchemaType.String, MaxLength = maxLength },
    };

    public bool Has(string name) => _query.ContainsKey(name);

    public string? Text(string name, bool required)
    {
        var value = _query.TryGetValue(name, out var values) ? values.ToString() : null;
        if (value is null)
        {
            if (required) Validation.Add("/" + name, "is required");
            return null;
        }

        if (value.Length is 0 or > MaxIdLength) Validation.Add("/" + name, $"must be 1 to {MaxIdLength} characters long");
        return value;
    }

    /// <summary>An absolute IRI (an activity id).</summary>
    public string? Iri(string name, bool required)
    {
        var value = Text(name, required);
        if (value is not null && !XapiAgentsApi.IsAbsoluteIri(value)) Validation.Add("/" + name, "must be an absolute IRI");
        return value;
    }

    public Guid? Uuid(string name)
    {
        var value = Text(name, required: false);
        if (value is null) return null;
        if (Guid.TryParse(value, out var id)) return id;
        Validation.Add("/" + name, "must be a UUID");
        return null;
    }

    /// <summary>An ISO 8601 timestamp with its offset (since).</summary>
    public DateTimeOffset? Timestamp(string name)
    {
        var value = Text(name, required: false);
        if (value is null) return null;
        if (DateTimeOffset.TryParse(value, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var time)) return time;
        Validation.Add("/" + name, "must be an ISO 8601 timestamp");
        return null;
    }

    /// <summary>An Agent object in JSON with exactly one inverse functional identifier.</summary>
    public XapiAgentIdentity? Agent(string name, bool required)
    {
        var value = _query.TryGetValue(name, out var values) ? values.ToString() : null;
        if (value is null)
        {
            if (required) Validation.Add("/" + name, "is required");
            return null;
        }

        return XapiAgentsApi.Parse(value, Validation, "/" + name);
    }
}
