using Hephaestus.Data;
using Hephaestus.Data.Identity;
using Hephaestus.Domain.Identity;
using Hephaestus.Server.Api;
using Hephaestus.Server.Auth;
using Microsoft.AspNetCore.Http.HttpResults;
using Npgsql;

namespace Hephaestus.Server.Features.Cohorts;

/// <summary>A cohort without its roster, which can be thousands: that is <c>GET /api/v1/cohorts/{id}/members</c>, paged.</summary>
public sealed record CohortResponse(Guid Id, string Name, string? Description, DateTimeOffset CreatedAt)
{
    public static CohortResponse From(CohortRecord c)
    {
        ArgumentNullException.ThrowIfNull(c);
        return new CohortResponse(c.Id, c.Name, c.Description, c.CreatedAt);
    }
}

public sealed record CohortMemberResponse(Guid UserId, string DisplayName, string Role, DateTimeOffset AddedAt)
{
    public static CohortMemberResponse From(CohortMemberRecord m)
    {
        ArgumentNullException.ThrowIfNull(m);
        return new CohortMemberResponse(m.UserId, m.DisplayName, m.Role, m.AddedAt);
    }
}

public sealed record CreateCohortRequest(string Name, string? Description = null);
public sealed record UpdateCohortRequest(string? Name = null, string? Description = null);
public sealed record PutMemberRequest(string Role);

/// <summary>
/// Cohorts tie educators to learners; an admin manages them (the policy on every write). Everyone reads the cohorts they
/// belong to (learners see their own membership; educators the whole roster), as row-level security decides.
/// </summary>
public static class CohortsApi
{
    public static IEndpointRouteBuilder MapCohorts(this IEndpointRouteBuilder routes)
    {
        var cohorts = routes.MapGroup("/api/v1/cohorts").WithTags("Cohorts").RequireAuthorization(Policies.Provisioned);
        cohorts.MapGet("/", List).WithName("ListCohorts")
            .WithSummary("List cohorts")
            .WithDescription("The cohorts the caller belongs to (admins: all); keyset paged by `after` and `limit`. Members are a list of their own (`/cohorts/{id}/members`).");
        cohorts.MapGet("/{id:guid}", Get).WithName("GetCohort")
            .WithSummary("Read a cohort")
            .WithDescription("A cohort the caller belongs to (admins: any). The ETag header is the version for If-Match.")
            .ProducesProblems(StatusCodes.Status404NotFound)
            .ReturnsETag();
        cohorts.MapGet("/{id:guid}/members", ListMembers).WithName("ListCohortMembers")
            .WithSummary("List a cohort's members")
            .WithDescription("The cohort's learners and educators as the caller may see them (a learner: only their own membership), ordered by user id; keyset paged by `after` and `limit`.")
            .ProducesProblems(StatusCodes.Status404NotFound);
        var manage = cohorts.MapGroup("").RequireAuthorization(Policies.Admin);
        manage.MapPost("/", Create).WithName("CreateCohort")
            .WithSummary("Create a cohort")
            .WithDescription("A named group tying educators to learners. Admins only.")
            .ReturnsETag();
        manage.MapPatch("/{id:guid}", Update).WithName("UpdateCohort")
            .WithSummary("Rename or describe a cohort")
            .WithDescription("Changes the given fields. Admins only; requires If-Match with the ETag read (428 without, 412 when stale).")
            .ProducesProblems(StatusCodes.Status404NotFound)
            .TakesIfMatch(required: true);
        manage.MapDelete("/{id:guid}", Delete).WithName("DeleteCohort")
            .WithSummary("Delete a cohort")
            .WithDescription("Removes the cohort and its memberships (learners' records stay). Admins only.")
            .ProducesProblems(StatusCodes.Status404NotFound);
        manage.MapPut("/{id:guid}/members/{userId:guid}", PutMember).WithName("PutCohortMember")
            .WithSummary("Add a cohort member or change their role")
            .WithDescription("Adds the user as `educator` or `learner` of the cohort (the user must have that role); repeating it changes nothing. Admins only.")
            .ProducesProblems(StatusCodes.Status404NotFound);
        manage.MapDelete("/{id:guid}/members/{userId:guid}", DeleteMember).WithName("DeleteCohortMember")
            .WithSummary("Remove a cohort member")
            .WithDescription("Removes the user from the cohort. Admins only.")
            .ProducesProblems(StatusCodes.Status404NotFound);
        return routes;
    }

    static async Task<Results<Ok<Page<CohortResponse>>, ValidationProblem>> List(
        HttpContext http, NpgsqlDataSource db, CancellationToken ct, Guid? after = null, int? limit = null)
    {
        var v = new Validation();
        var size = v.PageSize(limit, CohortStore.MaxPageSize);
        if (!v.IsValid) return v.ToProblem();
        var page = await CohortStore.ListAsync(db, http.RequireActor(), after, size, ct);
        return TypedResults.Ok(new Page<CohortResponse>(page.Items.Select(CohortResponse.From).ToList(), page.Next));
    }

