using Hephaestus.Data;
using Hephaestus.Data.Xapi;
using Hephaestus.Server.Api;
using Hephaestus.Server.Auth;
using Microsoft.AspNetCore.Http.HttpResults;
using Npgsql;

namespace Hephaestus.Server.Features.Xapi;

/// <summary>Issue activity provider credentials: a name, and optionally the cohort whose learners alone the provider may name.</summary>
public sealed record IssueXapiCredentialRequest(string Name, Guid? LearnerScope = null);

public sealed record XapiCredentialResponse(Guid Id, string Name, string Key, Guid? LearnerScope, DateTimeOffset CreatedAt, DateTimeOffset? RevokedAt)
{
    public static XapiCredentialResponse From(XapiCredentialRecord c)
    {
        ArgumentNullException.ThrowIfNull(c);
        return new XapiCredentialResponse(c.Id, c.Name, c.Key, c.LearnerScope, c.CreatedAt, c.RevokedAt);
    }
}

/// <summary>
/// Freshly issued credentials, the only time the secret is shown: an authoring tool takes the LRS endpoint (the service's
/// <c>/xapi/</c>), the key as user name and the secret as password.
/// </summary>
public sealed record IssuedXapiCredentialResponse(Guid Id, string Name, string Key, string Secret, Guid? LearnerScope, DateTimeOffset CreatedAt);

/// <summary>
/// HTTP Basic credentials per activity provider (Articulate, Captivate, H5P, simulations), managed by admins under
/// /api/v1/xapi/credentials. Only the SHA-256 of a secret is stored; a revoked credential is refused within
/// <see cref="XapiBasic.CacheFor"/> everywhere, at once in this instance.
/// </summary>
public static class XapiCredentialsApi
{
    public static IEndpointRouteBuilder MapXapiCredentials(this IEndpointRouteBuilder routes)
    {
        var credentials = routes.MapGroup("/api/v1/xapi/credentials").WithTags("xAPI").RequireAuthorization(Policies.Admin);
        credentials.MapPost("/", Issue).WithName("IssueXapiCredential")
            .WithSummary("Issue activity provider credentials")
            .WithDescription("Makes HTTP Basic credentials for an activity provider to send statements and documents to `/xapi`: a key (the user "
                + "name) and a secret (the password), which this response shows once and the service never again (it keeps only a hash). "
                + "`learnerScope` (a cohort id) limits the learners the provider may name to that cohort's learners. Admins only.")
            .ProducesProblems(StatusCodes.Status404NotFound);
        credentials.MapGet("/", List).WithName("ListXapiCredentials")
            .WithSummary("List activity provider credentials")
            .WithDescription("Every credential issued, revoked ones included (with `revokedAt`), without secrets; keyset paged by `after` and `limit`. Admins only.");
        credentials.MapDelete("/{id:guid}", Revoke).WithName("RevokeXapiCredential")
            .WithSummary("Revoke activity provider credentials")
            .WithDescription($"The credentials stop working within {XapiBasic.CacheFor.TotalSeconds:0} seconds in every instance of the service "
                + "(at once in the one that answered). The record stays, for the audit of who issued what. Admins only.")
            .ProducesProblems(StatusCodes.Status404NotFound);
        return routes;
    }

    static async Task<Results<Created<IssuedXapiCredentialResponse>, ValidationProblem, ProblemHttpResult>> Issue(
        IssueXapiCredentialRequest request, HttpContext http, NpgsqlDataSource db, CancellationToken ct)
    {
        var v = new Validation().Text("name", request.Name, 1, 200);
        if (!v.IsValid) return v.ToProblem();
        var (outcome, issued) = await XapiCredentialStore.IssueAsync(db, http.RequireActor(), request.Name, request.LearnerScope, ct);
        if (outcome is XapiCredentialOutcome.ScopeNotFound || issued is null) return Problems.NotFound("cohort", request.LearnerScope ?? Guid.Empty);
        var c = issued.Credential;
        return TypedResults.Created($"/api/v1/xapi/credentials/{c.Id}",
            new IssuedXapiCredentialResponse(c.Id, c.Name, c.Key, issued.Secret, c.LearnerScope, c.CreatedAt));
    }

    static async Task<Results<Ok<Page<XapiCredentialResponse>>, ValidationProblem>> List(
        HttpContext http, NpgsqlDataSource db, CancellationToken ct, Guid? after = null, int? limit = null)
    {
        var v = new Validation();
        var size = v.PageSize(limit, XapiCredentialStore.MaxPageSize);
        if (!v.IsValid) return v.ToProblem();
        var page = await XapiCredentialStore.ListAsync(db, http.RequireActor(), after, size, ct);
        return TypedResults.Ok(new Page<XapiCredentialResponse>(page.Items.Select(XapiCredentialResponse.From).ToList(), page.Next));
    }

    static async Task<Results<NoContent, ProblemHttpResult>> Revoke(Guid id, HttpContext http, NpgsqlDataSource db, XapiCredentialCache cache, CancellationToken ct)
    {
        var key = await XapiCredentialStore.RevokeAsync(db, http.RequireActor(), id, ct);
        if (key is null) return Problems.NotFound("credential", id);
        cache.Forget(key);
        return TypedResults.NoContent();
    }
}
