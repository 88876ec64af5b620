using Microsoft.AspNetCore.Routing.Template;

namespace Hephaestus.Server.Api;

/// <summary>
/// Routes constrain their ids (<c>{id:guid}</c>, <c>{version:int}</c>), so <c>/api/v1/users/not-a-guid</c> matches no
/// endpoint and would be an unknown-route 404 that says nothing about the id. When no endpoint matched, this finds a
/// route the path would match but for its constraints and answers 400 with a field error naming the segment
/// (<c>/id</c>: "must be a UUID"). One mechanism for every route, read from the endpoints, so a new route needs nothing.
/// </summary>
public sealed class MalformedIds(RequestDelegate next, EndpointDataSource endpoints)
{
    sealed record Shape(TemplateMatcher Matcher, IReadOnlyList<(string Name, string Kind)> Typed);

    static readonly Dictionary<string, string> MessageByConstraint = new(StringComparer.Ordinal)
    {
        ["guid"] = "must be a UUID",
        ["int"] = "must be an integer",
    };

    IReadOnlyList<Shape>? _shapes;

    public Task InvokeAsync(HttpContext context)
    {
        if (context.GetEndpoint() is not null || !context.Request.Path.StartsWithSegments("/api")) return next(context);
        var v = new Validation();
        foreach (var shape in _shapes ??= Shapes())
        {
            var values = new RouteValueDictionary();
            if (!shape.Matcher.TryMatch(context.Request.Path, values)) continue;
            foreach (var (name, kind) in shape.Typed)
            {
                var value = values[name]?.ToString();
                var valid = kind == "guid" ? Guid.TryParse(value, out _) : int.TryParse(value, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out _);
                if (!valid) v.Add("/" + name, MessageByConstraint[kind]);
            }

            if (!v.IsValid) return v.ToProblem("The path has a malformed id: " + string.Join(", ", v.Fields)).ExecuteAsync(context);
        }

        return next(context);
    }

    IReadOnlyList<Shape> Shapes() => endpoints.Endpoints.OfType<RouteEndpoint>()
        .Where(e => e.RoutePattern.RawText?.TrimStart('/').StartsWith("api/", StringComparison.Ordinal) == true)
        .Select(e => new Shape(
            new TemplateMatcher(new RouteTemplate(e.RoutePattern), new RouteValueDictionary()),
            e.RoutePattern.Parameters
                .SelectMany(p => p.ParameterPolicies.Where(c => c.Content is { } k && MessageByConstraint.ContainsKey(k)).Select(c => (p.Name, c.Content!)))
                .ToList()))
        .Where(s => s.Typed.Count > 0)
        .ToList();
}