    static async Task<Results<Ok<CohortResponse>, ProblemHttpResult>> Get(Guid id, HttpContext http, NpgsqlDataSource db, CancellationToken ct)
    {
        var cohort = await CohortStore.GetAsync(db, http.RequireActor(), id, ct);
        if (cohort is null) return Problems.NotFound("cohort", id);
        http.Response.Headers.ETag = ETags.Format(cohort.Version);
        return TypedResults.Ok(CohortResponse.From(cohort));
    }

    /// <summary>The members the reader may see (learners: themselves; educators and admins: everyone), by user id.</summary>
    static async Task<Results<Ok<Page<CohortMemberResponse>>, ValidationProblem, ProblemHttpResult>> ListMembers(
        Guid id, HttpContext http, NpgsqlDataSource db, CancellationToken ct, Guid? after = null, int? limit = null)
    {
        var v = new Validation();
        var size = v.PageSize(limit, CohortStore.MaxPageSize);
        if (!v.IsValid) return v.ToProblem();
        var page = await CohortStore.ListMembersAsync(db, http.RequireActor(), id, after, size, ct);
        return page is null
            ? Problems.NotFound("cohort", id)
            : TypedResults.Ok(new Page<CohortMemberResponse>(page.Items.Select(CohortMemberResponse.From).ToList(), page.Next));
    }

    static async Task<Results<Created<CohortResponse>, ValidationProblem>> Create(
        CreateCohortRequest request, HttpContext http, NpgsqlDataSource db, CancellationToken ct)
    {
        var v = new Validation().Text("name", request.Name, 1, 200).Text("description", request.Description, 0, 2000, required: false);
        if (!v.IsValid) return v.ToProblem();
        var cohort = await CohortStore.CreateAsync(db, http.RequireActor(), request.Name, request.Description, ct);
        http.Response.Headers.ETag = ETags.Format(cohort.Version);
        return TypedResults.Created($"/api/v1/cohorts/{cohort.Id}", CohortResponse.From(cohort));
    }

    static async Task<Results<Ok<CohortResponse>, ValidationProblem, ProblemHttpResult>> Update(
        Guid id, UpdateCohortRequest request, HttpContext http, NpgsqlDataSource db, CancellationToken ct)
    {
        var v = new Validation().Text("name", request.Name, 1, 200, required: false).Text("description", request.Description, 0, 2000, required: false);
        if (!v.IsValid) return v.ToProblem();
        var written = await CohortStore.UpdateAsync(db, http.RequireActor(), id, request.Name, request.Description, ETags.Parse(http.Request), ct);
        switch (written)
        {
            case { Cohort: { } cohort }:
                http.Response.Headers.ETag = ETags.Format(cohort.Version);
                return TypedResults.Ok(CohortResponse.From(cohort));
            case { Outcome: CohortOutcome.PreconditionRequired }:
                return Problems.PreconditionRequired("cohort");
            case { Outcome: CohortOutcome.PreconditionFailed, CurrentVersion: { } current }:
                return Problems.PreconditionFailed("cohort", ETags.Format(current));
            default:
                return Problems.NotFound("cohort", id);
        }
    }

    static async Task<Results<NoContent, ProblemHttpResult>> Delete(Guid id, HttpContext http, NpgsqlDataSource db, CancellationToken ct) =>
        await CohortStore.DeleteAsync(db, http.RequireActor(), id, ct) ? TypedResults.NoContent() : Problems.NotFound("cohort", id);

    /// <summary>Adds a member or changes their role in the cohort; repeating it changes nothing (idempotent PUT).</summary>
    static async Task<Results<Ok<CohortMemberResponse>, ValidationProblem, ProblemHttpResult>> PutMember(
        Guid id, Guid userId, PutMemberRequest request, HttpContext http, NpgsqlDataSource db, CancellationToken ct)
    {
        if (request.Role is not (Role.Educator or Role.Learner))
        {
            return new Validation().Add("role", "must be 'educator' or 'learner'").ToProblem();
        }

        var written = await CohortStore.PutMemberAsync(db, http.RequireActor(), id, userId, request.Role, ct);
        return written switch
        {
            { Member: { } member } => TypedResults.Ok(CohortMemberResponse.From(member)),
            { Outcome: CohortOutcome.UserNotFound } => Problems.NotFound("user", userId),
            { Outcome: CohortOutcome.UserLacksRole, UserRoles: { } roles } => new Validation()
                .Add("role", $"the user does not have the role '{request.Role}' (their roles: {string.Join(", ", roles)})").ToProblem(),
            _ => Problems.NotFound("cohort", id),
        };
    }

    static async Task<Results<NoContent, ProblemHttpResult>> DeleteMember(Guid id, Guid userId, HttpContext http, NpgsqlDataSource db, CancellationToken ct) =>
        await CohortStore.DeleteMemberAsync(db, http.RequireActor(), id, userId, ct) ? TypedResults.NoContent() : Problems.NotFound("cohort membership", userId);
}
