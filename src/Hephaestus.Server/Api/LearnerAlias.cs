using Hephaestus.Server.Auth;
using Microsoft.AspNetCore.OpenApi;
using Microsoft.OpenApi;

namespace Hephaestus.Server.Api;

/// <summary>
/// <c>/api/v1/learners/me/…</c> is the signed-in user's own <c>/api/v1/learners/{id}/…</c>. The path is rewritten once,
/// after authentication and before routing, so every learner route (those added later too) answers under <c>me</c>
/// without declaring it, and handlers, Location headers and row-level security all see the real id. A caller who is not a
/// provisioned user gets the nil UUID, so the route's policy answers exactly as it does for any unprovisioned call.
/// </summary>
public sealed class LearnerAlias(RequestDelegate next)
{
    public const string Prefix = "/api/v1/learners/";
    public const string Me = "me";

    public Task InvokeAsync(HttpContext context)
    {
        var path = context.Request.Path.Value;
        if (path is not null && path.StartsWith(Prefix + Me, StringComparison.Ordinal)
            && (path.Length == Prefix.Length + Me.Length || path[Prefix.Length + Me.Length] == '/'))
        {
            var id = context.User.ToActor()?.UserId ?? Guid.Empty;
            context.Request.Path = new PathString(Prefix + id.ToString() + path[(Prefix.Length + Me.Length)..]);
        }

        return next(context);
    }

    /// <summary>The OpenAPI document says what the rewrite accepts: every <c>learnerId</c> path parameter is a UUID or <c>me</c>.</summary>
    internal static Task DescribeAsync(OpenApiOperation operation, OpenApiOperationTransformerContext context, CancellationToken ct)
    {
        foreach (var parameter in operation.Parameters?.OfType<OpenApiParameter>() ?? [])
        {
            if (parameter is not { In: ParameterLocation.Path, Name: "learnerId" }) continue;
            parameter.Description = "The learner's id (a UUID), or `me` for the signed-in user.";
            parameter.Schema = new OpenApiSchema
            {
                Type = JsonSchemaType.String,
                Pattern = "^(me|[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12})$",
            };
        }

        return Task.CompletedTask;
    }
}
