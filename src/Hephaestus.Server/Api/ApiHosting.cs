using System.Text.Json;
using System.Text.Json.Serialization;
using System.Text.Json.Serialization.Metadata;
using Microsoft.AspNetCore.Http.Json;
using Scalar.AspNetCore;

namespace Hephaestus.Server.Api;

/// <summary>The conventions every feature follows: JSON rules, problem details, size limits, OpenAPI.</summary>
public static class ApiHosting
{
    /// <summary>No request body in this API needs more; bulk paths (event ingestion) set their own limit.</summary>
    public const long MaxRequestBodyBytes = 1024 * 1024;

    public static IHostApplicationBuilder AddHephaestusApi(this IHostApplicationBuilder builder)
    {
        builder.Services.Configure<JsonOptions>(o => ConfigureJson(o.SerializerOptions));
        // Binding failures (malformed JSON, wrong types, unknown fields) throw, so ProblemExceptionHandler can name the field.
        builder.Services.Configure<Microsoft.AspNetCore.Routing.RouteHandlerOptions>(o => o.ThrowOnBadRequest = true);
        builder.Services.AddProblemDetails(o => o.CustomizeProblemDetails = c =>
        {
            c.ProblemDetails.Instance ??= c.HttpContext.Request.Path;
            // A conflict or refusal that names a field names it as the validation errors do: a JSON pointer.
            if (c.ProblemDetails.Extensions.TryGetValue("field", out var field) && field is string named)
            {
                c.ProblemDetails.Extensions["field"] = JsonPointer.From(named);
            }

            StatusProblems.Complete(c.ProblemDetails, c.HttpContext);
            c.ProblemDetails.Extensions.TryAdd("traceId", System.Diagnostics.Activity.Current?.TraceId.ToString() ?? c.HttpContext.TraceIdentifier);
        });
        builder.Services.AddSingleton<IProblemDetailsWriter, ProblemJsonWriter>();
        builder.Services.AddExceptionHandler<ProblemExceptionHandler>();
        builder.Services.AddOpenApi("v1", o =>
        {
            OpenApiConventions.Configure(o);
            o.AddOperationTransformer(LearnerAlias.DescribeAsync);
        });
        var http = builder.Configuration.GetSection("Http");
        builder.Services.Configure<Microsoft.AspNetCore.Server.Kestrel.Core.KestrelServerOptions>(o =>
        {
            o.Limits.MaxRequestBodySize = MaxRequestBodyBytes;
            // The Server header tells an attacker what to aim at and a client nothing it needs.
            o.AddServerHeader = false;
            // Connections cost memory and a file descriptor each, idle or not (docs/operations.md, "Connections").
            o.Limits.MaxConcurrentConnections = http.GetValue<long?>("MaxConcurrentConnections", 2000);
            // No endpoint upgrades a connection (no WebSockets): an upgrade request is refused.
            o.Limits.MaxConcurrentUpgradedConnections = http.GetValue<long?>("MaxConcurrentUpgradedConnections", 0);
            o.Limits.KeepAliveTimeout = TimeSpan.FromSeconds(http.GetValue("KeepAliveTimeoutSeconds", 30.0));
            o.Limits.RequestHeadersTimeout = TimeSpan.FromSeconds(http.GetValue("RequestHeadersTimeoutSeconds", 10.0));
            // A client trickling its body (slowloris) is cut off below this rate, after a grace period.
            o.Limits.MinRequestBodyDataRate = new Microsoft.AspNetCore.Server.Kestrel.Core.MinDataRate(
                http.GetValue("MinRequestBodyBytesPerSecond", 240.0), TimeSpan.FromSeconds(5));
        });
        builder.AddHephaestusRateLimits();
        // Cross-origin browser calls are refused unless origins are configured (Cors:AllowedOrigins, e.g. a web app's).
        var origins = builder.Configuration.GetSection("Cors:AllowedOrigins").Get<string[]>() ?? [];
        if (origins.Length > 0)
        {
            builder.Services.AddCors(o => o.AddDefaultPolicy(p => p.WithOrigins(origins).AllowAnyHeader().AllowAnyMethod()
                .WithExposedHeaders("ETag", "Location", "Retry-After")));
        }

        return builder;
    }

    public static void ConfigureJson(JsonSerializerOptions options)
    {
        // Unknown fields are mistakes (a typo silently ignored is a lost write), so they are refused.
        options.UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow;
        options.RespectNullableAnnotations = true;
        options.RespectRequiredConstructorParameters = true;
        options.AllowTrailingCommas = false;
        options.NumberHandling = JsonNumberHandling.Strict;
        options.Converters.Add(new JsonStringEnumConverter(JsonNamingPolicy.SnakeCaseLower));
        options.TypeInfoResolver = (options.TypeInfoResolver ?? new DefaultJsonTypeInfoResolver()).WithAddedModifier(NonNullElements.Modify);
    }

    public static WebApplication UseHephaestusApi(this WebApplication app)
    {
        var timed = app.Configuration.GetValue<bool>(ServerTiming.SettingName);
        if (timed) app.UseMiddleware<ServerTiming>();
        app.UseMiddleware<ResponseHeaders>();
        app.UseExceptionHandler();
        // An empty error answers as a problem detail on the API, and as a page in the web app (Web/Components/Pages/Error).
        app.UseWhen(context => !Web.WebPaths.IsWeb(context), api => api.UseStatusCodePages());
        app.UseWhen(Web.WebPaths.IsWeb, web => web.UseStatusCodePagesWithReExecute("/error/{0}", createScopeForStatusCodePages: true));
        // Authentication before routing: `me` in a learner route is rewritten to the signed-in user's id, then routed.
        app.UseAuthentication();
        if (timed) app.Use(ServerTiming.MarkAuthenticated);
        app.UseMiddleware<LearnerAlias>();
        app.UseRouting();
        app.UseMiddleware<MalformedIds>();
        if (app.Services.GetService<Microsoft.AspNetCore.Cors.Infrastructure.ICorsService>() is not null) app.UseCors();
        app.UseMiddleware<RequestBodyLimit>();
        // After authentication (limits are per resolved user) and routing (health is exempt by endpoint metadata), before
        // anything costs more than the actor lookup.
        app.UseRateLimiter();
        app.UseAuthorization();
        app.UseMiddleware<TextInputGuard>();
        app.UseMiddleware<RowWriteLimit>();
        return app;
    }

    public static WebApplication MapApiDocs(this WebApplication app)
    {
        app.MapOpenApi("/openapi/{documentName}.json");
        app.MapScalarApiReference("/docs", o => o.WithTitle("Hephaestus API").WithOpenApiRoutePattern("/openapi/{documentName}.json"));
        return app;
    }
}
