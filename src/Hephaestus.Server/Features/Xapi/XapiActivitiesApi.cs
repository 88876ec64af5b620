using System.Text.Json;
using System.Text.Json.Serialization;
using Hephaestus.Data.Xapi;
using Hephaestus.Server.Api;
using Microsoft.AspNetCore.Http.HttpResults;
using Npgsql;

namespace Hephaestus.Server.Features.Xapi;

/// <summary>An Activity object: its id and, when a statement defined it, the canonical definition.</summary>
public sealed record XapiActivity(
    string ObjectType,
    string Id,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] JsonElement? Definition);

/// <summary>GET /xapi/activities: the canonical definition the LRS learned from statements (Data/Xapi/XapiActivityStore).</summary>
public static class XapiActivitiesApi
{
    public static IEndpointRouteBuilder MapXapiActivities(this IEndpointRouteBuilder xapi)
    {
        xapi.MapGet("/activities", Get).WithName("XapiGetActivity")
            .WithSummary("Read an Activity")
            .WithDescription("The Activity object for `activityId` with the canonical definition the LRS keeps from the statements that defined "
                + "it (a later definition's top-level properties replace earlier ones). An activity no statement defined is still an Activity: "
                + "`{objectType, id}`.")
            .WithQueryParameters(XapiQuery.Parameter("activityId", "The activity's IRI.", required: true))
            .ProducesProblems(StatusCodes.Status400BadRequest);
        return xapi;
    }

    static async Task<Results<Ok<XapiActivity>, ValidationProblem>> Get(HttpContext http, NpgsqlDataSource db, IConfiguration configuration, CancellationToken ct)
    {
        var query = new XapiQuery(http.Request, "activityId");
        var activityId = query.Iri("activityId", required: true);
        if (!query.Validation.IsValid || activityId is null) return query.Validation.ToProblem();
        var definition = await XapiActivityStore.GetDefinitionAsync(db, XapiApi.Caller(http, configuration).Actor, activityId, ct);
        return TypedResults.Ok(new XapiActivity("Activity", activityId, definition));
    }
}
